"""Emits the JSON reflection of one schema: <ns>_json.hpp declares, per message, `to_json(decoder)`
and `fill_from_json(fields, encoder, error)`; <ns>_json.cpp defines them over src/codec/json_support.hpp.
Keys are the schema's field names, in schema order (golden README conventions)."""

from __future__ import annotations

from cpp_codec import composite_fields
from cpp_common import HEADER_BANNER, Writer, field_cpp_type
from model import Schema, pascal_case, snake_case


def _fixed_composites(schema: Schema):
    return [c for c in schema.composites if c.var_data_parts() is None]


def generate_json_header(schema: Schema, source: str) -> str:
    w = Writer()
    w.line("// SPDX-License-Identifier: Apache-2.0")
    w.line(HEADER_BANNER.format(source=source))
    w.line("#pragma once")
    w.line()
    w.line('#include "codec/json_support.hpp"')
    w.line(f'#include "tensorpool/codec/{schema.namespace}.hpp"')
    w.line()
    w.line("#include <string>")
    w.line()
    w.line(f"namespace tp::codec::{schema.namespace} {{")
    w.line()
    for c in _fixed_composites(schema):
        cls = pascal_case(c.name)
        w.line(f"/// The {c.name} composite as a JSON object.")
        w.line(f"[[nodiscard]] auto to_json(const {cls}& composite) -> Json;")
        w.line(f"/// Sets every member of a {c.name} composite from a JSON object; false with `error` set otherwise.")
        w.line(f"[[nodiscard]] auto fill_from_json(const Json& fields, {cls}& composite, std::string& error) -> bool;")
        w.line()
    for m in schema.messages:
        w.line(f"/// Decodes the rest of a {m.name} freshly wrapped for decoding into a JSON object of its fields,")
        w.line("/// groups and var data in schema order. Check decoder.ok() afterwards: on a bounds failure the")
        w.line("/// remaining groups and var data read as empty.")
        w.line(f"[[nodiscard]] auto to_json({m.name}& decoder) -> Json;")
        w.line(f"/// Sets every field, group and var data of a {m.name} wrapped for encoding from a JSON object")
        w.line("/// keyed by field name. False with `error` set on a missing, unknown or invalid member or when")
        w.line("/// the encoding does not fit the buffer.")
        w.line(f"[[nodiscard]] auto fill_from_json(const Json& fields, {m.name}& encoder, std::string& error) -> bool;")
        w.line()
    w.line(f"}} // namespace tp::codec::{schema.namespace}")
    return w.text()


# ---- to_json -----------------------------------------------------------------------------------------

def _field_to_json(w: Writer, f, var: str):
    n = snake_case(f.name)
    key = f'j["{f.name}"]'
    if f.kind == "constant":
        w.line(f"{key} = json_detail::value_json({var}.{n}());")
    elif f.kind == "scalar":
        val = f"json_detail::value_json({var}.{n}())"
        w.line(f"{key} = {var}.{n}_is_null() ? Json(nullptr) : {val};" if f.optional else f"{key} = {val};")
    elif f.kind == "enum":
        val = f"json_detail::enum_json({var}.{n}(), {var}.{n}_raw())"
        w.line(f"{key} = {var}.{n}_is_null() ? Json(nullptr) : {val};" if f.optional else f"{key} = {val};")
    elif f.kind == "array":
        with w.block("{"):
            w.line("Json a = Json::array();")
            with w.block(f"for (std::size_t i = 0; i < {f.length}; ++i) {{"):
                w.line(f"a.push_back(json_detail::value_json({var}.{n}(i)));")
            w.line(f"{key} = std::move(a);")
    elif f.kind == "composite":
        w.line(f"{key} = to_json({var}.{n}());")


def _to_json_body(w: Writer, container, var: str):
    w.line("Json j = Json::object();")
    for f in container.fields:
        _field_to_json(w, f, var)
    for g in container.groups:
        with w.block("{"):
            w.line("Json a = Json::array();")
            w.line(f"auto& g = {var}.{snake_case(g.name)}();")
            with w.block("while (g.has_next()) {"):
                w.line("a.push_back(entry_to_json(g.next()));")
            w.line(f'j["{g.name}"] = std::move(a);')
    for d in container.data:
        fn = "text_json" if d.type.is_ascii else "hex_json"
        w.line(f'j["{d.name}"] = json_detail::{fn}({var}.{snake_case(d.name)}());')
    w.line("return j;")


# ---- fill_from_json ----------------------------------------------------------------------------------

def _keys(container):
    return [f.name for f in container.fields] + [g.name for g in container.groups] + [d.name for d in container.data]


def _field_from_json(w: Writer, f, var: str, owner: str):
    n = snake_case(f.name)
    t = field_cpp_type(f)
    if f.kind == "constant":
        return  # occupies no bytes; accepted and ignored
    with w.block("{"):
        if f.kind == "scalar":
            w.line(f"{t} v{{}};")
            if f.optional:
                w.line(f'if (!json_detail::get_optional(j, "{f.name}", OWNER, {var}.{n}_null_value(), v, error)) {{')
            else:
                w.line(f'if (!json_detail::get_value(j, "{f.name}", OWNER, v, error)) {{')
            w.line("    return false;")
            w.line("}")
            w.line(f"{var}.{n}(v);")
        elif f.kind == "enum":
            w.line(f"{f.primitive.cpp} v{{}};")
            opt = "true" if f.optional else "false"
            w.line(f'if (!json_detail::get_enum<{t}>(j, "{f.name}", OWNER, {opt}, {var}.{n}_null_value(), v, error)) {{')
            w.line("    return false;")
            w.line("}")
            w.line(f"{var}.{n}_raw(v);")
        elif f.kind == "array":
            w.line(f"std::array<{t}, {f.length}> v{{}};")
            w.line(f'if (!json_detail::get_array(j, "{f.name}", OWNER, v, error)) {{')
            w.line("    return false;")
            w.line("}")
            with w.block(f"for (std::size_t i = 0; i < {f.length}; ++i) {{"):
                w.line(f"{var}.{n}(i, v[i]);")
        elif f.kind == "composite":
            w.line(f'const Json* v = json_detail::member(j, "{f.name}", OWNER, error);')
            w.line(f"auto c = {var}.{n}();")
            w.line("if (v == nullptr || !fill_from_json(*v, c, error)) {")
            w.line("    return false;")
            w.line("}")


def _from_json_body(w: Writer, container, var: str, owner: str, is_message: bool):
    keys = _keys(container)
    w.line(f'constexpr std::string_view OWNER = "{owner}";')
    if keys:
        w.line(f"static constexpr std::array<std::string_view, {len(keys)}> KEYS{{"
               + ", ".join(f'"{k}"' for k in keys) + "};")
        w.line("if (!json_detail::check_object(j, KEYS, OWNER, error)) {")
    else:
        w.line("if (!json_detail::check_object(j, {}, OWNER, error)) {")
    w.line("    return false;")
    w.line("}")
    for f in container.fields:
        _field_from_json(w, f, var, owner)
    for g in container.groups:
        with w.block("{"):
            w.line("const Json* a = nullptr;")
            w.line(f'if (!json_detail::get_group(j, "{g.name}", OWNER, a, error)) {{')
            w.line("    return false;")
            w.line("}")
            w.line(f"auto& g = {var}.{snake_case(g.name)}_count(a->size());")
            with w.block("for (const Json& item : *a) {"):
                w.line("if (!entry_from_json(item, g.next(), error)) {")
                w.line("    return false;")
                w.line("}")
    for d in container.data:
        n = snake_case(d.name)
        with w.block("{"):
            w.line("std::string_view v;")
            if d.type.is_ascii:
                w.line(f'if (!json_detail::get_text(j, "{d.name}", OWNER, v, error)) {{')
                w.line("    return false;")
                w.line("}")
                w.line(f"{var}.put_{n}(v);")
            else:
                w.line(f'if (!json_detail::get_hex(j, "{d.name}", OWNER, v, error)) {{')
                w.line("    return false;")
                w.line("}")
                w.line(f"json_detail::hex_decode(v, {var}.claim_{n}(v.size() / 2));")
    if is_message:
        with w.block(f"if (!{var}.ok()) {{"):
            w.line("error = std::string(OWNER) + \": \" + std::string(to_string(" + var + ".error()));")
            w.line("return false;")
    w.line("return true;")


def _emit_entry_functions(w: Writer, g, cls: str, owner: str):
    path = f"{cls}::{pascal_case(g.name)}"
    gowner = f"{owner}.{g.name}"
    for sub in g.groups:
        _emit_entry_functions(w, sub, path, gowner)
    with w.block(f"auto entry_to_json({path}& d) -> Json {{"):
        _to_json_body(w, g, "d")
    w.line()
    with w.block(f"auto entry_from_json(const Json& j, {path}& e, std::string& error) -> bool {{"):
        _from_json_body(w, g, "e", gowner, False)
    w.line()


def generate_json_source(schema: Schema, source: str) -> str:
    w = Writer()
    w.line("// SPDX-License-Identifier: Apache-2.0")
    w.line(HEADER_BANNER.format(source=source))
    w.line(f'#include "tensorpool/codec/{schema.namespace}_json.hpp"')
    w.line()
    w.line("#include <array>")
    w.line("#include <string_view>")
    w.line("#include <utility>")
    w.line()
    w.line(f"namespace tp::codec::{schema.namespace} {{")
    w.line()
    for c in _fixed_composites(schema):
        cls = pascal_case(c.name)
        fields = composite_fields(c)
        holder = type("Holder", (), {"fields": fields, "groups": [], "data": []})
        with w.block(f"auto to_json(const {cls}& composite) -> Json {{"):
            _to_json_body(w, holder, "composite")
        w.line()
        with w.block(f"auto fill_from_json(const Json& j, {cls}& composite, std::string& error) -> bool {{"):
            _from_json_body(w, holder, "composite", c.name, False)
        w.line()
    w.line("namespace {")
    w.line()
    for m in schema.messages:
        for g in m.groups:
            _emit_entry_functions(w, g, m.name, m.name)
    w.line("} // namespace")
    w.line()
    for m in schema.messages:
        with w.block(f"auto to_json({m.name}& decoder) -> Json {{"):
            _to_json_body(w, m, "decoder")
        w.line()
        with w.block(f"auto fill_from_json(const Json& j, {m.name}& encoder, std::string& error) -> bool {{"):
            _from_json_body(w, m, "encoder", m.name, True)
        w.line()
    w.line(f"}} // namespace tp::codec::{schema.namespace}")
    return w.text()
