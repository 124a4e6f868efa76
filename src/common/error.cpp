// SPDX-License-Identifier: Apache-2.0
#include "tensorpool/error.hpp"

#include <cstring>

namespace tp {

auto Error::from_errno(ErrorCode c, std::string msg, int err) -> Error {
    return Error{c, err, std::move(msg)};
}

auto Error::to_string() const -> std::string {
    std::string out{tp::to_string(code)};
    out += ": ";
    out += message;
    if (errno_value != 0) {
        out += " (errno ";
        out += std::to_string(errno_value);
        out += ": ";
        out += std::strerror(errno_value);
        out += ")";
    }
    return out;
}

} // namespace tp
