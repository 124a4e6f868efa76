// SPDX-License-Identifier: Apache-2.0
// The hand-written SHM layouts against the golden SHM images (shared/golden/wire): every
// ShmRegionSuperblock, SlotHeader and TensorHeader vector decodes to its JSON and encodes back to
// the same bytes; a real ring accepts the golden committed slot, and the writer reproduces it
// byte for byte (W §7.1, §8.2; D-07, D-08, D-09).
#include "shm_fixture.hpp"

#include "shm/superblock.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace tp::shm {
namespace {

using json = nlohmann::json;
using S = SlotDescriptor;

auto golden_dir() -> std::string {
#ifdef TP_GOLDEN_DIR
    return std::string(TP_GOLDEN_DIR) + "/wire";
#else
    return "";
#endif
}

// Skips when the golden folder is absent, except in CI, where that is a failure.
#define REQUIRE_GOLDEN()                                                                                               \
    do {                                                                                                               \
        if (golden_dir().empty() || !std::filesystem::is_directory(golden_dir())) {                                    \
            const char* ci = std::getenv("CI");                                                                        \
            if (ci != nullptr && std::string(ci) == "true") {                                                          \
                FAIL() << "golden vectors missing at '" << golden_dir() << "' (TP_GOLDEN_DIR)";                        \
            }                                                                                                          \
            GTEST_SKIP() << "golden vectors not found at '" << golden_dir() << "'";                                    \
        }                                                                                                              \
    } while (false)

struct Golden {
    json doc;
    std::vector<std::byte> bin;
};

auto load(const std::string& name) -> Golden {
    Golden g;
    std::ifstream j(golden_dir() + "/" + name + ".json");
    EXPECT_TRUE(j.good()) << name;
    g.doc = json::parse(j);
    std::ifstream b(golden_dir() + "/" + name + ".bin", std::ios::binary);
    const std::vector<char> raw((std::istreambuf_iterator<char>(b)), std::istreambuf_iterator<char>());
    g.bin.resize(raw.size());
    std::memcpy(g.bin.data(), raw.data(), raw.size());
    EXPECT_EQ(g.bin.size(), g.doc["encodedLength"].get<std::size_t>()) << name;
    return g;
}

auto u64(const json& v) -> std::uint64_t {
    return std::stoull(v.get<std::string>());
}

auto from_hex(const std::string& hex) -> std::vector<std::byte> {
    std::vector<std::byte> out(hex.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = static_cast<std::byte>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
    }
    return out;
}

auto superblock_from_json(const json& f) -> SuperblockFields {
    SuperblockFields s;
    s.magic = u64(f["magic"]);
    s.layout_version = f["layoutVersion"].get<std::uint32_t>();
    s.epoch = u64(f["epoch"]);
    s.stream_id = f["streamId"].get<std::uint32_t>();
    s.region_type = f["regionType"] == "HEADER_RING" ? std::int16_t{1} : std::int16_t{2};
    s.pool_id = f["poolId"].get<std::uint16_t>();
    s.nslots = f["nslots"].get<std::uint32_t>();
    s.slot_bytes = f["slotBytes"].get<std::uint32_t>();
    s.stride_bytes = f["strideBytes"].get<std::uint32_t>();
    s.pid = u64(f["pid"]);
    s.start_timestamp_ns = u64(f["startTimestampNs"]);
    s.activity_timestamp_ns = u64(f["activityTimestampNs"]);
    return s;
}

auto slot_header_from_json(const json& f, std::uint32_t header_bytes_length) -> SlotHeaderFields {
    SlotHeaderFields h;
    h.seq_commit = u64(f["seqCommit"]);
    h.values_len_bytes = f["valuesLenBytes"].get<std::uint32_t>();
    h.payload_slot = f["payloadSlot"].get<std::uint32_t>();
    h.pool_id = f["poolId"].get<std::uint16_t>();
    h.payload_offset = f["payloadOffset"].get<std::uint32_t>();
    h.timestamp_ns = u64(f["timestampNs"]);
    h.meta_version = f["metaVersion"].get<std::uint32_t>();
    h.header_bytes_length = header_bytes_length;
    return h;
}

auto tensor_from_json(const json& f) -> TensorHeaderFields {
    auto dtype_value = [](const std::string& name) -> std::int16_t {
        for (std::int16_t v = 0; v < 16; ++v) {
            if (dtype_name(v) == name) {
                return v;
            }
        }
        ADD_FAILURE() << "unknown dtype " << name;
        return -1;
    };
    TensorHeaderFields t;
    t.dtype = dtype_value(f["dtype"].get<std::string>());
    const std::string order = f["majorOrder"].get<std::string>();
    t.major_order = order == "ROW" ? 1 : order == "COLUMN" ? 2 : 0;
    t.ndims = f["ndims"].get<std::uint8_t>();
    t.pad_align = f["padAlign"].get<std::uint8_t>();
    const std::string unit = f["progressUnit"].get<std::string>();
    t.progress_unit = unit == "ROWS" ? 1 : unit == "COLUMNS" ? 2 : 0;
    t.progress_stride_bytes = f["progressStrideBytes"].get<std::uint32_t>();
    EXPECT_EQ(f["maxDims"].get<int>(), 8);
    for (std::size_t i = 0; i < S::MAX_DIMS; ++i) {
        t.dims[i] = f["dims"][i].get<std::int32_t>();
        t.strides[i] = f["strides"][i].get<std::int32_t>();
    }
    return t;
}

TEST(GoldenShm, W7_1_SuperblocksDecodeAndEncodeByteForByte) {
    REQUIRE_GOLDEN();
    for (const char* name :
         {"ShmRegionSuperblock__header_ring", "ShmRegionSuperblock__payload_pool", "ShmRegionSuperblock__boundary"}) {
        SCOPED_TRACE(name);
        const Golden g = load(name);
        ASSERT_EQ(g.bin.size(), SuperblockDescriptor::SIZE);
        EXPECT_EQ(g.doc["blockLength"].get<std::size_t>(), SuperblockDescriptor::BLOCK_LENGTH);
        alignas(8) std::byte image[64];
        std::memcpy(image, g.bin.data(), 64);
        const SuperblockFields expected = superblock_from_json(g.doc["fields"]);
        EXPECT_EQ(read_superblock(image), expected);
        alignas(8) std::byte encoded[64];
        std::memset(encoded, 0xCC, sizeof encoded);
        write_superblock(encoded, expected);
        EXPECT_EQ(std::memcmp(encoded, g.bin.data(), 64), 0);
    }
}

TEST(GoldenShm, D08_GoldenSuperblocksPassValidation) {
    REQUIRE_GOLDEN();
    alignas(8) std::byte image[64];
    std::memcpy(image, load("ShmRegionSuperblock__header_ring").bin.data(), 64);
    EXPECT_TRUE(validate_superblock(read_superblock(image), {RegionType::HeaderRing, 3, 10000, 0, 1024, 0, 1},
                                    64 + 1024 * 256));
    std::memcpy(image, load("ShmRegionSuperblock__payload_pool").bin.data(), 64);
    EXPECT_TRUE(validate_superblock(read_superblock(image), {RegionType::PayloadPool, 3, 10000, 1, 1024, 1 << 20, 1},
                                    64 + 1024ULL * (1 << 20)));
}

TEST(GoldenShm, W8_2_SlotHeadersDecodeAndEncodeByteForByte) {
    REQUIRE_GOLDEN();
    for (const char* name : {"SlotHeader__committed_seq5", "SlotHeader__writing_seq6", "SlotHeader__boundary",
                             "SlotHeader__optional_null"}) {
        SCOPED_TRACE(name);
        const Golden g = load(name);
        EXPECT_EQ(g.doc["blockLength"].get<std::size_t>(), S::SLOT_HEADER_BLOCK_LENGTH);
        const auto& f = g.doc["fields"];
        const std::vector<std::byte> header_bytes = from_hex(f["headerBytes"].get<std::string>());
        const auto len = static_cast<std::uint32_t>(header_bytes.size());
        ASSERT_EQ(g.bin.size(), S::EMBEDDED_OFFSET + len);
        const SlotHeaderFields expected = slot_header_from_json(f, len);
        EXPECT_EQ(decode_slot_header(g.bin.data()), expected);
        EXPECT_EQ(std::memcmp(g.bin.data() + S::EMBEDDED_OFFSET, header_bytes.data(), len), 0);

        std::vector<std::byte> encoded(g.bin.size(), std::byte{0xCC});
        encode_slot_header(encoded.data(), expected);
        std::memcpy(encoded.data() + S::EMBEDDED_OFFSET, header_bytes.data(), len);
        EXPECT_EQ(encoded, g.bin);

        if (g.doc.contains("embedded")) {
            const auto& e = g.doc["embedded"]["headerBytes"];
            EXPECT_EQ(decode_embedded_header(g.bin.data()), EmbeddedHeaderFields{}); // {184, 52, 900, 1}
            EXPECT_EQ(len, S::EMBEDDED_HEADER_LENGTH);
            EXPECT_EQ(decode_tensor_header(g.bin.data() + S::TENSOR_OFFSET), tensor_from_json(e["fields"]));
        }
    }
}

TEST(GoldenShm, W8_2_TensorHeadersDecodeAndEncodeByteForByte) {
    REQUIRE_GOLDEN();
    for (const char* name : {"TensorHeader__typical", "TensorHeader__zeroed", "TensorHeader__boundary"}) {
        SCOPED_TRACE(name);
        const Golden g = load(name);
        ASSERT_EQ(g.bin.size(), S::EMBEDDED_HEADER_LENGTH); // 184 + 8 = 192
        EXPECT_EQ(g.doc["blockLength"].get<std::size_t>(), S::TENSOR_HEADER_BLOCK_LENGTH);
        // The 8-byte message header, as it sits at slot+64.
        std::vector<std::byte> slot(S::SLOT_BYTES);
        std::memcpy(slot.data() + S::EMBEDDED_OFFSET, g.bin.data(), g.bin.size());
        EXPECT_EQ(decode_embedded_header(slot.data()), EmbeddedHeaderFields{});
        const TensorHeaderFields expected = tensor_from_json(g.doc["fields"]);
        EXPECT_EQ(decode_tensor_header(g.bin.data() + S::MESSAGE_HEADER_LENGTH), expected);

        std::vector<std::byte> encoded(g.bin.size(), std::byte{0xCC});
        std::vector<std::byte> scratch(S::SLOT_BYTES);
        encode_embedded_header(scratch.data(), EmbeddedHeaderFields{});
        std::memcpy(encoded.data(), scratch.data() + S::EMBEDDED_OFFSET, S::MESSAGE_HEADER_LENGTH);
        encode_tensor_header(encoded.data() + S::MESSAGE_HEADER_LENGTH, expected);
        EXPECT_EQ(encoded, g.bin);
    }
}

// The committed_seq5 image describes UINT8 480x640x3 in pool 1, slot 5: a 1 MiB pool fits it.
constexpr std::uint32_t GOLDEN_LEN = 921600;

TEST(GoldenShm, W8_3_ReaderAcceptsGoldenCommittedSlot) {
    REQUIRE_GOLDEN();
    test::RegionFixture fx(8, {{1, 1 << 20}});
    const Golden committed = load("SlotHeader__committed_seq5");
    std::memcpy(fx.slot(5), committed.bin.data(), S::SLOT_BYTES);
    const Golden writing = load("SlotHeader__writing_seq6");
    std::memcpy(fx.slot(6), writing.bin.data(), S::SLOT_BYTES);

    ShmReader reader = fx.reader();
    FrameView f;
    ASSERT_EQ(reader.read(test::TEST_EPOCH, 5, f), ReadResult::Ok);
    EXPECT_EQ(f.values_len_bytes, GOLDEN_LEN);
    EXPECT_EQ(f.pool_id, 1);
    EXPECT_EQ(f.header_index, 5U);
    EXPECT_EQ(f.timestamp_ns, 1234567890123456ULL);
    EXPECT_EQ(f.meta_version, 1U);
    EXPECT_EQ(f.dtype, Dtype::Uint8);
    EXPECT_EQ(f.major_order, MajorOrder::Row);
    EXPECT_EQ(f.ndims, 3);
    EXPECT_EQ(f.dims[0], 480);
    EXPECT_EQ(f.dims[1], 640);
    EXPECT_EQ(f.dims[2], 3);
    EXPECT_EQ(f.resolved_strides[0], 1920);
    EXPECT_EQ(f.progress_unit, ProgressUnit::Rows);
    EXPECT_EQ(f.progress_stride_bytes, 1920U);
    EXPECT_EQ(f.payload.size(), GOLDEN_LEN);
    EXPECT_EQ(f.payload.data(), reader.view().pools[0].base + 64 + 5ULL * (1 << 20));
    EXPECT_TRUE(f.still_valid());
    // The slot being written (seq 6, even) is dropped.
    EXPECT_EQ(reader.read(test::TEST_EPOCH, 6, f), ReadResult::NotCommitted);
}

TEST(GoldenShm, W8_2_WriterReproducesGoldenSlotExactly) {
    REQUIRE_GOLDEN();
    test::RegionFixture fx(8, {{1, 1 << 20}});
    SlotClaim c = fx.writer().try_claim(5, GOLDEN_LEN);
    ASSERT_TRUE(c);
    const std::int32_t dims[] = {480, 640, 3};
    const std::int32_t strides[] = {1920, 3, 1};
    c.set_dtype(Dtype::Uint8).set_major_order(MajorOrder::Row).set_shape(dims).set_strides(strides);
    c.set_progress(ProgressUnit::Rows, 1920).set_timestamp_ns(1234567890123456ULL).set_meta_version(1);
    ASSERT_EQ(fx.writer().commit(std::move(c)), CommitResult::Ok);
    const Golden committed = load("SlotHeader__committed_seq5");
    EXPECT_EQ(std::memcmp(fx.slot(5), committed.bin.data(), S::SLOT_BYTES), 0);
}

TEST(GoldenShm, D08_CreatedSuperblocksMatchGoldenImages) {
    REQUIRE_GOLDEN();
    tp::test::TempDir dir;
    LayoutConfig cfg;
    cfg.base_dir = dir.path();
    cfg.user = "golden";
    auto layout = ShmLayout::create(cfg);
    ASSERT_TRUE(layout);
    // Golden: epoch 3, stream 10000, 1024 slots, pool 1 of 1 MiB, pid 4242 (the pool file is sparse).
    auto created = layout->create_regions({10000, 3, 1024, {{1, 1 << 20}}, 4242}, 1234501890123456ULL);
    ASSERT_TRUE(created) << created.error().to_string();
    store_activity_timestamp(created->header.data(), 1234567890123456ULL);
    store_activity_timestamp(created->pools[0].data(), 1234567890123456ULL);
    EXPECT_EQ(std::memcmp(created->header.data(), load("ShmRegionSuperblock__header_ring").bin.data(), 64), 0);
    EXPECT_EQ(std::memcmp(created->pools[0].data(), load("ShmRegionSuperblock__payload_pool").bin.data(), 64), 0);
}

} // namespace
} // namespace tp::shm
