// SPDX-License-Identifier: Apache-2.0
// The zero-copy Frame a consumer delivers (tensorpool/tensor.hpp): re-checks and copy-out.
#include "tensorpool/tensor.hpp"

#include "concurrent/atomic_ops.hpp"
#include "shm/shared_copy.hpp"

namespace tp {

auto to_string(Dtype d) noexcept -> const char* {
    switch (d) {
    case Dtype::Uint8:
        return "uint8";
    case Dtype::Int8:
        return "int8";
    case Dtype::Uint16:
        return "uint16";
    case Dtype::Int16:
        return "int16";
    case Dtype::Uint32:
        return "uint32";
    case Dtype::Int32:
        return "int32";
    case Dtype::Uint64:
        return "uint64";
    case Dtype::Int64:
        return "int64";
    case Dtype::Float32:
        return "float32";
    case Dtype::Float64:
        return "float64";
    case Dtype::Boolean:
        return "bool";
    case Dtype::Bytes:
        return "bytes";
    case Dtype::Bit:
        return "bit";
    case Dtype::Unknown:
        return "unknown";
    }
    return "unknown";
}

auto Frame::still_valid() const noexcept -> bool {
    if (commit_word_ptr == nullptr) {
        return false;
    }
    // SYNC POINT(frame-recheck): the acquire fence orders the caller's payload reads before the
    // reload; pairs with the writer's slot-claim release fence (same protocol as shm slot-recheck).
    concurrent::fence_acquire();
    // relaxed: ordered after the payload reads by the fence above.
    return concurrent::load_relaxed(commit_word_ptr) == accepted_commit_word;
}

auto Frame::copy_to(std::span<std::byte> dst) const noexcept -> bool {
    if (dst.size() < payload.size()) {
        return false;
    }
    shm::copy_from_shared(dst.data(), payload.data(), payload.size());
    return still_valid();
}

} // namespace tp
