#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Copies the subset of ../shared/testvectors/tiny_noreg/ (README §5c) that
# the tests need when ../shared is absent: the tiny encoder without
# registers as Meta's .pth (BF16 storages, values exact) and the maps and
# scores it gives with tiny/decoder_f32.safetensors on images 0 and 1 of
# tiny/forward/input.safetensors (their inputs are in ../forward). The F32
# original and F16 HuggingFace forms are read from ../shared when present.
import json, os, shutil, struct, sys

src = sys.argv[1] if len(sys.argv) > 1 else '../../../../shared/testvectors/tiny_noreg'
out = os.path.dirname(os.path.abspath(__file__))
N_IMAGES = 2

with open(os.path.join(src, 'forward', 'maps.safetensors'), 'rb') as f:
    n = struct.unpack('<Q', f.read(8))[0]
    header = json.loads(f.read(n))
    data = f.read()

tensors, blobs, off = {}, [], 0
for name, info in header.items():
    if name == '__metadata__':
        continue
    b, e = info['data_offsets']
    shape = list(info['shape'])
    raw = data[b:e][: (e - b) // shape[0] * N_IMAGES]
    shape[0] = N_IMAGES
    tensors[name] = {'dtype': info['dtype'], 'shape': shape,
                     'data_offsets': [off, off + len(raw)]}
    blobs.append(raw)
    off += len(raw)
h = json.dumps(tensors, separators=(',', ':')).encode()
h += b' ' * ((8 - len(h) % 8) % 8)
with open(os.path.join(out, 'maps.safetensors'), 'wb') as f:
    f.write(struct.pack('<Q', len(h)))
    f.write(h)
    for b in blobs:
        f.write(b)
shutil.copyfile(os.path.join(src, 'dinov2_tiny_pretrain_bf16.pth'),
                os.path.join(out, 'dinov2_tiny_pretrain_bf16.pth'))
