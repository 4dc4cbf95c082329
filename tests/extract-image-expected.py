#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Copies what the image tests compare against out of ../shared/testvectors
into tests/data/image/ (run once from anywhere; the outputs are committed, so a fresh clone
needs no ../shared): the three reference images, the two masks, and the
preprocessing tensors as raw little-endian files named after the tensors.

safetensors: u64 LE header length, JSON header {name: {dtype, shape,
data_offsets: [begin, end]}} (offsets after the header), raw LE data.
Plain python3, no numpy."""
import json
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)  # tests/ -> the repository
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, '..', 'shared')
FORWARD = os.path.join(SHARED, 'testvectors', 'tiny', 'forward')
OUT = os.path.join(ROOT, 'tests', 'data', 'image')


def read_safetensors(path):
    with open(path, 'rb') as f:
        blob = f.read()
    (n,) = struct.unpack('<Q', blob[:8])
    header = json.loads(blob[8:8 + n])
    base = 8 + n
    out = {}
    for name, desc in header.items():
        if name == '__metadata__':
            continue
        begin, end = desc['data_offsets']
        out[name] = (desc['dtype'], desc['shape'], blob[base + begin:base + end])
    return out


def write(name, data):
    path = os.path.join(OUT, 'expected', name)
    with open(path, 'wb') as f:
        f.write(data)
    print(path, len(data))


def main():
    os.makedirs(os.path.join(OUT, 'expected'), exist_ok=True)
    os.makedirs(os.path.join(OUT, 'reference'), exist_ok=True)
    for sub in ('images', 'masks'):
        for name in sorted(os.listdir(os.path.join(FORWARD, sub))):
            shutil.copyfile(os.path.join(FORWARD, sub, name), os.path.join(OUT, 'reference', name))

    x = read_safetensors(os.path.join(FORWARD, 'input.safetensors'))['x']
    assert x[0] == 'F32' and x[1] == [3, 3, 224, 224], x[:2]
    per_image = 3 * 224 * 224 * 4
    for i, name in enumerate(('tire', 'mt', 'tire16')):
        write('x_%s.f32' % name, x[2][i * per_image:(i + 1) * per_image])

    pre = read_safetensors(os.path.join(FORWARD, 'preprocess.safetensors'))['decoded_mt']
    assert pre[0] == 'U8' and pre[1] == [264, 219], pre[:2]
    write('decoded_mt.u8', pre[2])

    masks = read_safetensors(os.path.join(FORWARD, 'masks.safetensors'))
    for name, shape in (('tire_mask_crop', [224, 224]), ('mt_mask_crop', [224, 224]),
                        ('tire_mask_256', [256, 256]), ('mt_mask_256', [256, 256])):
        dtype, got_shape, data = masks[name]
        assert dtype == 'U8' and got_shape == shape, (name, dtype, got_shape)
        write(name + '.u8', data)


if __name__ == '__main__':
    main()
