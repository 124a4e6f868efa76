// SPDX-License-Identifier: Apache-2.0
#include "codec/golden_check.hpp"

#include "codec/dispatch.hpp"
#include "codec/message_json.hpp"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <span>
#include <string_view>
#include <system_error>

namespace tp::codec {

namespace {

auto read_file(const std::filesystem::path& path, std::string& out) -> bool {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return false;
    }
    out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return !in.bad();
}

auto show(const Json& v) -> std::string {
    std::string s = v.dump(-1, ' ', false, Json::error_handler_t::replace);
    if (s.size() > 120) {
        s.resize(117);
        s += "...";
    }
    return s;
}

/// Deep comparison, reporting each difference with its path; object key order must match too
/// (the golden README lists entries' members in schema order).
void compare(const Json& expected, const Json& actual, const std::string& path, std::vector<std::string>& failures) {
    if (expected.is_object() && actual.is_object()) {
        std::vector<std::string> expected_keys;
        std::vector<std::string> actual_keys;
        for (const auto& item : expected.items()) {
            expected_keys.push_back(item.key());
            const auto it = actual.find(item.key());
            if (it == actual.end()) {
                failures.push_back(path + "." + item.key() + ": missing from the decoded message");
            } else {
                compare(item.value(), *it, path + "." + item.key(), failures);
            }
        }
        for (const auto& item : actual.items()) {
            actual_keys.push_back(item.key());
            if (expected.find(item.key()) == expected.end()) {
                failures.push_back(path + "." + item.key() + ": decoded but not in the vector");
            }
        }
        if (expected_keys.size() == actual_keys.size() && expected_keys != actual_keys) {
            failures.push_back(path + ": members decoded in a different order");
        }
        return;
    }
    if (expected.is_array() && actual.is_array()) {
        if (expected.size() != actual.size()) {
            failures.push_back(path + ": " + std::to_string(expected.size()) + " elements expected, " +
                               std::to_string(actual.size()) + " decoded");
            return;
        }
        for (std::size_t i = 0; i < expected.size(); ++i) {
            compare(expected[i], actual[i], path + "[" + std::to_string(i) + "]", failures);
        }
        return;
    }
    // Numbers compare by value across signed/unsigned storage; types must otherwise agree
    // (a u64 as a number instead of a decimal string is a failure).
    if (expected != actual) {
        failures.push_back(path + ": expected " + show(expected) + ", decoded " + show(actual));
    }
}

auto hex_to_bytes(const Json& v, std::vector<std::uint8_t>& out) -> bool {
    if (!v.is_string()) {
        return false;
    }
    const std::string& s = v.get_ref<const std::string&>();
    if (s.size() % 2 != 0 ||
        !std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); })) {
        return false;
    }
    out.resize(s.size() / 2);
    json_detail::hex_decode(s, out);
    return true;
}

auto number_of(const Json& doc, const char* key, std::uint64_t& out) -> bool {
    const auto it = doc.find(key);
    return it != doc.end() && json_detail::parse_int(*it, out);
}

class Checker {
public:
    explicit Checker(GoldenReport& report) : m_report(report) {}

    void expect(bool ok, const std::string& what) {
        ++m_report.checks;
        if (!ok) {
            m_report.failures.push_back(what);
        }
    }

    /// Decodes `bytes` per `doc` (a top-level or embedded document) and compares fields; returns
    /// the decoded fields through `decoded`.
    auto check_decode(const Json& doc, std::span<const std::uint8_t> bytes, const std::string& where, Json& decoded)
        -> const MessageType* {
        const auto schema = doc.find("schema");
        const auto message = doc.find("message");
        if (schema == doc.end() || message == doc.end() || !schema->is_string() || !message->is_string()) {
            expect(false, where + ": document lacks schema/message");
            return nullptr;
        }
        const MessageType* type =
            find_message_type(schema->get_ref<const std::string&>(), message->get_ref<const std::string&>());
        expect(type != nullptr, where + ": no codec for " + show(*schema) + "/" + show(*message));
        if (type == nullptr) {
            return nullptr;
        }
        std::uint64_t schema_id = 0;
        std::uint64_t template_id = 0;
        std::uint64_t version = 0;
        std::uint64_t block_length = 0;
        std::uint64_t encoded_length = 0;
        expect(number_of(doc, "schemaId", schema_id) && schema_id == type->schema_id, where + ": schemaId");
        expect(number_of(doc, "templateId", template_id) && template_id == type->template_id, where + ": templateId");
        expect(number_of(doc, "version", version), where + ": version missing");
        expect(number_of(doc, "blockLength", block_length), where + ": blockLength missing");
        expect(number_of(doc, "encodedLength", encoded_length), where + ": encodedLength missing");
        const auto headerless_it = doc.find("headerless");
        const bool headerless = headerless_it != doc.end() && headerless_it->is_boolean() && headerless_it->get<bool>();
        expect(headerless == type->headerless, where + ": headerless flag differs from the codec's");

        std::size_t offset = 0;
        std::size_t acting_block_length = type->block_length;
        std::size_t acting_version = type->schema_version;
        if (!headerless) {
            MessageHeaderFields h{};
            const bool have = read_message_header(bytes.data(), 0, bytes.size(), h);
            expect(have, where + ": shorter than a message header");
            if (!have) {
                return nullptr;
            }
            expect(h.schema_id == schema_id && h.template_id == template_id && h.version == version &&
                       h.block_length == block_length,
                   where + ": message header differs from the document");
            offset = MESSAGE_HEADER_LENGTH;
            acting_block_length = h.block_length;
            acting_version = h.version;
        } else {
            expect(block_length == type->block_length, where + ": blockLength differs from the schema's");
        }
        std::size_t body_length = 0;
        const CodecError e =
            body_to_json(*type, bytes, offset, acting_block_length, acting_version, decoded, body_length);
        expect(e == CodecError::None, where + ": decode failed: " + std::string(to_string(e)));
        expect(offset + body_length == bytes.size(), where + ": decoded " + std::to_string(offset + body_length) +
                                                         " bytes of " + std::to_string(bytes.size()));
        expect(encoded_length == bytes.size(), where + ": encodedLength differs from the byte count");
        const auto fields = doc.find("fields");
        expect(fields != doc.end() && fields->is_object(), where + ": no fields object");
        if (fields != doc.end()) {
            compare(*fields, decoded, where + ".fields", m_report.failures);
            ++m_report.checks;
        }
        return type;
    }

    /// Encodes the document's field values and compares with `bytes`.
    void check_encode(const Json& doc, const MessageType& type, std::span<const std::uint8_t> bytes,
                      const std::string& where) {
        const auto fields = doc.find("fields");
        if (fields == doc.end()) {
            return;
        }
        std::vector<std::uint8_t> out(bytes.size() + 4096, 0xA5);
        const auto written = encode_from_json(type, *fields, out, !type.headerless);
        expect(written.has_value(), where + ": encode failed: " + (written ? std::string() : written.error().message));
        if (!written) {
            return;
        }
        expect(*written == bytes.size(),
               where + ": encoded " + std::to_string(*written) + " bytes, expected " + std::to_string(bytes.size()));
        const std::size_t n = std::min(*written, bytes.size());
        const auto diff = std::mismatch(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n), out.begin());
        expect(diff.first == bytes.begin() + static_cast<std::ptrdiff_t>(n),
               where + ": encoded bytes differ first at offset " + std::to_string(diff.first - bytes.begin()));
    }

private:
    GoldenReport& m_report;
};

} // namespace

auto list_golden_vectors(const std::filesystem::path& dir) -> std::vector<std::filesystem::path> {
    std::vector<std::filesystem::path> out;
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
        return out;
    }
    std::filesystem::recursive_directory_iterator it(dir, ec);
    const std::filesystem::recursive_directory_iterator end;
    for (; !ec && it != end; it.increment(ec)) {
        if (it->path().extension() == ".bin" && it->is_regular_file(ec)) {
            out.push_back(it->path());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

auto check_golden_vector(const std::filesystem::path& bin) -> GoldenReport {
    GoldenReport report;
    Checker check(report);
    std::string raw;
    std::string text;
    std::filesystem::path json_path = bin;
    json_path.replace_extension(".json");
    check.expect(read_file(bin, raw), "cannot read " + bin.string());
    check.expect(read_file(json_path, text), "cannot read " + json_path.string());
    if (!report.passed()) {
        return report;
    }
    const Json doc = Json::parse(text, nullptr, false);
    check.expect(!doc.is_discarded() && doc.is_object(), json_path.string() + ": not a JSON object");
    if (!report.passed()) {
        return report;
    }
    if (const auto s = doc.find("schema"); s != doc.end() && s->is_string()) {
        report.schema = s->get<std::string>();
    }
    if (const auto m = doc.find("message"); m != doc.end() && m->is_string()) {
        report.message = m->get<std::string>();
    }
    const std::span<const std::uint8_t> bytes{reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()};

    Json decoded;
    const MessageType* type = check.check_decode(doc, bytes, "decode", decoded);
    if (type == nullptr) {
        return report;
    }
    check.check_encode(doc, *type, bytes, "encode");

    // A varData field holding a whole SBE message (TensorHeader in headerBytes): decode it from the
    // bytes just decoded, compare, and encode it back.
    if (const auto embedded = doc.find("embedded"); embedded != doc.end() && embedded->is_object()) {
        for (const auto& item : embedded->items()) {
            const std::string where = "embedded." + item.key();
            std::vector<std::uint8_t> inner;
            const auto field = decoded.find(item.key());
            check.expect(field != decoded.end() && hex_to_bytes(*field, inner), where + ": no such bytes field");
            if (field == decoded.end()) {
                continue;
            }
            Json inner_decoded;
            const MessageType* inner_type = check.check_decode(item.value(), inner, where, inner_decoded);
            if (inner_type != nullptr) {
                check.check_encode(item.value(), *inner_type, inner, where + ".encode");
            }
        }
    }

    // Messages that travel with a header must also pass the dispatcher's checks (§2).
    if (!type->headerless) {
        std::size_t body_length = 0;
        const DispatchOutcome outcome = check_message(bytes, body_length);
        check.expect(outcome.result != DispatchResult::Dropped,
                     std::string("dispatch: dropped (") + std::string(to_string(outcome.reason)) + ")");
        check.expect(outcome.type == type, "dispatch: resolved a different message type");
    }
    return report;
}

} // namespace tp::codec
