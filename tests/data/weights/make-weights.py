#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cuts the tiny DINOv2-with-registers encoder of ../shared/testvectors/tiny
to its first 2 blocks, in each of the three naming schemes, for the tests of a
fresh clone (the full files are 25 MB). Plain python3: struct + json only.

The bytes of every kept tensor are copied unchanged and the header keeps the
source's key order, so the three cut files still widen to bit-identical
float32 weights. The bottleneck/decoder file (6.9 MB) is not copied: the
tests generate their state dicts with the library.

Usage: make-weights.py [SHARED_TINY_DIR] (default ../../../../shared/testvectors/tiny)
"""
import json
import os
import re
import struct
import sys

DEPTH = 2
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    HERE, "..", "..", "..", "..", "shared", "testvectors", "tiny")

FILES = [  # (source, destination, block key prefix)
    ("encoder_dinov2_f32.safetensors", "encoder_dinov2_f32_d2.safetensors", "blocks."),
    ("hf/model.safetensors", "hf/model.safetensors", "encoder.layer."),
    ("encoder_timm_bf16.safetensors", "encoder_timm_bf16_d2.safetensors", "blocks."),
]


def read(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])  # dicts keep the file's key order
    return header, blob[8 + n:]


def cut(src, dst, block_prefix):
    header, data = read(src)
    pattern = re.compile(re.escape(block_prefix) + r"(\d+)\.")
    out = {}
    chunks = []
    offset = 0
    for name, entry in header.items():
        if name == "__metadata__":
            meta = dict(entry)
            meta["cut"] = "first %d blocks of %s (tests/data/weights/make-weights.py)" % (
                DEPTH, os.path.basename(src))
            out[name] = meta
            continue
        m = pattern.match(name)
        if m and int(m.group(1)) >= DEPTH:
            continue
        begin, end = entry["data_offsets"]
        chunks.append(data[begin:end])
        out[name] = {"dtype": entry["dtype"], "shape": entry["shape"],
                     "data_offsets": [offset, offset + end - begin]}
        offset += end - begin
    text = json.dumps(out, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


def main():
    for src, dst, prefix in FILES:
        cut(os.path.join(SRC, src), os.path.join(HERE, dst), prefix)
    with open(os.path.join(SRC, "hf", "config.json")) as f:
        config = json.load(f)
    config["num_hidden_layers"] = DEPTH
    with open(os.path.join(HERE, "hf", "config.json"), "w") as f:
        json.dump(config, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
