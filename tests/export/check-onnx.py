#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks what `dinomaly export --onnx/--triton` wrote, with Debian's
python3-onnx (run it with /usr/bin/python3), and prints a JSON summary
the C tests compare with what they expect.

  check-onnx.py model MODEL.onnx
      decodes the file with the onnx package (its own protobuf reader: the
      round trip of our writer), runs onnx.checker.check_model with
      full_check (types and shapes inferred through the whole graph),
      encodes the decoded model again and decodes that (it must be the
      same message, and as many bytes as our file: the same fields, each
      encoded in the fewest bytes), and prints the graph's inputs,
      outputs, operators, named initializers (with their dims) and
      metadata.

  check-onnx.py triton REPOSITORY NAME
      checks a Triton model folder: REPOSITORY/NAME/config.pbtxt (parsed
      as protobuf text format) against REPOSITORY/NAME/<version>/model.onnx:
      the name, the backend, the input and output names, types and dims
      (batch dimension left out, the score's [1] reshaped to []), and the
      parameters equal to the ONNX metadata.

Exits 1 with a message on the first problem.
"""
import collections
import hashlib
import json
import os
import re
import sys

import onnx
from onnx import checker, shape_inference


def fail(message):
    print(f"check-onnx: {message}", file=sys.stderr)
    sys.exit(1)


def dims_of(value_info):
    dims = []
    for d in value_info.type.tensor_type.shape.dim:
        dims.append(d.dim_param if d.HasField("dim_param") else d.dim_value)
    return dims


def summary(path):
    with open(path, "rb") as f:
        data = f.read()
    model = onnx.ModelProto()
    model.ParseFromString(data)
    checker.check_model(path, full_check=True)
    # full_check infers; do it here too so a failure names the value
    shape_inference.infer_shapes(model, check_type=True, strict_mode=True)

    again = model.SerializeToString()
    decoded = onnx.ModelProto()
    decoded.ParseFromString(again)
    if decoded != model:
        fail(f"{path}: the message changes when encoded and decoded again")
    if len(again) != len(data):
        fail(f"{path}: {len(data)} bytes, but the same message encodes in {len(again)}")

    graph = model.graph
    weights = hashlib.sha256()
    n_bytes = 0
    for t in graph.initializer:
        if t.data_type != onnx.TensorProto.FLOAT and t.data_type != onnx.TensorProto.INT64:
            fail(f"{path}: initializer {t.name} has data type {t.data_type}")
        weights.update(t.raw_data)
        n_bytes += len(t.raw_data)
    ops = collections.Counter(n.op_type for n in graph.node)
    return {
        "bytes": len(data),
        "ir_version": model.ir_version,
        "opset": {o.domain: o.version for o in model.opset_import},
        "producer": model.producer_name,
        "inputs": [{"name": v.name, "elem_type": v.type.tensor_type.elem_type, "dims": dims_of(v)}
                   for v in graph.input],
        "outputs": [{"name": v.name, "elem_type": v.type.tensor_type.elem_type, "dims": dims_of(v)}
                    for v in graph.output],
        "n_nodes": len(graph.node),
        "ops": dict(sorted(ops.items())),
        "n_initializers": len(graph.initializer),
        "initializer_bytes": n_bytes,
        # the named ones: weights and the computed constants (the
        # generated names of small constants hold a '/')
        "initializers": {t.name: list(t.dims) for t in graph.initializer if "/" not in t.name},
        "metadata": {p.key: p.value for p in model.metadata_props},
    }


# protobuf text format: enough of it for a Triton config (messages,
# lists, strings with C escapes, numbers, enum identifiers).
TOKEN = re.compile(r'\s*(?:#[^\n]*\n?\s*)*("(?:[^"\\]|\\.)*"|[{}\[\]:,]|[A-Za-z_][A-Za-z0-9_.]*|-?[0-9.]+)')


def tokens(text):
    pos = 0
    out = []
    text = text.rstrip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            rest = text[pos:].strip()
            if not rest or rest.startswith("#"):
                break
            fail(f"config.pbtxt: cannot read {text[pos:pos + 30]!r}")
        out.append(m.group(1))
        pos = m.end()
    return out


def unquote(token):
    raw = token[1:-1].encode("latin-1", "backslashreplace")
    # octal escapes are bytes of UTF-8 text
    return raw.decode("unicode_escape").encode("latin-1").decode("utf-8")


def parse_value(toks, i):
    t = toks[i]
    if t == "{":
        return parse_message(toks, i + 1, "}")
    if t == "[":
        items = []
        i += 1
        while toks[i] != "]":
            v, i = parse_value(toks, i)
            items.append(v)
            if toks[i] == ",":
                i += 1
        return items, i + 1
    if t.startswith('"'):
        return unquote(t), i + 1
    if re.fullmatch(r"-?[0-9]+", t):
        return int(t), i + 1
    return t, i + 1


def parse_message(toks, i, end):
    fields = collections.defaultdict(list)
    while i < len(toks) and toks[i] != end:
        key = toks[i]
        i += 1
        if toks[i] == ":":
            i += 1
        value, i = parse_value(toks, i)
        # a list value is the elements of a repeated field
        fields[key].extend(value if isinstance(value, list) and key not in ("dims", "shape") else [value])
        if i < len(toks) and toks[i] in (",", ";"):
            i += 1
    return dict(fields), i + 1


def one(fields, key, where):
    values = fields.get(key, [])
    if len(values) != 1:
        fail(f"{where}: {len(values)} values of {key}, 1 expected")
    return values[0]


def triton(repository, name):
    folder = os.path.join(repository, name)
    config_path = os.path.join(folder, "config.pbtxt")
    with open(config_path, encoding="utf-8") as f:
        config, _ = parse_message(tokens(f.read()), 0, None)
    versions = sorted(int(v) for v in os.listdir(folder) if v.isdigit())
    if not versions:
        fail(f"{folder}: no version folder")
    onnx_path = os.path.join(folder, str(versions[-1]), "model.onnx")
    model = summary(onnx_path)

    if one(config, "name", config_path) != name:
        fail(f"{config_path}: name is not the folder's name {name}")
    if one(config, "backend", config_path) != "onnxruntime":
        fail(f"{config_path}: not the onnxruntime backend")
    max_batch = one(config, "max_batch_size", config_path)
    if max_batch < 1:
        fail(f"{config_path}: max_batch_size {max_batch}: batching is expected")
    for kind in ("input", "output"):
        declared = config.get(kind, [])
        graph = model[kind + "s"]
        if [d["name"][0] for d in declared] != [g["name"] for g in graph]:
            fail(f"{config_path}: {kind} names {[d['name'][0] for d in declared]} "
                 f"but the model has {[g['name'] for g in graph]}")
        for d, g in zip(declared, graph):
            if one(d, "data_type", config_path) != "TYPE_FP32" or g["elem_type"] != onnx.TensorProto.FLOAT:
                fail(f"{config_path}: {g['name']} is not float32 on both sides")
            dims = one(d, "dims", config_path)
            reshape = d.get("reshape")
            shape = one(reshape[0], "shape", config_path) if reshape else dims
            if not isinstance(g["dims"][0], str):
                fail(f"{onnx_path}: {g['name']}'s first dimension is not the dynamic batch")
            if list(shape) != list(g["dims"][1:]):
                fail(f"{config_path}: {g['name']} dims {dims} (as {shape}) but the model has "
                     f"{g['dims']} after the batch")
    parameters = {}
    for p in config.get("parameters", []):
        key = one(p, "key", config_path)
        parameters[key] = one(one(p, "value", config_path), "string_value", config_path)
    for key, value in parameters.items():
        if model["metadata"].get(key) != value:
            fail(f"{config_path}: parameter {key} differs from the model's metadata")
        json.loads(value)
    return {"config": config, "versions": versions, "parameters": parameters, "model": model}


def main(argv):
    if len(argv) == 3 and argv[1] == "model":
        result = summary(argv[2])
    elif len(argv) == 4 and argv[1] == "triton":
        result = triton(argv[2], argv[3])
    else:
        fail(__doc__)
    json.dump(result, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main(sys.argv)
