// SPDX-License-Identifier: Apache-2.0
#include "transport/builtin/ipc/ipc_log.hpp"

#include "common/bits.hpp"
#include "tensorpool/channel_uri.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>
#include <utility>

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tp::transport::ipc {
namespace {

constexpr int MAX_OPEN_ATTEMPTS = 64;

/// Non-blocking open-file-description lock on one byte. Returns true when taken.
auto try_lock(int fd, std::size_t offset, short type) noexcept -> bool {
    struct flock fl {};
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = static_cast<off_t>(offset);
    fl.l_len = 1;
    return ::fcntl(fd, F_OFD_SETLK, &fl) == 0;
}

auto wait_lock(int fd, std::size_t offset, short type) noexcept -> bool {
    struct flock fl {};
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = static_cast<off_t>(offset);
    fl.l_len = 1;
    while (::fcntl(fd, F_OFD_SETLKW, &fl) != 0) {
        if (errno != EINTR) {
            return false;
        }
    }
    return true;
}

void unlock(int fd, std::size_t offset) noexcept {
    struct flock fl {};
    fl.l_type = F_UNLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = static_cast<off_t>(offset);
    fl.l_len = 1;
    (void)::fcntl(fd, F_OFD_SETLK, &fl);
}

/// True when some other description holds a lock conflicting with a write lock on the byte.
auto is_locked(int fd, std::size_t offset) noexcept -> bool {
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = static_cast<off_t>(offset);
    fl.l_len = 1;
    if (::fcntl(fd, F_OFD_GETLK, &fl) != 0) {
        return true; // cannot tell: assume in use
    }
    return fl.l_type != F_UNLCK;
}

/// True when `path` still names the file open as `fd` (it was not unlinked or replaced).
auto same_file(int fd, const std::string& path) noexcept -> bool {
    struct stat a {};
    struct stat b {};
    if (::fstat(fd, &a) != 0 || ::stat(path.c_str(), &b) != 0) {
        return false;
    }
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_nlink > 0;
}

auto random_u64() -> std::uint64_t {
    std::uint64_t v = 0;
    if (::getrandom(&v, sizeof(v), 0) == static_cast<ssize_t>(sizeof(v))) {
        return v;
    }
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32U) ^ rd() ^
           static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}

auto realtime_ns() -> std::int64_t {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec;
}

auto sub_lock_offset(std::uint32_t index) -> std::size_t {
    return SUB_SLOTS_BASE + index * SUB_SLOT_LENGTH;
}
auto pub_lock_offset(std::uint32_t index) -> std::size_t {
    return PUB_SLOTS_BASE + index * PUB_SLOT_LENGTH;
}

/// The result of one attempt to open or create.
enum class Attempt { Done, Retry };

} // namespace

auto IpcLog::log_path(const std::string& directory, std::int32_t stream_id) -> std::string {
    return directory + "/ipc-" + std::to_string(stream_id) + ".log";
}

IpcLog::IpcLog(IpcLog&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)), m_base(std::exchange(other.m_base, nullptr)),
      m_length(std::exchange(other.m_length, 0)), m_term_length(other.m_term_length), m_stamp_key(other.m_stamp_key),
      m_path(std::move(other.m_path)) {}

auto IpcLog::operator=(IpcLog&& other) noexcept -> IpcLog& {
    if (this != &other) {
        close();
        m_fd = std::exchange(other.m_fd, -1);
        m_base = std::exchange(other.m_base, nullptr);
        m_length = std::exchange(other.m_length, 0);
        m_term_length = other.m_term_length;
        m_stamp_key = other.m_stamp_key;
        m_path = std::move(other.m_path);
    }
    return *this;
}

IpcLog::~IpcLog() {
    close();
}

void IpcLog::close() noexcept {
    if (m_base != nullptr) {
        ::munmap(m_base, m_length);
        m_base = nullptr;
    }
    if (m_fd >= 0) {
        // Last user anywhere: the upgrade to a write lock succeeds only if no other description
        // holds the read lock, so nobody can be using the file.
        if (try_lock(m_fd, 0, F_WRLCK) && same_file(m_fd, m_path)) {
            ::unlink(m_path.c_str());
        }
        ::close(m_fd);
        m_fd = -1;
    }
}

namespace {

/// Checks the header of an existing log and returns its term length.
auto validate_header(const std::uint8_t* hdr, std::size_t file_size, std::int32_t stream_id, const std::string& path)
    -> Expected<std::uint32_t> {
    const auto magic = common::load_unaligned<std::uint64_t>(hdr + MAGIC_OFFSET);
    const auto version = common::load_unaligned<std::uint32_t>(hdr + LAYOUT_VERSION_OFFSET);
    const auto meta = common::load_unaligned<std::uint32_t>(hdr + METADATA_LENGTH_OFFSET);
    const auto term = common::load_unaligned<std::uint32_t>(hdr + TERM_LENGTH_OFFSET);
    const auto stream = common::load_unaligned<std::int32_t>(hdr + STREAM_ID_OFFSET);
    const auto subs = common::load_unaligned<std::uint32_t>(hdr + SUB_SLOTS_OFFSET);
    const auto pubs = common::load_unaligned<std::uint32_t>(hdr + PUB_SLOTS_OFFSET);
    const auto align = common::load_unaligned<std::uint32_t>(hdr + ALIGNMENT_OFFSET);
    const auto key = common::load_unaligned<std::uint64_t>(hdr + STAMP_KEY_OFFSET);
    const auto fail = [&](const std::string& what) {
        return make_error(ErrorCode::State, "'" + path + "' is not a usable TensorPool IPC log (" + what +
                                                "); stop the processes using it or choose another transport directory");
    };
    if (magic != LOG_MAGIC) {
        return fail("bad magic");
    }
    if (version != LOG_LAYOUT_VERSION) {
        return fail("layout version " + std::to_string(version) + ", this build reads " +
                    std::to_string(LOG_LAYOUT_VERSION));
    }
    if (meta != METADATA_LENGTH || subs != SUB_SLOT_COUNT || pubs != PUB_SLOT_COUNT || align != FRAME_ALIGNMENT ||
        (key & STAMP_STATE_MASK) != 0) {
        return fail("unexpected layout constants");
    }
    if (term < MIN_TERM_LENGTH || term > MAX_TERM_LENGTH || !common::is_power_of_two(term)) {
        return fail("bad term length " + std::to_string(term));
    }
    if (file_size != METADATA_LENGTH + term) {
        return fail("file size " + std::to_string(file_size) + " does not match term length " + std::to_string(term));
    }
    if (stream != stream_id) {
        return fail("made for stream " + std::to_string(stream));
    }
    return term;
}

} // namespace

auto IpcLog::open(const IpcLogOptions& options) -> Expected<IpcLog> {
    const std::string path = log_path(options.directory, options.stream_id);
    for (int attempt = 0; attempt < MAX_OPEN_ATTEMPTS; ++attempt) {
        int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0 && errno != ENOENT) {
            return make_errno_error(ErrorCode::IoError, "cannot open IPC log '" + path + "'");
        }
        if (fd < 0) {
            // Create under a temporary name, initialise fully, then link into place.
            const std::string tmp = options.directory + "/.ipc-" + std::to_string(options.stream_id) + "." +
                                    std::to_string(::getpid()) + "." + std::to_string(random_u64() & 0xFFFFFFU) +
                                    ".tmp";
            fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                        static_cast<mode_t>(options.file_mode));
            if (fd < 0) {
                return make_errno_error(ErrorCode::IoError, "cannot create IPC log '" + tmp + "'");
            }
            const std::size_t length = METADATA_LENGTH + options.term_length;
            if (::fchmod(fd, static_cast<mode_t>(options.file_mode)) != 0 ||
                ::ftruncate(fd, static_cast<off_t>(length)) != 0 || !wait_lock(fd, 0, F_RDLCK)) {
                auto err = make_errno_error(ErrorCode::IoError, "cannot size or lock IPC log '" + tmp + "'");
                ::unlink(tmp.c_str());
                ::close(fd);
                return err;
            }
            void* mem = ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
            if (mem == MAP_FAILED) {
                auto err = make_errno_error(ErrorCode::IoError, "cannot map IPC log '" + tmp + "'");
                ::unlink(tmp.c_str());
                ::close(fd);
                return err;
            }
            auto* hdr = static_cast<std::uint8_t*>(mem);
            const std::uint64_t key = random_u64() & ~STAMP_STATE_MASK;
            common::store_unaligned<std::uint64_t>(hdr + MAGIC_OFFSET, LOG_MAGIC);
            common::store_unaligned<std::uint32_t>(hdr + LAYOUT_VERSION_OFFSET, LOG_LAYOUT_VERSION);
            common::store_unaligned<std::uint32_t>(hdr + METADATA_LENGTH_OFFSET, METADATA_LENGTH);
            common::store_unaligned<std::uint32_t>(hdr + TERM_LENGTH_OFFSET, options.term_length);
            common::store_unaligned<std::uint32_t>(hdr + MAX_MESSAGE_LENGTH_OFFSET,
                                                   max_message_length_for(options.term_length));
            common::store_unaligned<std::uint64_t>(hdr + STAMP_KEY_OFFSET, key);
            common::store_unaligned<std::int32_t>(hdr + STREAM_ID_OFFSET, options.stream_id);
            common::store_unaligned<std::uint32_t>(hdr + SUB_SLOTS_OFFSET, SUB_SLOT_COUNT);
            common::store_unaligned<std::uint32_t>(hdr + PUB_SLOTS_OFFSET, PUB_SLOT_COUNT);
            common::store_unaligned<std::uint32_t>(hdr + ALIGNMENT_OFFSET, FRAME_ALIGNMENT);
            common::store_unaligned<std::int64_t>(hdr + CREATE_TIME_OFFSET, realtime_ns());
            common::store_unaligned<std::int32_t>(hdr + CREATOR_PID_OFFSET, ::getpid());
            // The header is published by link(): every process that can open the final name reads
            // it after these stores (the syscalls order them).
            if (::link(tmp.c_str(), path.c_str()) != 0) {
                const int err = errno;
                ::munmap(mem, length);
                ::unlink(tmp.c_str());
                ::close(fd);
                if (err == EEXIST || err == ENOENT) {
                    continue; // another process created it first, or a cleaner took our temp file
                }
                return make_errno_error(ErrorCode::IoError, "cannot link IPC log '" + path + "'", err);
            }
            ::unlink(tmp.c_str());
            IpcLog log;
            log.m_fd = fd;
            log.m_base = hdr;
            log.m_length = length;
            log.m_term_length = options.term_length;
            log.m_stamp_key = key;
            log.m_path = path;
            return log;
        }

        // An existing log. Nobody else holds it: stale, replace it.
        if (try_lock(fd, 0, F_WRLCK)) {
            if (same_file(fd, path)) {
                ::unlink(path.c_str());
            }
            ::close(fd);
            continue;
        }
        if (!wait_lock(fd, 0, F_RDLCK)) {
            auto err = make_errno_error(ErrorCode::IoError, "cannot lock IPC log '" + path + "'");
            ::close(fd);
            return err;
        }
        if (!same_file(fd, path)) {
            ::close(fd); // unlinked by its last user between our open and our lock
            continue;
        }
        struct stat st {};
        std::uint8_t hdr[64];
        if (::fstat(fd, &st) != 0 || ::pread(fd, hdr, sizeof(hdr), 0) != static_cast<ssize_t>(sizeof(hdr))) {
            auto err = make_errno_error(ErrorCode::IoError, "cannot read IPC log '" + path + "'");
            ::close(fd);
            return err;
        }
        auto term = validate_header(hdr, static_cast<std::size_t>(st.st_size), options.stream_id, path);
        if (!term) {
            ::close(fd);
            return std::move(term).error();
        }
        if (options.required_term_length && *options.required_term_length != *term) {
            ::close(fd);
            // D-01: a shared publication's explicit term-length must match the existing log.
            return make_error(ErrorCode::InvalidArgument,
                              "stream " + std::to_string(options.stream_id) + ": existing log has term-length=" +
                                  std::to_string(*term) + ", the channel asks for term-length=" +
                                  std::to_string(*options.required_term_length) +
                                  " (D-01: every publisher of a stream uses the same channel string)");
        }
        const std::size_t length = METADATA_LENGTH + *term;
        void* mem = ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
        if (mem == MAP_FAILED) {
            auto err = make_errno_error(ErrorCode::IoError, "cannot map IPC log '" + path + "'");
            ::close(fd);
            return err;
        }
        IpcLog log;
        log.m_fd = fd;
        log.m_base = static_cast<std::uint8_t*>(mem);
        log.m_length = length;
        log.m_term_length = *term;
        log.m_stamp_key = common::load_unaligned<std::uint64_t>(hdr + STAMP_KEY_OFFSET);
        log.m_path = path;
        return log;
    }
    return make_error(ErrorCode::State, "IPC log '" + path + "' keeps changing under us; giving up");
}

auto IpcLog::remove_stale(const std::string& directory) -> int {
    DIR* dir = ::opendir(directory.c_str());
    if (dir == nullptr) {
        return 0;
    }
    int removed = 0;
    while (dirent* entry = ::readdir(dir)) {
        const std::string name = entry->d_name;
        const bool is_log = name.rfind("ipc-", 0) == 0 && name.size() > 8 && name.ends_with(".log");
        const bool is_tmp = name.rfind(".ipc-", 0) == 0 && name.ends_with(".tmp");
        if (!is_log && !is_tmp) {
            continue;
        }
        const std::string path = directory + "/" + name;
        const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
            continue;
        }
        if (try_lock(fd, 0, F_WRLCK) && same_file(fd, path)) {
            if (::unlink(path.c_str()) == 0) {
                ++removed;
            }
        }
        ::close(fd);
    }
    ::closedir(dir);
    return removed;
}

auto IpcLog::claim_sub_slot() -> Expected<std::uint32_t> {
    for (std::uint32_t i = 0; i < SUB_SLOT_COUNT; ++i) {
        if (try_lock(m_fd, sub_lock_offset(i), F_WRLCK)) {
            return i;
        }
    }
    return make_error(ErrorCode::State,
                      "all " + std::to_string(SUB_SLOT_COUNT) + " subscriber slots of '" + m_path + "' are in use");
}

auto IpcLog::claim_pub_slot() -> Expected<std::uint32_t> {
    for (std::uint32_t i = 0; i < PUB_SLOT_COUNT; ++i) {
        if (try_lock(m_fd, pub_lock_offset(i), F_WRLCK)) {
            return i;
        }
    }
    return make_error(ErrorCode::State,
                      "all " + std::to_string(PUB_SLOT_COUNT) + " publisher slots of '" + m_path + "' are in use");
}

void IpcLog::release_sub_slot(std::uint32_t index) noexcept {
    unlock(m_fd, sub_lock_offset(index));
}
void IpcLog::release_pub_slot(std::uint32_t index) noexcept {
    unlock(m_fd, pub_lock_offset(index));
}

auto IpcLog::sub_slot_in_use(std::uint32_t index) const noexcept -> bool {
    return is_locked(m_fd, sub_lock_offset(index));
}

} // namespace tp::transport::ipc
