#!/usr/bin/env python3
"""TensorPool SBE code generator (Python 3 standard library only).

Turns the schemas in schemas/*.xml into C++20 flyweight codecs and their companions:

  <out>/tensorpool/codec/<ns>.hpp        flyweights (enums, composites, messages, groups, var data)
  <out>/tensorpool/codec/<ns>_json.hpp   JSON reflection declarations   (+ <ns>_json.cpp)
  <out>/tensorpool/codec/registry.hpp    every message type: ids, names, validate, visit_message_type
  <out>/tensorpool/codec/json_all.hpp    includes every <ns>_json.hpp
  <out>/tensorpool/codec/samples.hpp/.cpp   deterministic sample encoders and checkers

<ns> is the last component of the schema package (shm.tensorpool.control -> control), and the C++
namespace is tp::codec::<ns>. Run by CMake at build time; outputs stay in the build tree.

Usage: sbe_gen.py --out DIR [--list-outputs] [--headerless Message ...] schema.xml...
"""

from __future__ import annotations

import argparse
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cpp_codec import generate_codec_header  # noqa: E402
from cpp_json import generate_json_header, generate_json_source  # noqa: E402
from cpp_registry import generate_json_all_header, generate_registry_header  # noqa: E402
from cpp_samples import generate_samples_header, generate_samples_source  # noqa: E402
from model import SchemaError, load_schema  # noqa: E402

# SPEC_DECISIONS §2: the two SHM layouts read and written without a message header.
DEFAULT_HEADERLESS = ("ShmRegionSuperblock", "SlotHeader")


def outputs_for(schemas) -> list:
    files = []
    for s in schemas:
        files += [f"{s.namespace}.hpp", f"{s.namespace}_json.hpp", f"{s.namespace}_json.cpp"]
    files += ["registry.hpp", "json_all.hpp", "samples.hpp", "samples.cpp"]
    return [os.path.join("tensorpool", "codec", f) for f in files]


def write_if_changed(path: str, text: str):
    """Leaves unchanged files alone so dependent objects are not rebuilt needlessly."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return  # the build tool's restat sees the unchanged file and rebuilds nothing
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output root (gets tensorpool/codec/...)")
    ap.add_argument("--list-outputs", action="store_true", help="print the files that would be written")
    ap.add_argument("--headerless", nargs="*", default=list(DEFAULT_HEADERLESS),
                    help="messages stored without a message header")
    ap.add_argument("schemas", nargs="+")
    args = ap.parse_args(argv)

    try:
        schemas = [load_schema(p, set(args.headerless)) for p in sorted(args.schemas)]
        seen = {}
        for s in schemas:
            for key, what in ((s.id, "id"), (s.namespace, "namespace"), (s.stem, "file stem")):
                if (what, key) in seen:
                    raise SchemaError(f"{s.path}: schema {what} {key} also used by {seen[(what, key)]}")
                seen[(what, key)] = s.path
        if args.list_outputs:
            for o in outputs_for(schemas):
                print(os.path.join(args.out, o).replace(os.sep, "/"))
            return 0
        files = {}
        for s in schemas:
            src = "schemas/" + os.path.basename(s.path)
            files[f"{s.namespace}.hpp"] = generate_codec_header(s, src)
            files[f"{s.namespace}_json.hpp"] = generate_json_header(s, src)
            files[f"{s.namespace}_json.cpp"] = generate_json_source(s, src)
        files["registry.hpp"] = generate_registry_header(schemas)
        files["json_all.hpp"] = generate_json_all_header(schemas)
        files["samples.hpp"] = generate_samples_header(schemas)
        files["samples.cpp"] = generate_samples_source(schemas)
    except SchemaError as exc:
        print(f"sbe_gen: error: {exc}", file=sys.stderr)
        return 1
    for name, text in files.items():
        write_if_changed(os.path.join(args.out, "tensorpool", "codec", name), text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
