#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The PyTorch baseline of `dinomaly bench`: the same Dinomaly work on the same
shapes, float32, on the same number of threads, in plain PyTorch as the
official code writes it (nn.Linear, F.layer_norm, einsum linear attention,
the hard-mining gradient hook, StableAdamW with AMSGrad).

  train: one training iteration on cached encoder features (random, of the
         real shapes): bottleneck with dropout, 8 linear-attention decoder
         blocks, the loose loss with hard mining, backward, global clipping,
         StableAdamW.
  infer: the whole inference of a batch: the DINOv2-with-registers encoder up
         to its last target block, bottleneck, decoder, maps and scores.

Prints one JSON object on stdout (seconds, images/s, peak RSS). `dinomaly
bench` runs it with Debian's /usr/bin/python3 when `import torch` works there
(apt-get install python3-torch libopenblas0-openmp); it is a benchmark
baseline only, never a dependency.
"""

import argparse
import json
import math
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

ARCHS = {  # dim, heads, mlp hidden, last target block, targets
    "small": (384, 6, 1536, list(range(2, 10))),
    "base": (768, 12, 3072, list(range(2, 10))),
    "large": (1024, 16, 4096, list(range(4, 20, 2))),
}
PATCH = 14
REGISTERS = 4


def peak_rss_mb():
    """VmHWM, as `dinomaly bench` reads it (ru_maxrss where /proc is absent)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def reset_peak_rss():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


# --- the decoder, as the official code (Dinomaly's vision_transformer.py) ---


class LinearAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        q = F.elu(q) + 1.0
        k = F.elu(k) + 1.0
        kv = torch.einsum("...sd,...se->...de", k, v)
        z = 1.0 / torch.einsum("...sd,...d->...s", q, k.sum(dim=-2))
        x = torch.einsum("...de,...sd,...s->...se", kv, q, z)
        x = x.transpose(1, 2).reshape(B, N, C)
        return self.proj(x)


class Mlp(nn.Module):
    def __init__(self, dim, hidden, drop=0.0, drop_in=False):
        super().__init__()
        self.drop_in = nn.Dropout(drop) if drop_in else nn.Identity()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)
        self.drop = nn.Dropout(drop)

    def forward(self, x):
        x = self.drop_in(x)
        x = self.drop(F.gelu(self.fc1(x)))
        return self.drop(self.fc2(x))


class DecoderBlock(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-8)
        self.attn = LinearAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-8)
        self.mlp = Mlp(dim, 4 * dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class Decoder(nn.Module):
    def __init__(self, dim, heads, dropout=0.2):
        super().__init__()
        self.bottleneck = Mlp(dim, 4 * dim, drop=dropout, drop_in=True)
        self.blocks = nn.ModuleList([DecoderBlock(dim, heads) for _ in range(8)])
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.01, a=-0.03, b=0.03)
                nn.init.zeros_(m.bias)

    def forward(self, fused):
        x = self.bottleneck(fused)
        outs = []
        for blk in self.blocks:
            x = blk(x)
            outs.append(x)
        outs = outs[::-1]
        return torch.stack(outs[0:4]).mean(0), torch.stack(outs[4:8]).mean(0)


# --- the encoder (DINOv2 with registers), forward only ---


class EncoderBlock(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.ls1 = nn.Parameter(torch.full((dim,), 0.1))
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)
        self.ls2 = nn.Parameter(torch.full((dim,), 0.1))

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(self.norm1(x)).reshape(B, N, 3, self.heads, C // self.heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        a = (q * (C // self.heads) ** -0.5) @ k.transpose(-2, -1)
        a = (a.softmax(dim=-1) @ v).transpose(1, 2).reshape(B, N, C)
        x = x + self.ls1 * self.proj(a)
        return x + self.ls2 * self.fc2(F.gelu(self.fc1(self.norm2(x))))


class Encoder(nn.Module):
    def __init__(self, dim, heads, hidden, n_blocks, grid):
        super().__init__()
        self.patch = nn.Conv2d(3, dim, PATCH, PATCH)
        self.cls = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.registers = nn.Parameter(torch.randn(1, REGISTERS, dim) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, 1 + grid * grid, dim) * 0.02)
        self.blocks = nn.ModuleList([EncoderBlock(dim, heads, hidden) for _ in range(n_blocks)])
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=0.02)

    def forward(self, img, targets):
        x = self.patch(img).flatten(2).transpose(1, 2)
        B = x.shape[0]
        x = torch.cat((self.cls.expand(B, -1, -1), x), dim=1) + self.pos
        x = torch.cat((x[:, :1], self.registers.expand(B, -1, -1), x[:, 1:]), dim=1)
        outs = []
        for i, blk in enumerate(self.blocks):
            x = blk(x)
            if i in targets:
                outs.append(x)
        return outs


# --- loss and optimiser (Dinomaly's loss.py and StableAdamW) ---


def modify_grad(grad, inds, factor):
    inds = inds.expand_as(grad)
    grad = grad.clone()
    grad[inds] *= factor
    return grad


def global_cosine_hm_percent(a, b, p, factor=0.1):
    cos = nn.CosineSimilarity()
    loss = 0
    for a_, b_ in zip(a, b):
        a_ = a_.detach()
        with torch.no_grad():
            point_dist = 1 - cos(a_, b_).unsqueeze(1)
        k = max(int(point_dist.numel() * (1 - p)), 1)
        thresh = torch.topk(point_dist.reshape(-1), k=k)[0][-1]
        loss = loss + torch.mean(1 - cos(a_.reshape(a_.shape[0], -1), b_.reshape(b_.shape[0], -1)))
        b_.register_hook(lambda g, inds=point_dist < thresh: modify_grad(g, inds, factor))
    return loss / len(a)


class StableAdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-10, weight_decay=1e-4):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self.state[p]
                if not st:
                    st["step"] = 0
                    st["m"] = torch.zeros_like(p)
                    st["v"] = torch.zeros_like(p)
                    st["vmax"] = torch.zeros_like(p)
                st["step"] += 1
                t = st["step"]
                g = p.grad
                p.mul_(1 - group["lr"] * group["weight_decay"])
                st["m"].mul_(b1).add_(g, alpha=1 - b1)
                st["v"].mul_(b2).addcmul_(g, g, value=1 - b2)
                torch.maximum(st["vmax"], st["v"], out=st["vmax"])
                den = (st["vmax"].sqrt() / math.sqrt(1 - b2**t)).add_(group["eps"])
                rms = torch.div(g, den).pow(2).mean().sqrt().item()
                step = group["lr"] / (1 - b1**t) / max(1.0, rms)
                p.addcdiv_(st["m"], den, value=-step)


def features(B, N, D, seed):
    g = torch.Generator().manual_seed(seed)
    e1 = torch.randn(B, N, D, generator=g)
    e2 = torch.randn(B, N, D, generator=g) * 0.5 + e1 * 0.5
    return e1, e2


def bench_train(a):
    D, H, _, _ = ARCHS[a.arch]
    g = a.crop // PATCH
    N, P = 1 + REGISTERS + g * g, g * g
    rss0 = peak_rss_mb()
    decoder = Decoder(D, H)
    opt = StableAdamW(decoder.parameters())
    E1, E2 = features(a.batch, N, D, 1)
    fused = (E1 + E2) / 2
    reset_peak_rss()
    stamps = []
    for it in range(1 + a.iters):
        R1, R2 = decoder(fused)
        en = [e[:, 1 + REGISTERS :].transpose(1, 2).reshape(a.batch, D, g, g) for e in (E1, E2)]
        de = [r[:, 1 + REGISTERS :].transpose(1, 2).reshape(a.batch, D, g, g) for r in (R1, R2)]
        p = min(0.9 * (it + 500) / 1000, 0.9)
        loss = global_cosine_hm_percent(en, de, p)
        opt.zero_grad(set_to_none=False)
        loss.backward()
        nn.utils.clip_grad_norm_(decoder.parameters(), 0.1)
        opt.step()
        stamps.append(time.monotonic())
    per_iter = (stamps[-1] - stamps[0]) / a.iters
    assert P == g * g and math.isfinite(loss.item())
    return dict(seconds_per_iteration=per_iter, images_per_s=a.batch / per_iter,
                peak_rss_mb=peak_rss_mb(), rss_before_mb=rss0)


def anomaly_maps(E, R, crop, g, first):
    maps = []
    for e, r in zip(E, R):
        e = e[:, first:].transpose(1, 2).reshape(e.shape[0], -1, g, g)
        r = r[:, first:].transpose(1, 2).reshape(r.shape[0], -1, g, g)
        a = (1 - F.cosine_similarity(e, r)).unsqueeze(1)
        maps.append(F.interpolate(a, size=crop, mode="bilinear", align_corners=True))
    m = torch.cat(maps, 1).mean(1, keepdim=True)
    m = F.interpolate(m, size=256, mode="bilinear", align_corners=False)
    x = torch.arange(5, dtype=torch.float32) - 2
    k = torch.exp(-(x**2) / (2 * 16.0))
    k = torch.outer(k, k)
    k = (k / k.sum()).reshape(1, 1, 5, 5)
    m = F.conv2d(m, k, padding=2)
    return torch.topk(m.flatten(1), 655, dim=1)[0].mean(1)


def bench_infer(a):
    D, H, hidden, targets = ARCHS[a.arch]
    g = a.crop // PATCH
    encoder = Encoder(D, H, hidden, targets[-1] + 1, g).eval()
    decoder = Decoder(D, H).eval()
    img = torch.randn(a.batch, 3, a.crop, a.crop)
    best = float("inf")
    with torch.inference_mode():
        for r in range(1 + a.runs):
            t0 = time.monotonic()
            outs = encoder(img, targets)
            E1 = torch.stack(outs[0:4]).mean(0)
            E2 = torch.stack(outs[4:8]).mean(0)
            R1, R2 = decoder(torch.stack(outs).mean(0))
            scores = anomaly_maps((E1, E2), (R1, R2), a.crop, g, 1 + REGISTERS)
            if r > 0:
                best = min(best, time.monotonic() - t0)
    assert scores.shape[0] == a.batch
    return dict(seconds_per_batch=best, images_per_s=a.batch / best, peak_rss_mb=peak_rss_mb())


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("mode", choices=["train", "infer"])
    p.add_argument("--arch", default="small", choices=sorted(ARCHS))
    p.add_argument("--crop", type=int, default=224)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--threads", type=int, default=0, help="0: all cores")
    p.add_argument("--iters", type=int, default=3, help="train: timed iterations after one warm-up")
    p.add_argument("--runs", type=int, default=3, help="infer: timed runs, the best counts")
    a = p.parse_args()
    if a.crop <= 0 or a.crop % PATCH != 0 or a.batch < 1 or a.iters < 1 or a.runs < 1:
        p.error("crop must be a positive multiple of 14; batch, iters and runs positive")
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    result = bench_train(a) if a.mode == "train" else bench_infer(a)
    result.update(mode=a.mode, arch=a.arch, crop=a.crop, batch=a.batch,
                  threads=torch.get_num_threads(), torch=torch.__version__)
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
