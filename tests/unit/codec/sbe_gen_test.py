#!/usr/bin/env python3
"""Unit tests of tools/sbe_gen: layout rules, field-level attributes, §3 tags groups, padding and
the refusals. Run by CTest: python3 -B sbe_gen_test.py <repo root>."""

import os
import sys
import tempfile
import unittest

ROOT = sys.argv.pop(1) if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "..")
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "tools", "sbe_gen"))

import cpp_codec  # noqa: E402
import model  # noqa: E402

HEADER = """
  <composite name="messageHeader">
    <type name="blockLength" primitiveType="uint16"/><type name="templateId" primitiveType="uint16"/>
    <type name="schemaId" primitiveType="uint16"/><type name="version" primitiveType="uint16"/>
  </composite>
  <composite name="groupSizeEncoding">
    <type name="blockLength" primitiveType="uint16"/><type name="numInGroup" primitiveType="uint16"/>
  </composite>
  <composite name="varAsciiEncoding">
    <type name="length" primitiveType="uint32" maxValue="1073741824"/>
    <type name="varData" primitiveType="uint8" length="0"/>
  </composite>
"""


def load(body: str, types: str = "", headerless=()):
    text = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sbe:messageSchema xmlns:sbe="http://fixprotocol.io/2016/sbe" package="test.pkg" id="77" version="1">\n'
            f"<types>{HEADER}{types}</types>\n{body}\n</sbe:messageSchema>\n")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "test-schema.xml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return model.load_schema(path, set(headerless))


class Layout(unittest.TestCase):
    def test_declaration_order_and_unaligned_offsets(self):
        s = load('<sbe:message name="M" id="1"><field name="a" id="9" type="uint32"/>'
                 '<field name="b" id="1" type="uint64"/><field name="c" id="2" type="uint8"/></sbe:message>')
        m = s.messages[0]
        self.assertEqual([(f.name, f.offset) for f in m.fields], [("a", 0), ("b", 4), ("c", 12)])
        self.assertEqual(m.block_length, 13)
        self.assertEqual(s.namespace, "pkg")
        self.assertEqual(s.stem, "test")

    def test_explicit_block_length_leaves_zeroed_padding(self):
        s = load('<sbe:message name="M" id="1" blockLength="16"><field name="a" id="1" type="uint32"/></sbe:message>')
        m = s.messages[0]
        self.assertEqual(m.block_length, 16)
        self.assertEqual(cpp_codec.padding_offset(m.fields), 4)
        header = cpp_codec.generate_codec_header(s, "test")
        self.assertIn("SBE_BLOCK_LENGTH = 16;", header)
        self.assertIn("SBE_PADDING_OFFSET = 4;", header)

    def test_block_length_below_the_fields_is_refused(self):
        with self.assertRaises(model.SchemaError):
            load('<sbe:message name="M" id="1" blockLength="3"><field name="a" id="1" type="uint32"/></sbe:message>')

    def test_field_level_length_and_null_value(self):
        s = load('<sbe:message name="M" id="1"><field name="t" id="1" type="uint64" presence="optional" '
                 'nullValue="0"/><field name="pad" id="2" type="uint8" length="5"/>'
                 '<field name="o" id="3" type="int32" presence="optional"/></sbe:message>')
        t, pad, o = s.messages[0].fields
        self.assertTrue(t.optional)
        self.assertEqual(t.null_value, 0)
        self.assertEqual((pad.kind, pad.length, pad.size, pad.offset), ("array", 5, 5, 8))
        self.assertEqual(o.null_value, -(2 ** 31))
        self.assertEqual(s.messages[0].block_length, 17)

    def test_constants_take_no_space(self):
        s = load('<sbe:message name="M" id="1"><field name="k" id="1" type="K"/>'
                 '<field name="a" id="2" type="uint8"/></sbe:message>',
                 '<type name="K" primitiveType="uint8" presence="constant">8</type>')
        k, a = s.messages[0].fields
        self.assertEqual((k.kind, k.size, a.offset), ("constant", 0, 0))


class Groups(unittest.TestCase):
    def test_tags_shaped_group(self):
        s = load('<sbe:message name="M" id="1"><group name="tags" id="1">'
                 '<field name="tag" id="1" type="varAsciiEncoding"/></group></sbe:message>')
        g = s.messages[0].groups[0]
        self.assertTrue(g.var_entry)
        self.assertEqual(g.block_length, 0)
        self.assertEqual([d.name for d in g.data], ["tag"])
        self.assertTrue(g.data[0].type.is_ascii)  # varAsciiEncoding is text even without characterEncoding
        self.assertEqual(cpp_codec.min_entry_extra(g), 4)
        self.assertTrue(cpp_codec.has_var_entry_group(s.messages[0]))

    def test_var_field_beside_other_members_is_refused(self):
        with self.assertRaises(model.SchemaError):
            load('<sbe:message name="M" id="1"><group name="g" id="1"><field name="a" id="1" type="uint8"/>'
                 '<field name="tag" id="2" type="varAsciiEncoding"/></group></sbe:message>')

    def test_nested_group_entry_extra(self):
        s = load('<sbe:message name="M" id="1"><group name="g" id="1"><field name="a" id="1" type="uint16"/>'
                 '<group name="h" id="2"><field name="b" id="1" type="uint8"/></group>'
                 '<data name="d" id="3" type="varAsciiEncoding"/></group></sbe:message>')
        g = s.messages[0].groups[0]
        self.assertFalse(g.var_entry)
        self.assertEqual(g.block_length, 2)
        self.assertEqual(cpp_codec.min_entry_extra(g), 8)


class Refusals(unittest.TestCase):
    def test_fields_after_data(self):
        with self.assertRaises(model.SchemaError):
            load('<sbe:message name="M" id="1"><data name="d" id="1" type="varAsciiEncoding"/>'
                 '<field name="a" id="2" type="uint8"/></sbe:message>')

    def test_since_version(self):
        with self.assertRaises(model.SchemaError):
            load('<sbe:message name="M" id="1"><field name="a" id="1" type="uint8" sinceVersion="2"/></sbe:message>')

    def test_name_colliding_with_the_flyweight_api(self):
        s = load('<sbe:message name="M" id="1"><field name="ok" id="1" type="uint8"/></sbe:message>')
        with self.assertRaises(model.SchemaError):
            cpp_codec.generate_codec_header(s, "test")

    def test_enum_value_equal_to_null(self):
        with self.assertRaises(model.SchemaError):
            load('<sbe:message name="M" id="1"><field name="e" id="1" type="E"/></sbe:message>',
                 '<enum name="E" encodingType="uint8"><validValue name="X">255</validValue></enum>')


class Malformed(unittest.TestCase):
    def test_broken_xml_is_a_schema_error(self):
        with self.assertRaises(model.SchemaError):
            load('<sbe:message name="M" id="1"><field name="a" id="1" type="uint8"></sbe:message>')


class Naming(unittest.TestCase):
    def test_snake_case(self):
        self.assertEqual(model.snake_case("streamId"), "stream_id")
        self.assertEqual(model.snake_case("payloadCrc32c"), "payload_crc32c")
        self.assertEqual(model.snake_case("headerNslots"), "header_nslots")
        self.assertEqual(model.snake_case("URIValue"), "uri_value")


if __name__ == "__main__":
    unittest.main(verbosity=1)
