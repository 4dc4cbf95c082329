#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Seeds of fuzz-vit-probe: small DINOv2-shaped encoders (D 64, 1 head,
# patch 2, a 2x2 position grid, 2 blocks, MLP 64, F16 zeros and ones) in
# each layout the probe tells apart: original with and without registers,
# HuggingFace without, timm with (folded cls, no cls row) and without
# (original names, no mask_token), and DINOv2 giant's SwiGLU names.
import json, os, struct

D, P, G, DEPTH, H = 64, 2, 2, 2, 64
out = os.path.dirname(os.path.abspath(__file__))

def write(name, tensors):
    header, blobs, off = {}, [], 0
    for key, shape in tensors:
        n = 1
        for s in shape:
            n *= s
        raw = struct.pack('<%dH' % n, *([0x3c00] * n))  # f16 1.0
        header[key] = {'dtype': 'F16', 'shape': shape, 'data_offsets': [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(os.path.join(out, name), 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))

def blocks(prefix, hf=False, swiglu=False):
    t = []
    for i in range(DEPTH):
        b = prefix + str(i) + '.'
        t += [(b + 'norm1.weight', [D]), (b + 'norm1.bias', [D])]
        if hf:
            for k in ('query', 'key', 'value'):
                t += [(b + 'attention.attention.%s.weight' % k, [D, D]),
                      (b + 'attention.attention.%s.bias' % k, [D])]
            t += [(b + 'attention.output.dense.weight', [D, D]),
                  (b + 'attention.output.dense.bias', [D]), (b + 'layer_scale1.lambda1', [D]),
                  (b + 'layer_scale2.lambda1', [D])]
        else:
            t += [(b + 'attn.qkv.weight', [3 * D, D]), (b + 'attn.qkv.bias', [3 * D]),
                  (b + 'attn.proj.weight', [D, D]), (b + 'attn.proj.bias', [D]),
                  (b + 'ls1.gamma', [D]), (b + 'ls2.gamma', [D])]
        t += [(b + 'norm2.weight', [D]), (b + 'norm2.bias', [D])]
        if swiglu:
            t += [(b + 'mlp.w12.weight', [2 * H, D]), (b + 'mlp.w12.bias', [2 * H]),
                  (b + 'mlp.w3.weight', [D, H]), (b + 'mlp.w3.bias', [D])]
        else:
            t += [(b + 'mlp.fc1.weight', [H, D]), (b + 'mlp.fc1.bias', [H]),
                  (b + 'mlp.fc2.weight', [D, H]), (b + 'mlp.fc2.bias', [D])]
    return t

def original(registers, mask=True, swiglu=False, cls_row=True, reg_name='register_tokens'):
    t = [('cls_token', [1, 1, D]), ('pos_embed', [1, G * G + (1 if cls_row else 0), D])]
    if registers:
        t.append((reg_name, [1, 4, D]))
    if mask:
        t.append(('mask_token', [1, D]))
    t += [('patch_embed.proj.weight', [D, 3, P, P]), ('patch_embed.proj.bias', [D])]
    return t + blocks('blocks.', swiglu=swiglu) + [('norm.weight', [D]), ('norm.bias', [D])]

write('original-reg4.safetensors', original(True))
write('original-noreg.safetensors', original(False))
write('timm-reg4.safetensors', original(True, mask=False, cls_row=False, reg_name='reg_token'))
write('timm-noreg.safetensors', original(False, mask=False))
write('giant-swiglu.safetensors', original(True, swiglu=True))
write('hf-noreg.safetensors',
      [('embeddings.cls_token', [1, 1, D]), ('embeddings.mask_token', [1, D]),
       ('embeddings.position_embeddings', [1, G * G + 1, D]),
       ('embeddings.patch_embeddings.projection.weight', [D, 3, P, P]),
       ('embeddings.patch_embeddings.projection.bias', [D])]
      + blocks('encoder.layer.', hf=True) + [('layernorm.weight', [D]), ('layernorm.bias', [D])])
