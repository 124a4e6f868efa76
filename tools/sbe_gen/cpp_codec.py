"""Emits one C++20 flyweight header per schema: enums, fixed composites, messages with their groups
and var data, and a `transcode` copy per message (decoder -> encoder, used by tools and fuzzing).

Accessor naming: the schema's camelCase names become snake_case (`streamId` -> `stream_id()` /
`stream_id(v)`). See docs/CODEC.md for the full API.
"""

from __future__ import annotations

from cpp_common import (GROUP_RESERVED, HEADER_BANNER, MESSAGE_RESERVED, Writer, check_member_names,
                        field_cpp_type, int_literal, value_literal)
from model import Composite, EncodedType, Enum, Field, Group, Message, Schema, SchemaError, pascal_case, snake_case


def composite_fields(comp: Composite) -> list:
    """A fixed composite's members as Fields with offsets, so accessors are emitted like a block's."""
    fields, offset = [], 0
    for m in comp.members:
        if isinstance(m, EncodedType):
            f = Field(name=m.name, id=0, kind="scalar", offset=offset, primitive=m.primitive, type_name=m.name)
            if m.presence == "constant":
                f.kind, f.constant_value = "constant", m.constant_value
            else:
                if m.length < 1:
                    raise SchemaError(f"composite {comp.name}: var-length member {m.name} in a fixed composite")
                f.kind = "array" if m.length > 1 else "scalar"
                f.length = m.length
                f.optional = m.presence == "optional"
                f.null_value = m.null_value if m.null_value is not None else m.primitive.default_null
        else:
            name, enum = m
            f = Field(name=name, id=0, kind="enum", offset=offset, primitive=enum.primitive, enum=enum,
                      null_value=enum.null_value)
        fields.append(f)
        offset += f.size
    return fields


def padding_offset(fields) -> int:
    return max((f.offset + f.size for f in fields), default=0)


def has_var_entry_group(container) -> bool:
    """True when a SPEC_DECISIONS §3 tags-shaped group occurs anywhere in the container."""
    return any(g.var_entry or has_var_entry_group(g) for g in container.groups)


def min_entry_extra(group: Group) -> int:
    """Smallest number of bytes an entry holds beyond its block: length prefixes and nested headers."""
    return sum(d.type.length_primitive.size for d in group.data) + 4 * len(group.groups)


# ---- enums ----------------------------------------------------------------------------------------

def emit_enum(w: Writer, e: Enum):
    prim = e.primitive
    w.line(f"/// {e.name} ({prim.name}){': ' + e.description if e.description else ''}.")
    with w.block(f"enum class {e.name} : {prim.cpp} {{", "};"):
        for name, val in e.values:
            w.line(f"{name} = {int_literal(val, prim)},")
        w.line(f"NULL_VALUE = {int_literal(prim.default_null, prim)}, ///< the encoding's null (absent)")
    w.line()
    w.line(f"/// True if `v` is one of {e.name}'s valid values (NULL_VALUE and unknown values are not).")
    with w.block(f"[[nodiscard]] constexpr auto is_known({e.name} v) noexcept -> bool {{"):
        with w.block("switch (v) {"):
            for name, _ in e.values:
                w.line(f"case {e.name}::{name}:")
            w.line("    return true;")
            w.line("default:")
            w.line("    return false;")
    w.line()
    w.line(f"/// The schema name of a valid {e.name} value, or an empty view.")
    with w.block(f"[[nodiscard]] constexpr auto to_string({e.name} v) noexcept -> std::string_view {{"):
        with w.block("switch (v) {"):
            for name, _ in e.values:
                w.line(f'case {e.name}::{name}: return "{name}";')
            w.line("default: return {};")
    w.line()
    w.line(f"/// Parses a {e.name} schema name; false (and `out` untouched) if unknown.")
    with w.block(f"[[nodiscard]] constexpr auto from_string(std::string_view name, {e.name}& out) noexcept -> bool {{"):
        for name, _ in e.values:
            with w.block(f'if (name == "{name}") {{'):
                w.line(f"out = {e.name}::{name};")
                w.line("return true;")
        w.line("return false;")
    w.line()


# ---- fields (shared by messages, group entries and composites) -----------------------------------

def emit_field(w: Writer, cls: str, f: Field, with_id: bool = True):
    n = snake_case(f.name)
    t = field_cpp_type(f)
    what = f"{f.name}" + (f" (id {f.id})" if with_id else "")
    if f.kind == "constant":
        lit = value_literal(f.constant_value, f.primitive)
        w.line(f"/// {what}: the constant {f.constant_value}; occupies no bytes.")
        w.line(f"[[nodiscard]] static constexpr auto {n}() noexcept -> {t} {{ return {lit}; }}")
    elif f.kind == "scalar":
        w.line(f"/// {what}: {f.primitive.name} at offset {f.offset}{' (optional)' if f.optional else ''}.")
        w.line(f"[[nodiscard]] auto {n}() const noexcept -> {t} {{ return get<{t}>({f.offset}); }}")
        w.line(f"/// Sets {f.name}.")
        with w.block(f"auto {n}({t} v) noexcept -> {cls}& {{"):
            w.line(f"put<{t}>({f.offset}, v);")
            w.line("return *this;")
        if f.optional:
            null_test = f"std::isnan({n}())" if f.primitive.is_float else f"{n}() == {n}_null_value()"
            w.line(f"/// True when {f.name} holds its null value ({f.null_value}).")
            w.line(f"[[nodiscard]] auto {n}_is_null() const noexcept -> bool {{ return {null_test}; }}")
            w.line(f"/// {f.name}, or nullopt at its null value.")
            with w.block(f"[[nodiscard]] auto {n}_opt() const noexcept -> std::optional<{t}> {{"):
                w.line(f"if ({n}_is_null()) {{")
                w.line("    return std::nullopt;")
                w.line("}")
                w.line(f"return {n}();")
            w.line(f"/// Sets {f.name}, or its null value for nullopt.")
            with w.block(f"auto {n}_opt(std::optional<{t}> v) noexcept -> {cls}& {{"):
                w.line(f"return {n}(v.has_value() ? *v : {n}_null_value());")
    elif f.kind == "enum":
        p = f.primitive.cpp
        w.line(f"/// {what}: {f.enum.name} ({f.primitive.name}) at offset {f.offset}"
               f"{' (optional)' if f.optional else ''}; may hold a value that is_known() rejects.")
        w.line(f"[[nodiscard]] auto {n}() const noexcept -> {t} {{ return static_cast<{t}>(get<{p}>({f.offset})); }}")
        w.line(f"/// {f.name} as its raw encoding.")
        w.line(f"[[nodiscard]] auto {n}_raw() const noexcept -> {p} {{ return get<{p}>({f.offset}); }}")
        w.line(f"/// Sets {f.name}.")
        with w.block(f"auto {n}({t} v) noexcept -> {cls}& {{"):
            w.line(f"put<{p}>({f.offset}, static_cast<{p}>(v));")
            w.line("return *this;")
        w.line(f"/// Sets {f.name} from a raw encoding (any value, known or not).")
        with w.block(f"auto {n}_raw({p} v) noexcept -> {cls}& {{"):
            w.line(f"put<{p}>({f.offset}, v);")
            w.line("return *this;")
        if f.optional:
            w.line(f"/// True when {f.name} holds its null value ({f.null_value}).")
            w.line(f"[[nodiscard]] auto {n}_is_null() const noexcept -> bool {{ return {n}_raw() == {n}_null_value(); }}")
    elif f.kind == "array":
        e = f.primitive.size
        w.line(f"/// {what}: {f.length} x {f.primitive.name} at offset {f.offset}. Out-of-range indexes read 0.")
        with w.block(f"[[nodiscard]] auto {n}(std::size_t index) const noexcept -> {t} {{"):
            w.line(f"return index < {f.length} ? get<{t}>({f.offset} + index * {e}) : {t}{{}};")
        w.line(f"/// Sets element `index` of {f.name}; out-of-range indexes are ignored.")
        with w.block(f"auto {n}(std::size_t index, {t} v) noexcept -> {cls}& {{"):
            with w.block(f"if (index < {f.length}) {{"):
                w.line(f"put<{t}>({f.offset} + index * {e}, v);")
            w.line("return *this;")
        w.line(f"/// Number of elements in {f.name}.")
        w.line(f"[[nodiscard]] static constexpr auto {n}_length() noexcept -> std::size_t {{ return {f.length}; }}")
        if f.primitive.size == 1:
            w.line(f"/// {f.name} as bytes (empty when the flyweight is not wrapped).")
            w.line(f"[[nodiscard]] auto {n}_bytes() const noexcept -> std::span<const std::uint8_t> "
                   f"{{ return block_bytes({f.offset}, {f.length}); }}")
            w.line(f"/// Copies up to {f.length} bytes into {f.name} and zero-fills the rest.")
            with w.block(f"auto put_{n}(std::span<const std::uint8_t> bytes) noexcept -> {cls}& {{"):
                w.line(f"put_block_bytes({f.offset}, {f.length}, bytes);")
                w.line("return *this;")
    elif f.kind == "composite":
        w.line(f"/// {what}: {f.composite.name} composite at offset {f.offset} (inert when not wrapped).")
        w.line(f"[[nodiscard]] auto {n}() const noexcept -> {t} {{ return {t}{{block_ptr({f.offset})}}; }}")
    else:
        raise SchemaError(f"{cls}.{f.name}: unknown field kind {f.kind}")
    if with_id:
        w.line(f"[[nodiscard]] static constexpr auto {n}_id() noexcept -> std::uint16_t {{ return {f.id}; }}")
    w.line(f"[[nodiscard]] static constexpr auto {n}_encoding_offset() noexcept -> std::size_t {{ return {f.offset}; }}")
    w.line(f"[[nodiscard]] static constexpr auto {n}_encoding_length() noexcept -> std::size_t {{ return {f.size}; }}")
    if f.kind in ("scalar", "array", "enum"):
        nv = f.null_value if f.null_value is not None else f.primitive.default_null
        w.line(f"[[nodiscard]] static constexpr auto {n}_null_value() noexcept -> {f.primitive.cpp} "
               f"{{ return {value_literal(nv, f.primitive)}; }}")
    w.line()


def emit_clear(w: Writer, cls: str, fields):
    w.line("/// Writes zero to every required field and the null value to every optional one (block only).")
    with w.block(f"auto clear() noexcept -> {cls}& {{"):
        for f in fields:
            n = snake_case(f.name)
            if f.kind == "scalar":
                w.line(f"{n}({n}_null_value());" if f.optional else f"{n}({field_cpp_type(f)}{{}});")
            elif f.kind == "enum":
                w.line(f"{n}_raw({n}_null_value());" if f.optional else f"{n}_raw({f.primitive.cpp}{{}});")
            elif f.kind == "array":
                with w.block(f"for (std::size_t i = 0; i < {f.length}; ++i) {{"):
                    w.line(f"{n}(i, {f.primitive.cpp}{{}});")
            elif f.kind == "composite":
                w.line(f"put_block_bytes({f.offset}, {f.size}, {{}});")
        w.line("return *this;")
    w.line()


# ---- var data and groups --------------------------------------------------------------------------

def emit_var_data(w: Writer, cls: str, d):
    n = snake_case(d.name)
    lt = d.type.length_primitive.cpp
    mx = f"{d.type.max_length}ULL"
    if d.type.is_ascii:
        w.line(f"/// {d.name} (id {d.id}): reads the text at the current position and moves past it.")
        w.line(f"[[nodiscard]] auto {n}() noexcept -> std::string_view {{ return detail::as_text(read_var<{lt}, {mx}>()); }}")
        w.line(f"/// Writes {d.name} at the current position (at most {d.type.max_length} bytes).")
        with w.block(f"auto put_{n}(std::string_view text) noexcept -> {cls}& {{"):
            w.line(f"write_var<{lt}, {mx}>(text.data(), text.size());")
            w.line("return *this;")
    else:
        w.line(f"/// {d.name} (id {d.id}): reads the bytes at the current position and moves past them.")
        w.line(f"[[nodiscard]] auto {n}() noexcept -> std::span<const std::uint8_t> {{ return read_var<{lt}, {mx}>(); }}")
        w.line(f"/// Writes {d.name} at the current position (at most {d.type.max_length} bytes).")
        with w.block(f"auto put_{n}(std::span<const std::uint8_t> bytes) noexcept -> {cls}& {{"):
            w.line(f"write_var<{lt}, {mx}>(bytes.data(), bytes.size());")
            w.line("return *this;")
    w.line(f"/// Writes the {d.name} length and returns its `n` bytes to fill in place (empty on failure).")
    w.line(f"[[nodiscard]] auto claim_{n}(std::size_t n) noexcept -> std::span<std::uint8_t> "
           f"{{ return claim_var<{lt}, {mx}>(n); }}")
    w.line(f"/// The {d.name} length prefix at the current position, without moving (0 if out of bounds).")
    w.line(f"[[nodiscard]] auto {n}_length() const noexcept -> std::uint64_t {{ return peek_var<{lt}>(); }}")
    w.line(f"/// Moves past {d.name}; returns its length.")
    w.line(f"auto skip_{n}() noexcept -> std::size_t {{ return read_var<{lt}, {mx}>().size(); }}")
    w.line(f"[[nodiscard]] static constexpr auto {n}_id() noexcept -> std::uint16_t {{ return {d.id}; }}")
    w.line(f"[[nodiscard]] static constexpr auto {n}_max_length() noexcept -> std::uint64_t {{ return {mx}; }}")
    w.line(f"[[nodiscard]] static constexpr auto {n}_header_length() noexcept -> std::size_t "
           f"{{ return {d.type.length_primitive.size}; }}")
    w.line()


def emit_group_accessors(w: Writer, g: Group):
    n = snake_case(g.name)
    c = pascal_case(g.name)
    w.line(f"/// {g.name} (id {g.id}) for decoding: reads the group header at the current position.")
    w.line(f"auto {n}() noexcept -> {c}& {{ return wrap_group_decode(m_{n}); }}")
    w.line(f"/// {g.name} for encoding: writes a header for `n` entries at the current position.")
    w.line(f"auto {n}_count(std::size_t n) noexcept -> {c}& {{ return wrap_group_encode(m_{n}, n); }}")
    w.line(f"[[nodiscard]] static constexpr auto {n}_id() noexcept -> std::uint16_t {{ return {g.id}; }}")
    w.line()


def emit_skip(w: Writer, container):
    w.line("/// Walks every group entry and var data from the current position, checking bounds; returns ok().")
    w.line("/// Call it on a freshly wrapped flyweight (or after reading only fixed fields).")
    with w.block("auto skip() noexcept -> bool {"):
        for g in container.groups:
            with w.block("{"):
                w.line(f"auto& g = {snake_case(g.name)}();")
                with w.block("while (g.has_next()) {"):
                    w.line("g.next().skip();")
        for d in container.data:
            w.line(f"skip_{snake_case(d.name)}();")
        w.line("return ok();")
    w.line()


def emit_group_class(w: Writer, g: Group, owner: str):
    c = pascal_case(g.name)
    check_member_names(f"{owner}.{g.name}", [f.name for f in g.fields] + [x.name for x in g.groups] +
                       [d.name for d in g.data], GROUP_RESERVED)
    kind = "tags-shaped (SPEC_DECISIONS §3) " if g.var_entry else ""
    w.line(f"/// {kind}group {g.name} (id {g.id}): entry block {g.block_length} bytes.")
    with w.block(f"class {c} : public GroupFlyweight<{c}> {{", "};"):
        w.access("public:")
        w.line(f"static constexpr std::uint16_t SBE_BLOCK_LENGTH = {g.block_length};")
        w.line(f"static constexpr bool SBE_VAR_ENTRY = {'true' if g.var_entry else 'false'};")
        w.line(f"static constexpr std::size_t SBE_MIN_ENTRY_EXTRA = {min_entry_extra(g)};")
        w.line()
        for sub in g.groups:
            emit_group_class(w, sub, f"{owner}.{g.name}")
        for f in g.fields:
            emit_field(w, c, f)
        for sub in g.groups:
            emit_group_accessors(w, sub)
        for d in g.data:
            emit_var_data(w, c, d)
        emit_skip(w, g)
        emit_clear(w, c, g.fields)
        if g.groups:
            w.access("private:")
            for sub in g.groups:
                w.line(f"{pascal_case(sub.name)} m_{snake_case(sub.name)}{{}};")
    w.line()


def emit_message(w: Writer, schema: Schema, m: Message):
    check_member_names(m.name, [f.name for f in m.fields] + [g.name for g in m.groups] + [d.name for d in m.data],
                       MESSAGE_RESERVED)
    desc = m.description or ("stored without a message header" if m.headerless else "")
    w.line(f"/// {m.name} (template {m.id}, block {m.block_length} bytes){': ' + desc if desc else ''}.")
    with w.block(f"class {m.name} : public MessageFlyweight<{m.name}> {{", "};"):
        w.access("public:")
        w.line(f"static constexpr std::uint16_t SBE_BLOCK_LENGTH = {m.block_length};")
        w.line(f"static constexpr std::uint16_t SBE_TEMPLATE_ID = {m.id};")
        w.line("static constexpr std::uint16_t SBE_SCHEMA_ID = SCHEMA_ID;")
        w.line("static constexpr std::uint16_t SBE_SCHEMA_VERSION = SCHEMA_VERSION;")
        w.line(f"static constexpr std::size_t SBE_PADDING_OFFSET = {padding_offset(m.fields)};")
        w.line(f"static constexpr bool SBE_HEADERLESS = {'true' if m.headerless else 'false'};")
        w.line("/// True when a §3 tags group occurs: it decodes blockLength 0 or 4 and always encodes 0.")
        w.line(f"static constexpr bool SBE_HAS_VAR_ENTRY_GROUP = {'true' if has_var_entry_group(m) else 'false'};")
        w.line(f'static constexpr std::string_view SBE_NAME = "{m.name}";')
        w.line()
        for g in m.groups:
            emit_group_class(w, g, m.name)
        for f in m.fields:
            emit_field(w, m.name, f)
        for g in m.groups:
            emit_group_accessors(w, g)
        for d in m.data:
            emit_var_data(w, m.name, d)
        emit_skip(w, m)
        emit_clear(w, m.name, m.fields)
        if m.groups:
            w.access("private:")
            for g in m.groups:
                w.line(f"{pascal_case(g.name)} m_{snake_case(g.name)}{{}};")
    w.line()


# ---- composites ------------------------------------------------------------------------------------

def emit_composite(w: Writer, comp: Composite):
    c = pascal_case(comp.name)
    fields = composite_fields(comp)
    size = padding_offset(fields)
    w.line(f"/// {comp.name} composite ({size} bytes){': ' + comp.description if comp.description else ''}.")
    with w.block(f"class {c} {{", "};"):
        w.access("public:")
        w.line(f"static constexpr std::size_t ENCODED_LENGTH = {size};")
        w.line(f"{c}() noexcept = default;")
        w.line("/// Views the composite at `base` (nullptr: inert, reads 0 and ignores writes).")
        w.line(f"explicit {c}(std::uint8_t* base) noexcept : m_base(base) {{}}")
        w.line(f"/// Wraps `buffer[offset, offset + {size})`; false (and inert) when it does not fit.")
        with w.block("auto wrap(void* buffer, std::size_t offset, std::size_t length) noexcept -> bool {"):
            w.line("const bool fits = buffer != nullptr && detail::remaining(offset, length) >= ENCODED_LENGTH;")
            w.line("m_base = fits ? static_cast<std::uint8_t*>(buffer) + offset : nullptr;")
            w.line("return fits;")
        w.line("/// Read-only wrap: never call a setter on a composite wrapped this way.")
        with w.block("auto wrap(const void* buffer, std::size_t offset, std::size_t length) noexcept -> bool {"):
            w.line("return wrap(const_cast<void*>(buffer), offset, length);")
        w.line("/// True when wrapped on enough bytes.")
        w.line("[[nodiscard]] auto valid() const noexcept -> bool { return m_base != nullptr; }")
        w.line("/// Copies every byte of `other` (both must be valid).")
        with w.block(f"auto copy_from(const {c}& other) noexcept -> {c}& {{"):
            with w.block("if (m_base != nullptr && other.m_base != nullptr) {"):
                w.line("std::memcpy(m_base, other.m_base, ENCODED_LENGTH);")
            w.line("return *this;")
        w.line()
        for f in fields:
            emit_field(w, c, f, with_id=False)
        w.access("private:")
        w.line("template <typename T>")
        w.line("[[nodiscard]] auto get(std::size_t at) const noexcept -> T { return m_base == nullptr ? T{} : "
               "detail::load<T>(m_base + at); }")
        w.line("template <typename T>")
        with w.block("void put(std::size_t at, T v) noexcept {"):
            with w.block("if (m_base != nullptr) {"):
                w.line("detail::store<T>(m_base + at, v);")
        w.line("[[nodiscard]] auto block_bytes(std::size_t at, std::size_t n) const noexcept -> "
               "std::span<const std::uint8_t> {")
        w.line("    return m_base == nullptr ? std::span<const std::uint8_t>{} : std::span<const std::uint8_t>{m_base + at, n};")
        w.line("}")
        with w.block("void put_block_bytes(std::size_t at, std::size_t n, std::span<const std::uint8_t> src) noexcept {"):
            with w.block("if (m_base == nullptr) {"):
                w.line("return;")
            w.line("const std::size_t k = src.size() < n ? src.size() : n;")
            with w.block("if (k != 0) {"):
                w.line("std::memcpy(m_base + at, src.data(), k);")
            w.line("std::memset(m_base + at + k, 0, n - k);")
        w.line("std::uint8_t* m_base{nullptr};")
    w.line()


# ---- transcode -------------------------------------------------------------------------------------

def _transcode_body(w: Writer, container, path: str):
    for f in container.fields:
        n = snake_case(f.name)
        if f.kind == "scalar":
            w.line(f"dst.{n}(src.{n}());")
        elif f.kind == "enum":
            w.line(f"dst.{n}_raw(src.{n}_raw());")
        elif f.kind == "array":
            with w.block(f"for (std::size_t i = 0; i < {f.length}; ++i) {{"):
                w.line(f"dst.{n}(i, src.{n}(i));")
        elif f.kind == "composite":
            w.line(f"dst.{n}().copy_from(src.{n}());")
    for g in container.groups:
        n = snake_case(g.name)
        with w.block("{"):
            w.line(f"auto& sg = src.{n}();")
            w.line(f"auto& dg = dst.{n}_count(sg.count());")
            with w.block("while (sg.has_next()) {"):
                w.line("auto& se = sg.next();")
                w.line("auto& de = dg.next();")
                w.line("transcode(se, de);")
    for d in container.data:
        n = snake_case(d.name)
        w.line(f"dst.put_{n}(src.{n}());")


def _emit_group_transcodes(w: Writer, g: Group, path: str):
    cls = f"{path}::{pascal_case(g.name)}"
    for sub in g.groups:
        _emit_group_transcodes(w, sub, cls)
    w.line(f"/// Copies the current {g.name} entry of `src` into the current entry of `dst`.")
    with w.block(f"inline void transcode({cls}& src, {cls}& dst) noexcept {{"):
        _transcode_body(w, g, cls)
    w.line()


def emit_transcode(w: Writer, m: Message):
    for g in m.groups:
        _emit_group_transcodes(w, g, m.name)
    w.line(f"/// Copies a {m.name} freshly wrapped for decoding into `dst` (wrapped for encoding): every")
    w.line("/// field (raw enum values), group and var data in order. True when both stayed ok.")
    with w.block(f"inline auto transcode({m.name}& src, {m.name}& dst) noexcept -> bool {{"):
        _transcode_body(w, m, m.name)
        w.line("return src.ok() && dst.ok();")
    w.line()


# ---- file -------------------------------------------------------------------------------------------

def generate_codec_header(schema: Schema, source: str) -> str:
    w = Writer()
    w.line("// SPDX-License-Identifier: Apache-2.0")
    w.line(HEADER_BANNER.format(source=source))
    w.line(f"// Schema {schema.id} version {schema.version}, package {schema.package}.")
    w.line("#pragma once")
    w.line()
    w.line('#include "codec/sbe_runtime.hpp"')
    w.line()
    for inc in ("cmath", "cstddef", "cstdint", "cstring", "limits", "optional", "span", "string_view"):
        w.line(f"#include <{inc}>")
    w.line()
    w.line(f"namespace tp::codec::{schema.namespace} {{")
    w.line()
    w.line(f"/// Schema id of {schema.package}.")
    w.line(f"inline constexpr std::uint16_t SCHEMA_ID = {schema.id};")
    w.line("/// Schema version this codec encodes (and the highest it decodes, SPEC_DECISIONS §2).")
    w.line(f"inline constexpr std::uint16_t SCHEMA_VERSION = {schema.version};")
    w.line("/// The schema's package name.")
    w.line(f'inline constexpr std::string_view SCHEMA_PACKAGE = "{schema.package}";')
    w.line()
    for e in schema.enums:
        emit_enum(w, e)
    for comp in schema.composites:
        if comp.var_data_parts() is None:
            emit_composite(w, comp)
    for m in schema.messages:
        emit_message(w, schema, m)
    for m in schema.messages:
        emit_transcode(w, m)
    w.line(f"}} // namespace tp::codec::{schema.namespace}")
    return w.text()
