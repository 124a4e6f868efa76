// SPDX-License-Identifier: Apache-2.0
#include "transport/transport_paths.hpp"

#include "tensorpool/transport.hpp"

#include <cerrno>
#include <cstdlib>
#include <vector>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tp::transport {

auto sanitize_path_component(std::string_view text) -> std::string {
    std::string out(text);
    for (char& c : out) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '_' || c == '-';
        if (!ok) {
            c = '_';
        }
    }
    return out;
}

auto sanitized_user_name() -> std::string {
    std::string name;
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* result = nullptr;
    if (::getpwuid_r(::geteuid(), &pw, buf.data(), buf.size(), &result) == 0 && result != nullptr &&
        result->pw_name != nullptr && result->pw_name[0] != '\0') {
        name = result->pw_name;
    } else if (const char* user = std::getenv("USER"); user != nullptr && user[0] != '\0') {
        name = user;
    } else {
        name = "unknown";
    }
    return sanitize_path_component(name);
}

auto default_transport_directory() -> std::string {
    return "/dev/shm/tensorpool-" + sanitized_user_name() + "/transport";
}

auto ensure_directory(const std::string& path) -> Expected<void> {
    if (path.empty()) {
        return make_error(ErrorCode::InvalidArgument, "empty directory path");
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            return make_error(ErrorCode::InvalidConfig, "'" + path + "' exists and is not a directory");
        }
        return {};
    }
    const auto slash = path.find_last_of('/');
    if (slash != std::string::npos && slash > 0) {
        TP_TRY_VOID(ensure_directory(path.substr(0, slash)));
    }
    if (::mkdir(path.c_str(), 0770) != 0) {
        if (errno == EEXIST) {
            return {};
        }
        return make_errno_error(ErrorCode::IoError, "cannot create directory '" + path + "'");
    }
    // The umask may have removed group bits; the directory is shared by the user's group.
    if (::chmod(path.c_str(), 0770) != 0) {
        return make_errno_error(ErrorCode::IoError, "cannot set mode 0770 on '" + path + "'");
    }
    return {};
}

} // namespace tp::transport
