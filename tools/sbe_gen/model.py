"""Schema model: parses an SBE XML message schema into plain Python objects with computed layout.

Only what TensorPool's schemas use is supported; anything else (sets, sinceVersion, non-standard
headers, big-endian byte order) stops generation with a clear error rather than being ignored.

Layout rules (SPEC_DECISIONS section 2): fields are laid out in declaration order; a message or group
block is the sum of its field sizes unless `blockLength` is given (then it must be at least that sum
and the remainder is zero padding). Field-level `length` turns a primitive field into an array of that
many elements and field-level `nullValue` / `presence` override the type's (D-05).
"""

from __future__ import annotations

import dataclasses
import os
import re
import xml.etree.ElementTree as ET
from typing import Optional

SBE_NS = "http://fixprotocol.io/2016/sbe"


class SchemaError(Exception):
    """A schema the generator cannot or will not translate."""


@dataclasses.dataclass(frozen=True)
class Primitive:
    name: str
    cpp: str
    size: int
    signed: bool
    is_float: bool = False
    is_char: bool = False

    @property
    def min_value(self) -> int:
        return -(1 << (self.size * 8 - 1)) if self.signed else 0

    @property
    def max_value(self) -> int:
        return (1 << (self.size * 8 - 1)) - 1 if self.signed else (1 << (self.size * 8)) - 1

    @property
    def default_null(self):
        """SBE's default null for an optional of this primitive."""
        if self.is_float:
            return "nan"
        if self.is_char:
            return 0
        return self.min_value if self.signed else self.max_value


PRIMITIVES = {
    "char": Primitive("char", "char", 1, True, is_char=True),
    "int8": Primitive("int8", "std::int8_t", 1, True),
    "uint8": Primitive("uint8", "std::uint8_t", 1, False),
    "int16": Primitive("int16", "std::int16_t", 2, True),
    "uint16": Primitive("uint16", "std::uint16_t", 2, False),
    "int32": Primitive("int32", "std::int32_t", 4, True),
    "uint32": Primitive("uint32", "std::uint32_t", 4, False),
    "int64": Primitive("int64", "std::int64_t", 8, True),
    "uint64": Primitive("uint64", "std::uint64_t", 8, False),
    "float": Primitive("float", "float", 4, True, is_float=True),
    "double": Primitive("double", "double", 8, True, is_float=True),
}


@dataclasses.dataclass
class EncodedType:
    """A <type>: scalar (length 1), fixed array (length > 1), var-data body (length 0) or constant."""

    name: str
    primitive: Primitive
    length: int = 1
    presence: str = "required"
    null_value: Optional[str] = None
    constant_value: Optional[str] = None
    max_value: Optional[str] = None
    character_encoding: Optional[str] = None
    description: str = ""


@dataclasses.dataclass
class Enum:
    name: str
    primitive: Primitive
    values: list  # [(name, int)]
    description: str = ""

    @property
    def null_value(self) -> int:
        return self.primitive.default_null


@dataclasses.dataclass
class Composite:
    name: str
    members: list  # [EncodedType | Enum-typed member as (name, Enum)]
    description: str = ""

    def var_data_parts(self):
        """(length type, body type) when this is a var-data composite, else None."""
        if len(self.members) != 2:
            return None
        length, body = self.members
        if isinstance(length, EncodedType) and isinstance(body, EncodedType) and body.length == 0:
            return length, body
        return None

    @property
    def size(self) -> int:
        total = 0
        for m in self.members:
            if isinstance(m, EncodedType):
                total += 0 if m.presence == "constant" else m.primitive.size * m.length
            else:
                total += m[1].primitive.size
        return total


@dataclasses.dataclass
class VarDataType:
    """A var-data composite resolved: length prefix primitive, max length and text-ness."""

    name: str
    length_primitive: Primitive
    max_length: int
    is_ascii: bool


@dataclasses.dataclass
class Field:
    name: str
    id: int
    kind: str  # "scalar" | "array" | "enum" | "constant" | "composite"
    offset: int = 0
    primitive: Optional[Primitive] = None
    length: int = 1  # elements for arrays
    optional: bool = False
    null_value: object = None  # python int / "nan" for optional fields, or the default null
    constant_value: Optional[str] = None
    enum: Optional[Enum] = None
    composite: Optional[Composite] = None
    type_name: str = ""
    description: str = ""

    @property
    def size(self) -> int:
        if self.kind == "constant":
            return 0
        if self.kind == "composite":
            return self.composite.size
        if self.kind == "enum":
            return self.enum.primitive.size
        return self.primitive.size * self.length


@dataclasses.dataclass
class VarData:
    name: str
    id: int
    type: VarDataType
    description: str = ""


@dataclasses.dataclass
class Group:
    name: str
    id: int
    block_length: int
    fields: list
    groups: list
    data: list
    # SPEC_DECISIONS section 3: a group whose only <field> is a var-data composite (discovery `tags`)
    # is encoded with blockLength 0; each entry is the var data alone. Decoders accept 0 or 4.
    var_entry: bool = False
    description: str = ""


@dataclasses.dataclass
class Message:
    name: str
    id: int
    block_length: int
    fields: list
    groups: list
    data: list
    headerless: bool = False
    description: str = ""


@dataclasses.dataclass
class Schema:
    path: str
    stem: str  # file name without "-schema.xml": the golden vectors' schema key
    package: str
    namespace: str  # last package component: tp::codec::<namespace>
    id: int
    version: int
    types: dict
    messages: list
    description: str = ""

    @property
    def enums(self):
        return [t for t in self.types.values() if isinstance(t, Enum)]

    @property
    def composites(self):
        return [t for t in self.types.values() if isinstance(t, Composite)]


def snake_case(name: str) -> str:
    """streamId -> stream_id, payloadCrc32c -> payload_crc32c, HTTPCode -> http_code."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


def pascal_case(name: str) -> str:
    """payloadPools -> PayloadPools, messageHeader -> MessageHeader."""
    return name[:1].upper() + name[1:]


def _local(tag: str) -> str:
    return tag.split("}", 1)[1] if tag.startswith("{") else tag


def _int(text: str, what: str) -> int:
    try:
        return int(text.strip(), 0)
    except (ValueError, AttributeError) as exc:
        raise SchemaError(f"{what}: not an integer: {text!r}") from exc


_UNSUPPORTED_ATTRS = ("sinceVersion", "deprecated", "valueRef", "offset")


def _check_attrs(el, what):
    for attr in _UNSUPPORTED_ATTRS:
        if el.get(attr) is not None:
            raise SchemaError(f"{what}: attribute {attr!r} is not supported by this generator")


class _Parser:
    def __init__(self, path: str, headerless: set):
        self.path = path
        self.headerless = headerless
        self.types: dict = {}

    def parse(self) -> Schema:
        try:
            root = ET.parse(self.path).getroot()
        except (ET.ParseError, OSError) as exc:
            raise SchemaError(f"{self.path}: {exc}") from exc
        if _local(root.tag) != "messageSchema":
            raise SchemaError(f"{self.path}: root element is not messageSchema")
        if root.get("byteOrder", "littleEndian") != "littleEndian":
            raise SchemaError(f"{self.path}: only littleEndian schemas are supported")
        package = root.get("package", "")
        if not package:
            raise SchemaError(f"{self.path}: messageSchema has no package")
        for types_el in root:
            if _local(types_el.tag) == "types":
                for el in types_el:
                    if not isinstance(el.tag, str):
                        continue  # comments
                    self._parse_type_decl(el)
        self._check_header()
        messages = []
        for el in root:
            if isinstance(el.tag, str) and _local(el.tag) == "message":
                messages.append(self._parse_message(el))
        ids = [m.id for m in messages]
        if len(set(ids)) != len(ids):
            raise SchemaError(f"{self.path}: duplicate message ids")
        base = os.path.basename(self.path)
        stem = base[: -len("-schema.xml")] if base.endswith("-schema.xml") else os.path.splitext(base)[0]
        return Schema(
            path=self.path,
            stem=stem,
            package=package,
            namespace=package.split(".")[-1],
            id=_int(root.get("id"), "schema id"),
            version=_int(root.get("version", "0"), "schema version"),
            types=self.types,
            messages=messages,
            description=root.get("description", ""),
        )

    # ---- types -------------------------------------------------------------------------------

    def _parse_type_decl(self, el):
        kind = _local(el.tag)
        name = el.get("name")
        if name in self.types:
            raise SchemaError(f"{self.path}: type {name!r} declared twice")
        if kind == "type":
            self.types[name] = self._parse_encoded_type(el)
        elif kind == "enum":
            self.types[name] = self._parse_enum(el)
        elif kind == "composite":
            members = []
            for m in el:
                if not isinstance(m.tag, str):
                    continue
                mk = _local(m.tag)
                if mk == "type":
                    members.append(self._parse_encoded_type(m))
                elif mk == "enum":
                    members.append((m.get("name"), self._parse_enum(m)))
                else:
                    raise SchemaError(f"{self.path}: composite {name}: <{mk}> members are not supported")
            self.types[name] = Composite(name, members, el.get("description", ""))
        else:
            raise SchemaError(f"{self.path}: <{kind}> ({name}) is not supported by this generator")

    def _parse_encoded_type(self, el) -> EncodedType:
        _check_attrs(el, f"type {el.get('name')}")
        prim_name = el.get("primitiveType")
        if prim_name not in PRIMITIVES:
            raise SchemaError(f"{self.path}: type {el.get('name')}: unknown primitiveType {prim_name!r}")
        presence = el.get("presence", "required")
        const = (el.text or "").strip() if presence == "constant" else None
        if presence == "constant" and not const:
            raise SchemaError(f"{self.path}: constant type {el.get('name')} has no value")
        return EncodedType(
            name=el.get("name"),
            primitive=PRIMITIVES[prim_name],
            length=_int(el.get("length", "1"), f"type {el.get('name')} length"),
            presence=presence,
            null_value=el.get("nullValue"),
            constant_value=const,
            max_value=el.get("maxValue"),
            character_encoding=el.get("characterEncoding"),
            description=el.get("description", ""),
        )

    def _parse_enum(self, el) -> Enum:
        enc = el.get("encodingType")
        if enc in PRIMITIVES:
            prim = PRIMITIVES[enc]
        elif isinstance(self.types.get(enc), EncodedType) and self.types[enc].length == 1:
            prim = self.types[enc].primitive
        else:
            raise SchemaError(f"{self.path}: enum {el.get('name')}: unsupported encodingType {enc!r}")
        values = []
        for v in el:
            if isinstance(v.tag, str) and _local(v.tag) == "validValue":
                text = (v.text or "").strip()
                val = ord(text) if prim.is_char and len(text) == 1 else _int(text, f"enum {el.get('name')}")
                if not prim.min_value <= val <= prim.max_value or val == prim.default_null:
                    raise SchemaError(f"{self.path}: enum {el.get('name')}: value {val} out of range")
                values.append((v.get("name"), val))
        if not values:
            raise SchemaError(f"{self.path}: enum {el.get('name')} has no values")
        return Enum(el.get("name"), prim, values, el.get("description", ""))

    def _check_header(self):
        """The message header must be the standard 4 x uint16 (the runtime reads it directly)."""
        hdr = self.types.get("messageHeader")
        expected = ["blockLength", "templateId", "schemaId", "version"]
        if not isinstance(hdr, Composite) or [m.name for m in hdr.members] != expected or any(
            m.primitive.name != "uint16" or m.length != 1 for m in hdr.members
        ):
            raise SchemaError(f"{self.path}: messageHeader must be blockLength, templateId, schemaId, version (uint16)")

    def var_data_type(self, type_name: str, what: str) -> VarDataType:
        comp = self.types.get(type_name)
        parts = comp.var_data_parts() if isinstance(comp, Composite) else None
        if parts is None:
            raise SchemaError(f"{self.path}: {what}: {type_name!r} is not a var-data composite")
        length, body = parts
        if length.primitive.signed or length.primitive.is_float:
            raise SchemaError(f"{self.path}: {what}: var-data length must be unsigned")
        max_len = _int(length.max_value, "maxValue") if length.max_value else length.primitive.max_value
        # Golden README: varAsciiEncoding is text in every schema, even without characterEncoding.
        is_ascii = body.character_encoding is not None or type_name == "varAsciiEncoding"
        return VarDataType(type_name, length.primitive, min(max_len, length.primitive.max_value), is_ascii)

    # ---- messages and groups -----------------------------------------------------------------

    def _parse_members(self, el, owner: str):
        fields, groups, data = [], [], []
        var_fields = []
        offset = 0
        for child in el:
            if not isinstance(child.tag, str):
                continue
            kind = _local(child.tag)
            name = child.get("name")
            what = f"{owner}.{name}"
            _check_attrs(child, what)
            if kind == "field":
                if groups or data:
                    raise SchemaError(f"{self.path}: {what}: fields must precede groups and data")
                tname = child.get("type")
                comp = self.types.get(tname)
                if isinstance(comp, Composite) and comp.var_data_parts() is not None:
                    var_fields.append(VarData(name, _int(child.get("id"), what), self.var_data_type(tname, what)))
                    continue
                f = self._parse_field(child, what, offset)
                fields.append(f)
                offset += f.size
            elif kind == "group":
                if data:
                    raise SchemaError(f"{self.path}: {what}: groups must precede data")
                groups.append(self._parse_group(child, what))
            elif kind == "data":
                data.append(VarData(name, _int(child.get("id"), what), self.var_data_type(child.get("type"), what)))
            else:
                raise SchemaError(f"{self.path}: {what}: <{kind}> is not supported")
        return fields, groups, data, var_fields, offset

    def _parse_field(self, el, what: str, offset: int) -> Field:
        tname = el.get("type")
        t = PRIMITIVES.get(tname) or self.types.get(tname)
        if t is None:
            raise SchemaError(f"{self.path}: {what}: unknown type {tname!r}")
        presence = el.get("presence")
        null_attr = el.get("nullValue")
        field_len = el.get("length")
        f = Field(name=el.get("name"), id=_int(el.get("id"), what), kind="scalar", offset=offset, type_name=tname,
                  description=el.get("description", ""))
        if isinstance(t, Primitive) or isinstance(t, EncodedType):
            et = t if isinstance(t, EncodedType) else EncodedType(tname, t)
            f.primitive = et.primitive
            if et.presence == "constant" or presence == "constant":
                if et.constant_value is None:
                    raise SchemaError(f"{self.path}: {what}: field-level constants are not supported")
                f.kind = "constant"
                f.constant_value = et.constant_value
                return f
            length = et.length
            if field_len is not None:
                # Golden README "The XML as written vs the generator": field-level length is honoured.
                if et.length != 1:
                    raise SchemaError(f"{self.path}: {what}: field-level length on an array type")
                length = _int(field_len, f"{what} length")
            if length < 1:
                raise SchemaError(f"{self.path}: {what}: variable-length type used as a field")
            f.kind = "array" if length > 1 else "scalar"
            f.length = length
            f.optional = (presence or et.presence) == "optional"
            null_text = null_attr if null_attr is not None else et.null_value
            f.null_value = self._null(null_text, f.primitive, what)
        elif isinstance(t, Enum):
            if field_len is not None:
                raise SchemaError(f"{self.path}: {what}: length on an enum field")
            f.kind = "enum"
            f.enum = t
            f.primitive = t.primitive
            f.optional = presence == "optional"
            f.null_value = self._null(null_attr, t.primitive, what)
        elif isinstance(t, Composite):
            if field_len is not None or presence is not None:
                raise SchemaError(f"{self.path}: {what}: length/presence on a composite field")
            f.kind = "composite"
            f.composite = t
        else:
            raise SchemaError(f"{self.path}: {what}: unsupported type {tname!r}")
        return f

    def _null(self, text, prim: Primitive, what: str):
        if text is None:
            return prim.default_null
        if prim.is_float:
            return text
        val = _int(text, f"{what} nullValue")
        if not prim.min_value <= val <= prim.max_value:
            raise SchemaError(f"{self.path}: {what}: nullValue {val} outside {prim.name}")
        return val

    def _block_length(self, el, natural: int, what: str) -> int:
        explicit = el.get("blockLength")
        if explicit is None:
            return natural
        bl = _int(explicit, f"{what} blockLength")
        if bl < natural:
            raise SchemaError(f"{self.path}: {what}: blockLength {bl} is smaller than its fields ({natural})")
        return bl

    def _parse_group(self, el, what: str) -> Group:
        if el.get("dimensionType", "groupSizeEncoding") != "groupSizeEncoding":
            raise SchemaError(f"{self.path}: {what}: only groupSizeEncoding dimensions are supported")
        dim = self.types.get("groupSizeEncoding")
        if not isinstance(dim, Composite) or [(m.name, m.primitive.name) for m in dim.members] != [
            ("blockLength", "uint16"), ("numInGroup", "uint16")]:
            raise SchemaError(f"{self.path}: {what}: groupSizeEncoding must be blockLength, numInGroup (uint16)")
        fields, groups, data, var_fields, natural = self._parse_members(el, what)
        var_entry = False
        if var_fields:
            # SPEC_DECISIONS section 3: only the discovery `tags` shape is accepted.
            if fields or groups or data or len(var_fields) != 1:
                raise SchemaError(f"{self.path}: {what}: a var-data <field> must be the group's only member")
            data = var_fields
            var_entry = True
        return Group(
            name=el.get("name"),
            id=_int(el.get("id"), what),
            block_length=self._block_length(el, natural, what),
            fields=fields,
            groups=groups,
            data=data,
            var_entry=var_entry,
            description=el.get("description", ""),
        )

    def _parse_message(self, el) -> Message:
        name = el.get("name")
        fields, groups, data, var_fields, natural = self._parse_members(el, name)
        if var_fields:
            raise SchemaError(f"{self.path}: {name}: var-data <field> outside a group")
        return Message(
            name=name,
            id=_int(el.get("id"), name),
            block_length=self._block_length(el, natural, name),
            fields=fields,
            groups=groups,
            data=data,
            headerless=name in self.headerless,
            description=el.get("description", ""),
        )


def load_schema(path: str, headerless: set) -> Schema:
    """Parses one schema file. `headerless` names messages stored without a message header."""
    return _Parser(path, headerless).parse()
