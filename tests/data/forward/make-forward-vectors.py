#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Copies the subset of ../shared/testvectors/tiny/ that the forward test
# needs when ../shared is absent (a user's fresh clone): the timm BF16
# encoder (the three encoder files widen to identical floats), the decoder,
# and the reference outputs of images 0 (tire, 8-bit RGB PNG) and 1 (mt,
# 8-bit gray JPEG). Plain python3: safetensors is an 8-byte header length,
# a JSON header, then raw little-endian bytes.
import json, os, shutil, struct, sys

src = sys.argv[1] if len(sys.argv) > 1 else '../../../../shared/testvectors/tiny'
out = os.path.dirname(os.path.abspath(__file__))

def read(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    return header, data

def write(path, tensors):
    header, blobs, off = {}, [], 0
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {'dtype': dtype, 'shape': shape, 'data_offsets': [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)

def first_images(header, data, name, n_images):
    info = header[name]
    b, e = info['data_offsets']
    raw = data[b:e]
    shape = list(info['shape'])
    per = len(raw) // shape[0]
    shape[0] = n_images
    return info['dtype'], shape, raw[:per * n_images]

def whole(header, data, name):
    info = header[name]
    b, e = info['data_offsets']
    return info['dtype'], list(info['shape']), data[b:e]

tensors = {}
h, d = read(os.path.join(src, 'forward/input.safetensors'))
tensors['x'] = first_images(h, d, 'x', 2)
h, d = read(os.path.join(src, 'forward/features.safetensors'))
for name in ('fused', 'E1', 'E2', 'R1', 'R2'):
    tensors[name] = first_images(h, d, name, 2)
h, d = read(os.path.join(src, 'forward/maps.safetensors'))
for name in ('a1', 'a2', 'map_crop', 'map_256', 'score'):
    tensors[name] = first_images(h, d, name, 2)
h, d = read(os.path.join(src, 'forward/debug_img0.safetensors'))
for name in ('pos_embed_interp', 'tokens', 'enc_block0', 'enc_block9', 'bottleneck',
             'dec_block0', 'dec_block7', 'gauss_kernel'):
    tensors[name] = whole(h, d, name)
write(os.path.join(out, 'expected.safetensors'), tensors)
shutil.copyfile(os.path.join(src, 'encoder_timm_bf16.safetensors'),
                os.path.join(out, 'encoder_timm_bf16.safetensors'))
shutil.copyfile(os.path.join(src, 'decoder_f32.safetensors'),
                os.path.join(out, 'decoder_f32.safetensors'))
