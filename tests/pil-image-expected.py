#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""What PIL (Pillow 9.4, Debian 12's python3-pil, the version of the test
vectors) makes of the test corpus, written once into
tests/data/image/expected/pil/ and committed: the tests never need PIL.

- <corpus jpeg>.raw: Image.open().convert('L' or 'RGB'), PIL's decode
  (libjpeg-turbo defaults; CMYK through PIL's own cmyk2rgb);
- resize-cases.txt + resize-*.raw: Image.resize(..., BILINEAR or NEAREST)
  of synthetic inputs whose formulas test-resize.c repeats."""
import os

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, 'data', 'image')
OUT = os.path.join(DATA, 'expected', 'pil')


def input_u8(w, h, c):
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([(x * 31 + y * 17 + k * 101 + (x * x * y) % 29) & 255 for k in range(c)],
                    -1).astype(np.uint8)


def input_f(w, h):
    y, x = np.mgrid[0:h, 0:w]
    return (((x * 37 + y * 91) % 1000) / 4.0 - 20.0).astype(np.float32)


def input_i(w, h):
    y, x = np.mgrid[0:h, 0:w]
    return ((x * 1789 + y * 2711 + (x * y * 37) % 1000) & 0xffff).astype(np.int32)


# (mode, in_w, in_h, out_w, out_h): mode L/RGB = 8-bit bilinear, F = float,
# I = 32-bit int, N = nearest on L.
CASES = [
    ('L', 37, 23, 64, 50), ('RGB', 37, 23, 64, 50), ('L', 37, 23, 13, 9), ('RGB', 37, 23, 13, 9),
    ('L', 37, 23, 37, 10), ('L', 37, 23, 100, 23), ('RGB', 219, 264, 97, 97),
    ('L', 1, 1, 7, 5), ('RGB', 300, 7, 17, 29), ('L', 5, 3, 97, 96), ('L', 600, 800, 45, 61),
    ('F', 37, 23, 64, 50), ('F', 37, 23, 13, 9), ('F', 219, 264, 97, 97), ('F', 300, 7, 17, 29),
    ('I', 37, 23, 64, 50), ('I', 219, 264, 97, 97),
    ('N', 37, 23, 64, 50), ('N', 37, 23, 13, 9), ('N', 224, 224, 256, 256), ('N', 600, 800, 256, 256),
    ('N', 3, 7, 100, 99),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    corpus = os.path.join(DATA, 'corpus')
    for name in sorted(os.listdir(corpus)):
        if name.endswith('.jpg'):
            im = Image.open(os.path.join(corpus, name))
            im = im.convert('L' if im.mode == 'L' else 'RGB')
            with open(os.path.join(OUT, name + '.raw'), 'wb') as f:
                f.write(im.tobytes())
    lines = []
    for mode, iw, ih, ow, oh in CASES:
        if mode in ('L', 'RGB', 'N'):
            a = input_u8(iw, ih, 3 if mode == 'RGB' else 1)
            im = Image.fromarray(a if mode == 'RGB' else a[..., 0], 'RGB' if mode == 'RGB' else 'L')
        elif mode == 'F':
            im = Image.fromarray(input_f(iw, ih), 'F')
        else:
            im = Image.fromarray(input_i(iw, ih), 'I')
        r = im.resize((ow, oh), Image.NEAREST if mode == 'N' else Image.BILINEAR)
        name = 'resize-%s-%dx%d-%dx%d.raw' % (mode, iw, ih, ow, oh)
        with open(os.path.join(OUT, name), 'wb') as f:
            f.write(np.asarray(r).astype({'F': '<f4', 'I': '<i4'}.get(mode, 'u1')).tobytes())
        lines.append('%s %d %d %d %d %s' % (mode, iw, ih, ow, oh, name))
    with open(os.path.join(OUT, 'resize-cases.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')


if __name__ == '__main__':
    main()
