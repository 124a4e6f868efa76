// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

namespace tp {

template <typename Signature>
class FunctionRef;

namespace detail {
/// A callable a FunctionRef<R(Args...)> can reference: invocable as R(Args...), not a plain
/// function type (those bind through the function-pointer constructor), not a FunctionRef.
template <typename F, typename Ref, typename R, typename... Args>
concept FunctionRefTarget = !std::is_same_v<std::remove_cvref_t<F>, Ref> &&
                            !std::is_function_v<std::remove_reference_t<F>> && std::is_invocable_r_v<R, F&, Args...>;
} // namespace detail

/// A non-owning, non-allocating reference to a callable: two words, one indirect call. The
/// referenced callable must outlive every call through the FunctionRef; pass it down a call
/// chain (e.g. to `Subscription::poll`), never store it. Copyable; thread-safety is the callable's.
template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
public:
    /// Binds any callable invocable as R(Args...) (lambdas, functors). The callable is referenced,
    /// not copied.
    template <detail::FunctionRefTarget<FunctionRef<R(Args...)>, R, Args...> F>
    FunctionRef(F&& callable) noexcept // NOLINT(google-explicit-constructor): implicit by design
        : m_invoke([](Storage s, Args... args) -> R {
              using Callable = std::remove_reference_t<F>;
              return (*static_cast<Callable*>(s.object))(std::forward<Args>(args)...);
          }) {
        m_storage.object = const_cast<void*>(static_cast<const void*>(std::addressof(callable)));
    }

    /// Binds a plain function.
    FunctionRef(R (*function)(Args...)) noexcept // NOLINT(google-explicit-constructor)
        : m_invoke([](Storage s, Args... args) -> R { return s.function(std::forward<Args>(args)...); }) {
        m_storage.function = function;
    }

    /// Calls the referenced callable.
    auto operator()(Args... args) const -> R { return m_invoke(m_storage, std::forward<Args>(args)...); }

private:
    union Storage {
        void* object;
        R (*function)(Args...);
    };

    Storage m_storage{};
    R (*m_invoke)(Storage, Args...);
};

} // namespace tp
