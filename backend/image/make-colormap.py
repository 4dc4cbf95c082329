#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the 256-entry table of dm-colormap.c: "ember", a sequential colour
map designed for this project in OKLab (Bjorn Ottosson's perceptual space),
shaped like matplotlib's inferno: lightness rises linearly from near black
to pale yellow (so the order survives grey-scale printing and colour-vision
deficiencies), hue turns violet -> magenta -> red -> orange -> yellow, and
chroma is the largest that sRGB can show along the path (capped by the
control points).

Usage: python3 backend/image/make-colormap.py > /tmp/table.c  (then paste)
"""
import math

# (t, chroma, hue in degrees, unwrapped) control points; L is linear in t.
L0, L1 = 0.17, 0.97
CONTROL = [(0.00, 0.07, 295.0), (0.25, 0.17, 325.0), (0.50, 0.21, 385.0),
           (0.75, 0.18, 420.0), (1.00, 0.10, 465.0)]


def oklab_to_linear_srgb(L, a, b):
    l_ = L + 0.3963377774 * a + 0.2158037573 * b
    m_ = L - 0.1055613458 * a - 0.0638541728 * b
    s_ = L - 0.0894841775 * a - 1.2914855480 * b
    l, m, s = l_ ** 3, m_ ** 3, s_ ** 3
    return (4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s,
            -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s,
            -0.0041960863 * l - 0.7034186147 * m + 1.7076147010 * s)


def encode(c):
    c = min(max(c, 0.0), 1.0)
    return 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055


def in_gamut(rgb, eps=1e-6):
    return all(-eps <= c <= 1 + eps for c in rgb)


def lerp_control(t):
    for (t0, c0, h0), (t1, c1, h1) in zip(CONTROL, CONTROL[1:]):
        if t <= t1:
            u = (t - t0) / (t1 - t0)
            # smoothstep keeps the turns of hue and chroma free of kinks
            u = u * u * (3 - 2 * u)
            return c0 + (c1 - c0) * u, h0 + (h1 - h0) * u
    return CONTROL[-1][1], CONTROL[-1][2]


def colour(t):
    L = L0 + (L1 - L0) * t
    chroma, hue = lerp_control(t)
    h = math.radians(hue)
    lo, hi = 0.0, chroma
    # the largest chroma <= the wanted one that sRGB can show
    if not in_gamut(oklab_to_linear_srgb(L, chroma * math.cos(h), chroma * math.sin(h))):
        for _ in range(40):
            mid = (lo + hi) / 2
            if in_gamut(oklab_to_linear_srgb(L, mid * math.cos(h), mid * math.sin(h))):
                lo = mid
            else:
                hi = mid
        chroma = lo
    rgb = oklab_to_linear_srgb(L, chroma * math.cos(h), chroma * math.sin(h))
    return tuple(int(round(255 * encode(c))) for c in rgb)


def main():
    entries = [colour(i / 255) for i in range(256)]
    print("static const guint8 ember[256][3] = {")
    for i in range(0, 256, 6):
        row = ", ".join("{ %d, %d, %d }" % e for e in entries[i:i + 6])
        print("  " + row + ",")
    print("};")


if __name__ == "__main__":
    main()
