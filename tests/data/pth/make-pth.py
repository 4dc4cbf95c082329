#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the small PyTorch files of tests/data/pth that the shared vectors
do not have, each with NAME.expected.safetensors: the tensors a reader must
give (names after any prefix is dropped, the file's dtypes, C order).
Needs Debian's python3-torch (1.13): run it with /usr/bin/python3.

  checkpoint_ddp_namespace.pth  {"state_dict": a module's state_dict() under
                                "module." (as DistributedDataParallel saves it,
                                with its _metadata, so BUILD), "args":
                                argparse.Namespace, "epoch", "optimizer" (SGD
                                state: dicts keyed by ints, tensors)}; f32,
                                f64, int64 and bool tensors
  legacy_views.pth              the legacy format (before 1.6) of views: a
                                slice, its base (one storage), a transpose, a
                                half tensor, a parameter
  protocol4_parameters.pth      pickle protocol 4 (FRAME, MEMOIZE,
                                STACK_GLOBAL...): parameters, a permuted 3-D
                                view, a scalar, an empty tensor, int32
  zip64_extras.pth              protocol4_parameters.pth re-zipped with every
                                size and offset in zip64 extra fields

and the seeds of the fuzz target (tests/fuzz/fuzz-pth.c) in
tests/data/fuzz/pth: "file-*" the small files here behind a 0 byte,
"pickle-*" data.pkl of state dicts over eight storages of 4096 bytes (what
the target puts beside an odd first byte) behind a 1 byte. The files named
by their SHA-1 there are what a fuzz run found, merged (-merge=1) to those
that add coverage.

The other files here are copies from ../shared/testvectors/tiny/pth (README
section 5b there): the hostile ones, the nested checkpoint, the shared
storage views and the bf16 encoder.

Usage: /usr/bin/python3 tests/data/pth/make-pth.py
"""
import argparse
import collections
import io
import json
import os
import struct
import zipfile
import zlib

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
          torch.float64: "F64", torch.int64: "I64", torch.int32: "I32",
          torch.bool: "BOOL", torch.uint8: "U8"}


def raw_bytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def write_expected(name, tensors):
    """A safetensors file of tensors (name -> tensor), in that order."""
    header, data = {}, b""
    for key, t in tensors.items():
        b = raw_bytes(t)
        header[key] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape),
                       "data_offsets": [len(data), len(data) + len(b)]}
        data += b
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(os.path.join(HERE, name + ".expected.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


class Inner(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(8, 4)
        self.bn = torch.nn.BatchNorm1d(4)
        self.register_buffer("scale", torch.linspace(0, 1, 5, dtype=torch.float64))
        self.register_buffer("mask", torch.tensor([True, False, True]))


class Wrapper(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.module = Inner()


def checkpoint_ddp_namespace():
    torch.manual_seed(1)
    model = Wrapper()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model.train()
    loss = model.module.bn(model.module.fc(torch.randn(6, 8))).square().sum()
    loss.backward()
    opt.step()
    sd = model.state_dict()
    torch.save({"state_dict": sd, "epoch": 3, "optimizer": opt.state_dict(),
                "args": argparse.Namespace(lr=0.1, name="run", classes=["a", "b"])},
               os.path.join(HERE, "checkpoint_ddp_namespace.pth"))
    write_expected("checkpoint_ddp_namespace",
                   {k[len("module."):]: v for k, v in sd.items()})


def legacy_views():
    torch.manual_seed(2)
    base = torch.randn(4, 6)
    obj = {"slice": base[:, 1:4], "base": base, "transposed": base.t(),
           "half": torch.randn(3, 3).half(),
           "param": torch.nn.Parameter(torch.randn(5))}
    torch.save(obj, os.path.join(HERE, "legacy_views.pth"),
               _use_new_zipfile_serialization=False)
    write_expected("legacy_views", obj)


def protocol4_parameters():
    torch.manual_seed(3)
    obj = {"weight": torch.nn.Parameter(torch.randn(3, 5)),
           "permuted": torch.randn(2, 3, 4).permute(2, 0, 1),
           "scalar": torch.tensor(3.5),
           "empty": torch.zeros(0, 4),
           "counts": torch.arange(7, dtype=torch.int32),
           "bf16": torch.randn(2, 2).bfloat16()}
    path = os.path.join(HERE, "protocol4_parameters.pth")
    torch.save(obj, path, pickle_protocol=4)
    write_expected("protocol4_parameters", obj)
    return path, obj


def zip64_extras(src, obj):
    """Every entry with 0xFFFFFFFF sizes and offset and a zip64 extra
    field in the directory (sizes in the local header's)."""
    out = bytearray()
    central = bytearray()
    with zipfile.ZipFile(src) as z:
        entries = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    for name, data in entries:
        n = name.encode()
        crc = zlib.crc32(data)
        offset = len(out)
        local_extra = struct.pack("<HHQQ", 1, 16, len(data), len(data))
        out += struct.pack("<IHHHHHIIIHH", 0x04034b50, 45, 0, 0, 0, 0x21, crc,
                           0xFFFFFFFF, 0xFFFFFFFF, len(n), len(local_extra))
        out += n + local_extra + data
        extra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 45, 45, 0, 0, 0,
                               0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF, len(n),
                               len(extra), 0, 0, 0, 0, 0xFFFFFFFF)
        central += n + extra
    cd_offset = len(out)
    out += central
    zip64_at = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064b50, 44, 45, 45, 0, 0, len(entries),
                       len(entries), len(central), cd_offset)
    out += struct.pack("<IIQI", 0x07064b50, 0, zip64_at, 1)
    out += struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF,
                       0xFFFFFFFF, 0)
    path = os.path.join(HERE, "zip64_extras.pth")
    with open(path, "wb") as f:
        f.write(out)
    back = torch.load(path)  # torch itself reads it
    assert all(torch.equal(back[k], v) for k, v in obj.items())


def fuzz_seeds():
    out = os.path.join(HERE, "..", "fuzz", "pth")
    os.makedirs(out, exist_ok=True)
    for name in sorted(os.listdir(HERE)):
        path = os.path.join(HERE, name)
        if name.endswith(".pth") and os.path.getsize(path) < 16384:
            with open(path, "rb") as f, open(os.path.join(out, "file-" + name), "wb") as g:
                g.write(b"\0" + f.read())
    torch.manual_seed(4)
    base = torch.randn(1024)  # one storage of 4096 bytes
    views = {"block": base[:512].view(16, 32), "transposed": base.view(32, 32).t(),
             "strided": base[100:400:3], "scalar": base[7], "expanded": base[:4].expand(3, 4),
             "permuted": base.view(4, 8, 32).permute(2, 0, 1)}
    dtypes = {"f32": torch.randn(1024), "f16": torch.randn(2048).half(),
              "bf16": torch.randn(2048).bfloat16(), "i64": torch.arange(512),
              "f64": torch.randn(512, dtype=torch.float64),
              "bool": torch.zeros(4096, dtype=torch.bool),
              "u8": torch.arange(4096).to(torch.uint8),
              "i32": torch.arange(1024, dtype=torch.int32)}
    inner = collections.OrderedDict(("module." + k, v) for k, v in views.items())
    checkpoint = {"model": inner, "epoch": 1, "lr": 1e-4,
                  "args": argparse.Namespace(crop=224, classes=["a"]),
                  "param": torch.nn.Parameter(base.view(32, 32))}
    for name, obj, protocol in [("views", views, 2), ("dtypes", dtypes, 2),
                                ("checkpoint", checkpoint, 2), ("protocol4", views, 4),
                                ("checkpoint4", checkpoint, 4)]:
        buf = io.BytesIO()
        torch.save(obj, buf, pickle_protocol=protocol)
        with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
            pkl = z.read([n for n in z.namelist() if n.endswith("/data.pkl")][0])
            assert all(len(z.read(n)) == 4096 for n in z.namelist() if "/data/" in n)
        with open(os.path.join(out, "pickle-" + name), "wb") as g:
            g.write(b"\1" + pkl)


checkpoint_ddp_namespace()
legacy_views()
zip64_extras(*protocol4_parameters())
fuzz_seeds()
