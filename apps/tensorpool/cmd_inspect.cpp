// SPDX-License-Identifier: Apache-2.0
// `tensorpool inspect PATH`: prints a region's superblock and, for a header ring, its committed
// slots, as JSON on stdout. Read-only; never follows a symlink at PATH.
#include "subcommands.hpp"

#ifdef HAVE_TP_SHM

#include "common/bits.hpp"
#include "concurrent/atomic_ops.hpp"
#include "shm/mapped_region.hpp"
#include "shm/shared_copy.hpp"
#include "shm/slot_codec.hpp"
#include "shm/superblock.hpp"
#include "shm/tensor_types.hpp"

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>

namespace tp::apps {
namespace {

using shm::SlotDescriptor;

auto json_string(const std::string& s) -> std::string {
    std::string out = "\"";
    for (const char c : s) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
                out += buf;
            } else {
                out += c;
            }
        }
    }
    return out + "\"";
}

auto fail(int code, const std::string& path, const std::string& why) -> int {
    std::fprintf(stderr, "tensorpool inspect: %s: %s\n", path.c_str(), why.c_str());
    return code;
}

// What a reader would say about the slot's header, without the pools (which inspect doesn't map).
auto slot_verdict(const std::byte* img, std::uint32_t index) -> std::string {
    const shm::SlotHeaderFields h = shm::decode_slot_header(img);
    if (h.header_bytes_length != SlotDescriptor::EMBEDDED_HEADER_LENGTH) {
        return "BadHeaderLength";
    }
    if (shm::decode_embedded_header(img) != shm::EmbeddedHeaderFields{}) {
        return "BadEmbeddedHeader";
    }
    shm::ResolvedStrides resolved;
    const shm::ReadResult r =
        shm::validate_tensor_header(shm::decode_tensor_header(img + SlotDescriptor::TENSOR_OFFSET), resolved);
    if (r != shm::ReadResult::Ok) {
        return std::string(shm::to_string(r));
    }
    if (h.payload_offset != 0) {
        return "PayloadOffsetNonZero";
    }
    if (h.payload_slot != index) {
        return "PayloadSlotMismatch";
    }
    return "Ok";
}

auto int_array(const std::array<std::int32_t, SlotDescriptor::MAX_DIMS>& a, std::size_t n) -> std::string {
    std::string out = "[";
    for (std::size_t i = 0; i < n && i < a.size(); ++i) {
        out += (i == 0 ? "" : ", ") + std::to_string(a[i]);
    }
    return out + "]";
}

void print_slots(const std::byte* base, std::uint32_t nslots, std::uint64_t max_slots) {
    std::uint64_t committed = 0;
    std::uint64_t in_progress = 0;
    std::uint64_t printed = 0;
    std::string slots;
    for (std::uint32_t i = 0; i < nslots; ++i) {
        const std::byte* slot = base + SlotDescriptor::slot_offset(i);
        const auto* word = reinterpret_cast<const std::uint64_t*>(slot);
        // SYNC POINT(inspect-read-begin): pairs with the writer's slot-commit release store.
        const std::uint64_t first = concurrent::load_acquire(word);
        if (first == 0) {
            continue; // never written
        }
        if ((first & 1U) == 0) {
            ++in_progress;
            continue;
        }
        alignas(8) std::uint64_t snapshot[SlotDescriptor::SLOT_BYTES / 8];
        shm::load_words_relaxed(snapshot, slot, SlotDescriptor::SLOT_BYTES / 8);
        // SYNC POINT(inspect-read-end): acquire fence then reload; pairs with the slot-claim fence.
        concurrent::fence_acquire();
        if (concurrent::load_relaxed(word) != first) { // relaxed: ordered by the fence above
            ++in_progress;                             // being overwritten right now
            continue;
        }
        ++committed;
        if (printed >= max_slots) {
            continue;
        }
        ++printed;
        const auto* img = reinterpret_cast<const std::byte*>(snapshot);
        const shm::SlotHeaderFields h = shm::decode_slot_header(img);
        const shm::TensorHeaderFields t = shm::decode_tensor_header(img + SlotDescriptor::TENSOR_OFFSET);
        const std::size_t n = t.ndims <= SlotDescriptor::MAX_DIMS ? t.ndims : SlotDescriptor::MAX_DIMS;
        char buf[512];
        std::snprintf(buf, sizeof buf,
                      "%s\n    {\"index\": %u, \"seq\": %llu, \"pool_id\": %u, \"payload_slot\": %u, "
                      "\"values_len_bytes\": %u, \"payload_offset\": %u, \"timestamp_ns\": %llu, "
                      "\"meta_version\": %u, ",
                      slots.empty() ? "" : ",", i, static_cast<unsigned long long>(h.seq_commit >> 1), h.pool_id,
                      h.payload_slot, h.values_len_bytes, h.payload_offset,
                      static_cast<unsigned long long>(h.timestamp_ns), h.meta_version);
        slots += buf;
        slots += "\"dtype\": " + json_string(std::string(shm::dtype_name(t.dtype))) +
                 ", \"major_order\": " + json_string(std::string(shm::major_order_name(t.major_order))) +
                 ", \"ndims\": " + std::to_string(t.ndims) + ", \"dims\": " + int_array(t.dims, n) +
                 ", \"strides\": " + int_array(t.strides, n) +
                 ", \"progress_unit\": " + json_string(std::string(shm::progress_unit_name(t.progress_unit))) +
                 ", \"progress_stride_bytes\": " + std::to_string(t.progress_stride_bytes) +
                 ", \"header\": " + json_string(slot_verdict(img, i)) + "}";
    }
    std::printf(",\n  \"committed_slots\": %llu,\n  \"in_progress_slots\": %llu,\n  \"slots\": [%s%s]",
                static_cast<unsigned long long>(committed), static_cast<unsigned long long>(in_progress), slots.c_str(),
                slots.empty() ? "" : "\n  ");
}

auto inspect(const std::string& path, std::uint64_t max_slots) -> int {
    shm::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
    if (!fd.valid()) {
        const int err = errno;
        if (err == ELOOP) {
            return fail(EXIT_FAILURE_RUNTIME, path, "is a symbolic link; pass the region file itself");
        }
        return fail(EXIT_IO, path, std::string("cannot open: ") + std::strerror(err));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        return fail(EXIT_IO, path, std::string("cannot stat: ") + std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        return fail(EXIT_FAILURE_RUNTIME, path, "not a regular file, so not a SHM region");
    }
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size < shm::SuperblockDescriptor::SIZE) {
        return fail(EXIT_FAILURE_RUNTIME, path,
                    "too small to be a SHM region (" + std::to_string(size) + " bytes; a superblock is 64)");
    }
    auto region = shm::MappedRegion::map(fd.get(), static_cast<std::size_t>(size), shm::Access::ReadOnly, path);
    if (!region) {
        return fail(EXIT_IO, path, region.error().message);
    }
    const shm::SuperblockFields sb = shm::read_superblock(region->data());
    if (sb.magic != shm::SuperblockDescriptor::MAGIC) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "bad magic 0x%016llx (expected 0x544f504c53484d31)",
                      static_cast<unsigned long long>(sb.magic));
        return fail(EXIT_FAILURE_RUNTIME, path, std::string(buf) + ": not a SHM region");
    }
    const bool is_ring = sb.region_type == static_cast<std::int16_t>(shm::RegionType::HeaderRing);
    const bool is_pool = sb.region_type == static_cast<std::int16_t>(shm::RegionType::PayloadPool);
    const std::uint64_t need =
        is_ring || is_pool
            ? shm::expected_region_size(static_cast<shm::RegionType>(sb.region_type), sb.nslots, sb.stride_bytes)
            : 0;
    std::printf("{\n  \"path\": %s,\n  \"file_size\": %llu,\n  \"superblock\": {\"magic\": %llu, "
                "\"layout_version\": %u, \"epoch\": %llu, \"stream_id\": %u, \"region_type\": %s, \"pool_id\": %u, "
                "\"nslots\": %u, \"slot_bytes\": %u, \"stride_bytes\": %u, \"pid\": %llu, "
                "\"start_timestamp_ns\": %llu, \"activity_timestamp_ns\": %llu},\n  \"expected_size\": %llu",
                json_string(path).c_str(), static_cast<unsigned long long>(size),
                static_cast<unsigned long long>(sb.magic), sb.layout_version, static_cast<unsigned long long>(sb.epoch),
                sb.stream_id, json_string(shm::region_type_name(sb.region_type)).c_str(), sb.pool_id, sb.nslots,
                sb.slot_bytes, sb.stride_bytes, static_cast<unsigned long long>(sb.pid),
                static_cast<unsigned long long>(sb.start_timestamp_ns),
                static_cast<unsigned long long>(sb.activity_timestamp_ns), static_cast<unsigned long long>(need));
    int rc = EXIT_OK;
    if (is_ring) {
        if (sb.slot_bytes != SlotDescriptor::SLOT_BYTES || size < need || !common::is_power_of_two(sb.nslots)) {
            std::printf(",\n  \"slots\": null");
            std::fprintf(stderr,
                         "tensorpool inspect: %s: header ring layout is inconsistent (slot_bytes %u, nslots "
                         "%u, %llu of %llu bytes); slots not read\n",
                         path.c_str(), sb.slot_bytes, sb.nslots, static_cast<unsigned long long>(size),
                         static_cast<unsigned long long>(need));
            rc = EXIT_FAILURE_RUNTIME;
        } else {
            print_slots(region->data(), sb.nslots, max_slots);
        }
    }
    std::printf("\n}\n");
    return rc;
}

struct InspectOptions {
    std::string path;
    std::uint64_t max_slots{UINT64_MAX};
};

const SubcommandRegistration REG{
    "inspect", "Print a SHM region's superblock and, for a header ring, its committed slots (JSON)", [](CLI::App& app) {
        auto opts = std::make_shared<InspectOptions>();
        app.add_option("PATH", opts->path, "Region file (header.ring or <pool_id>.pool)")->required();
        app.add_option("--max-slots", opts->max_slots, "Print at most this many committed slots");
        return SubcommandRunner{[opts] { return inspect(opts->path, opts->max_slots); }};
    }};

} // namespace
} // namespace tp::apps

#endif // HAVE_TP_SHM
