// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cerrno>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace tp {

/// Broad classes of failure for cold-path operations (map, attach, parse, bind).
enum class ErrorCode {
    InvalidArgument,  ///< caller passed a value the operation cannot accept
    InvalidConfig,    ///< configuration key missing, malformed or out of range
    ParseError,       ///< malformed text or bytes (URI, TOML, message)
    NotFound,         ///< file, stream or entity does not exist
    PermissionDenied, ///< security policy refused the operation
    IoError,          ///< a system call failed; errno_value says which
    Timeout,          ///< a deadline passed before the operation completed
    Unsupported,      ///< a valid request this build or peer cannot serve
    Rejected,         ///< a peer refused the request
    State,            ///< the object is not in a state that allows the call
    Internal,         ///< a broken internal expectation that is not fatal
};

/// Human-readable name of an error code, e.g. "InvalidConfig".
[[nodiscard]] constexpr auto to_string(ErrorCode code) noexcept -> std::string_view {
    switch (code) {
    case ErrorCode::InvalidArgument:
        return "InvalidArgument";
    case ErrorCode::InvalidConfig:
        return "InvalidConfig";
    case ErrorCode::ParseError:
        return "ParseError";
    case ErrorCode::NotFound:
        return "NotFound";
    case ErrorCode::PermissionDenied:
        return "PermissionDenied";
    case ErrorCode::IoError:
        return "IoError";
    case ErrorCode::Timeout:
        return "Timeout";
    case ErrorCode::Unsupported:
        return "Unsupported";
    case ErrorCode::Rejected:
        return "Rejected";
    case ErrorCode::State:
        return "State";
    case ErrorCode::Internal:
        return "Internal";
    }
    return "Unknown";
}

/// A cold-path failure: a code, the errno at the failure (0 if none) and a message that says what
/// was wrong and, where possible, how to fix it.
struct Error {
    ErrorCode code{ErrorCode::Internal};
    int errno_value{0};
    std::string message;

    /// An error without errno.
    [[nodiscard]] static auto make(ErrorCode c, std::string msg) -> Error { return Error{c, 0, std::move(msg)}; }
    /// An error from the current errno, with the system's text appended to the message.
    [[nodiscard]] static auto from_errno(ErrorCode c, std::string msg, int err = errno) -> Error;

    /// "InvalidConfig: message (errno N: text)".
    [[nodiscard]] auto to_string() const -> std::string;
};

/// Tag carrying an error into an Expected.
struct Unexpected {
    Error error;
};

/// Shorthand for returning an error from a function returning Expected<T>.
[[nodiscard]] inline auto make_error(ErrorCode c, std::string msg) -> Unexpected {
    return Unexpected{Error::make(c, std::move(msg))};
}
[[nodiscard]] inline auto make_errno_error(ErrorCode c, std::string msg, int err = errno) -> Unexpected {
    return Unexpected{Error::from_errno(c, std::move(msg), err)};
}

/// A value or an Error (a small std::expected for C++20). Not thread-safe; movable.
template <typename T>
class [[nodiscard]] Expected {
public:
    Expected(T value) : m_storage(std::in_place_index<0>, std::move(value)) {} // NOLINT(google-explicit-constructor)
    Expected(Unexpected u) : m_storage(std::in_place_index<1>, std::move(u.error)) {} // NOLINT
    Expected(Error e) : m_storage(std::in_place_index<1>, std::move(e)) {}            // NOLINT

    [[nodiscard]] auto has_value() const noexcept -> bool { return m_storage.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    [[nodiscard]] auto value() & -> T& { return std::get<0>(m_storage); }
    [[nodiscard]] auto value() const& -> const T& { return std::get<0>(m_storage); }
    [[nodiscard]] auto value() && -> T&& { return std::get<0>(std::move(m_storage)); }
    [[nodiscard]] auto error() const& -> const Error& { return std::get<1>(m_storage); }
    [[nodiscard]] auto error() && -> Error&& { return std::get<1>(std::move(m_storage)); }

    auto operator*() & -> T& { return value(); }
    auto operator*() const& -> const T& { return value(); }
    auto operator*() && -> T&& { return std::move(*this).value(); }
    auto operator->() -> T* { return &value(); }
    auto operator->() const -> const T* { return &value(); }

private:
    std::variant<T, Error> m_storage;
};

/// Expected<void>: success or an Error.
template <>
class [[nodiscard]] Expected<void> {
public:
    Expected() = default;
    Expected(Unexpected u) : m_error(std::move(u.error)), m_ok(false) {} // NOLINT
    Expected(Error e) : m_error(std::move(e)), m_ok(false) {}            // NOLINT

    [[nodiscard]] auto has_value() const noexcept -> bool { return m_ok; }
    explicit operator bool() const noexcept { return m_ok; }
    [[nodiscard]] auto error() const& -> const Error& { return m_error; }
    [[nodiscard]] auto error() && -> Error&& { return std::move(m_error); }

private:
    Error m_error{};
    bool m_ok{true};
};

} // namespace tp

/// Propagate an Expected's error: `TP_TRY(x, make_thing());` declares x as the value.
#define TP_TRY_CONCAT_INNER(a, b) a##b
#define TP_TRY_CONCAT(a, b) TP_TRY_CONCAT_INNER(a, b)
#define TP_TRY(var, expr)                                                                                              \
    auto TP_TRY_CONCAT(tp_try_, __LINE__) = (expr);                                                                    \
    if (!TP_TRY_CONCAT(tp_try_, __LINE__)) {                                                                           \
        return ::tp::Unexpected{std::move(TP_TRY_CONCAT(tp_try_, __LINE__)).error()};                                  \
    }                                                                                                                  \
    auto var = std::move(TP_TRY_CONCAT(tp_try_, __LINE__)).value()
/// Propagate the error of an Expected<void>.
#define TP_TRY_VOID(expr)                                                                                              \
    do {                                                                                                               \
        auto tp_try_v_ = (expr);                                                                                       \
        if (!tp_try_v_) {                                                                                              \
            return ::tp::Unexpected{std::move(tp_try_v_).error()};                                                     \
        }                                                                                                              \
    } while (false)
