#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Scores images with a Dinomaly model served by NVIDIA Triton Inference
Server (a model folder written by `dinomaly export --triton`), as a station
that sends its pictures to a central inference server does.

  triton-client.py --url http://HOST:8000 --model NAME [--class CLASS]
                   [--batch N] [--maps DIR] IMAGE...
      prints `path,score,decision` lines (the results.csv of `dinomaly
      predict`; the decision is empty when the class has no threshold) and, with --maps, writes DIR/STEM_map.tiff (the
      256 x 256 float32 anomaly map)

  triton-client.py --resize 256 --crop 224 --save X.safetensors IMAGE...
      only the preprocessing: the float32 (N, 3, crop, crop) batch the
      server would get, as tensor "x" (to check it, or to run the model
      with build-aux/onnxruntime/run-model.mjs)

The preprocessing is the client's, and it is the model's own (the model
configuration's parameter dinomaly.preprocessing says it; GET
/v2/models/NAME/config returns it): the image as RGB (gray replicated,
alpha dropped), resized to resize x resize with PIL's BILINEAR on the
8-bit path (16-bit gray: v / 257 as floats, on PIL's float path), the
center crop x crop at offset round((resize - crop) / 2), (v / 255 - mean)
/ std per channel in float32, channels first. PIL does it exactly as the
model was trained (torchvision's Resize calls it); 16-bit colour images,
which PIL reads as 8-bit, are refused. The request uses the KServe v2
protocol with Triton's binary tensor extension (POST
/v2/models/NAME/infer). Needs python3, python3-pil and python3-numpy (Debian).
"""
import argparse
import csv
import json
import os
import struct
import sys
import urllib.error
import urllib.request
import warnings

import numpy as np
from PIL import Image


def fail(message):
    print(f"triton-client: {message}", file=sys.stderr)
    sys.exit(1)


def preprocess(path, resize, crop, mean, std):
    """(3, crop, crop) float32, as `dinomaly predict` computes it."""
    try:
        image = Image.open(path)
        rawmodes = [tile[3][0] if isinstance(tile[3], tuple) else tile[3] for tile in image.tile]
        image.load()
    except (OSError, ValueError) as e:
        fail(f"{path}: cannot read the image: {e}")
    size = (resize, resize)
    if image.mode in ("I", "I;16", "I;16B", "I;16L"):
        # 16-bit gray: floats in the 8-bit range, resized on the float path
        gray = np.asarray(image, dtype=np.float32) / np.float32(257.0)
        plane = np.asarray(Image.fromarray(gray, "F").resize(size, Image.BILINEAR))
        pixels = np.stack([plane] * 3, axis=-1)
    elif image.mode == "F":
        plane = np.asarray(image.resize(size, Image.BILINEAR))
        pixels = np.stack([plane] * 3, axis=-1)
    elif any(isinstance(r, str) and ";16" in r for r in rawmodes):
        fail(f"{path}: 16-bit colour: PIL reads it as 8-bit, which is not what the model was "
             f"given; send 8-bit images or 16-bit gray")
    else:
        # 8-bit: PIL's fixed-point path, each pass rounded to 0..255; alpha
        # and palette transparency are dropped, as the model expects
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rgb = image.convert("RGB")
        pixels = np.asarray(rgb.resize(size, Image.BILINEAR), dtype=np.float32)
    top = int(round((resize - crop) / 2.0))
    pixels = pixels[top:top + crop, top:top + crop, :].astype(np.float32)
    mean = np.asarray(mean, dtype=np.float32)
    std = np.asarray(std, dtype=np.float32)
    x = (pixels / np.float32(255.0) - mean) / std
    return np.ascontiguousarray(x.transpose(2, 0, 1), dtype=np.float32)


def request(url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.read(), response.headers
    except urllib.error.HTTPError as e:
        fail(f"{url}: {e.code} {e.reason}: {e.read().decode('utf-8', 'replace')}")
    except (urllib.error.URLError, OSError) as e:
        fail(f"{url}: {e}")


def model_config(base, model):
    body, _ = request(f"{base}/v2/models/{model}/config")
    config = json.loads(body)
    params = {k: v.get("string_value") for k, v in config.get("parameters", {}).items()}
    if "dinomaly.preprocessing" not in params:
        fail(f"{base}: model {model} has no dinomaly.preprocessing parameter: "
             f"was it written by dinomaly export --triton?")
    return config, params


def infer(base, model, batch):
    """batch (n, 3, crop, crop) -> maps (n, 256, 256), scores (n)."""
    data = batch.astype("<f4").tobytes()
    header = json.dumps({
        "inputs": [{"name": "image", "shape": list(batch.shape), "datatype": "FP32",
                    "parameters": {"binary_data_size": len(data)}}],
        "outputs": [{"name": "anomaly_map", "parameters": {"binary_data": True}},
                    {"name": "score", "parameters": {"binary_data": True}}],
    }).encode()
    body, headers = request(f"{base}/v2/models/{model}/infer", header + data, {
        "Content-Type": "application/octet-stream",
        "Inference-Header-Content-Length": str(len(header)),
    })
    json_length = int(headers.get("Inference-Header-Content-Length", len(body)))
    reply = json.loads(body[:json_length])
    offset = json_length
    outputs = {}
    for out in reply["outputs"]:
        size = out.get("parameters", {}).get("binary_data_size")
        if size is not None:
            values = np.frombuffer(body[offset:offset + size], dtype="<f4")
            offset += size
        else:
            values = np.asarray(out["data"], dtype=np.float32)
        outputs[out["name"]] = values.reshape(out["shape"])
    return outputs["anomaly_map"], outputs["score"].reshape(-1)


def decide(threshold, score):
    """As dinomaly predict decides: with an uncertain band [low, high), below
    low passes, at or above high fails, in between is uncertain; without
    one, at or above the image threshold fails."""
    if threshold is None:
        return ""
    band = threshold.get("uncertain")
    if band:
        return "fail" if score >= band[1] else ("uncertain" if score >= band[0] else "pass")
    return "fail" if score >= threshold["image"] else "pass"


def write_safetensors(path, name, array):
    header = json.dumps({name: {"dtype": "F32", "shape": list(array.shape),
                                "data_offsets": [0, array.nbytes]}}).encode()
    header += b" " * ((8 - len(header) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + array.astype("<f4").tobytes())
    os.replace(path + ".tmp", path)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--url", help="Triton's HTTP endpoint, e.g. http://inference:8000")
    p.add_argument("--model", help="the model's name in Triton's repository")
    p.add_argument("--class", dest="class_name", help="the class whose thresholds decide")
    p.add_argument("--batch", type=int, default=1,
                   help="images per request (1: Triton's dynamic batching groups stations)")
    p.add_argument("--maps", metavar="DIR", help="write each image's anomaly map as DIR/STEM_map.tiff")
    p.add_argument("--save", metavar="X.safetensors", help="only preprocess, into this file")
    p.add_argument("--resize", type=int, help="with --save: the model's resize")
    p.add_argument("--crop", type=int, help="with --save: the model's crop")
    p.add_argument("--mean", type=float, nargs=3, default=[0.485, 0.456, 0.406])
    p.add_argument("--std", type=float, nargs=3, default=[0.229, 0.224, 0.225])
    args = p.parse_args()

    if args.save:
        if not args.resize or not args.crop:
            fail("--save needs --resize and --crop (the model's)")
        x = np.stack([preprocess(path, args.resize, args.crop, args.mean, args.std)
                      for path in args.images])
        write_safetensors(args.save, "x", x)
        return
    if not args.url or not args.model:
        fail("give --url and --model (or --save)")
    base = args.url.rstrip("/")
    config, params = model_config(base, args.model)
    pre = json.loads(params["dinomaly.preprocessing"])
    thresholds = json.loads(params.get("dinomaly.thresholds") or "[]")
    classes = json.loads(params.get("dinomaly.classes") or "[]")
    if args.class_name and args.class_name not in classes:
        fail(f"--class {args.class_name}: the model's classes are {', '.join(classes)}")
    # as dinomaly predict: --class, or the only class
    class_name = args.class_name or (classes[0] if len(classes) == 1 else "")
    threshold = next((t for t in thresholds if t["class"] == class_name), None)
    batch = max(1, min(args.batch, config.get("max_batch_size") or args.batch))

    if args.maps:
        os.makedirs(args.maps, exist_ok=True)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["path", "score", "decision"])
    for i in range(0, len(args.images), batch):
        paths = args.images[i:i + batch]
        x = np.stack([preprocess(path, pre["resize"], pre["crop"], pre["mean"], pre["std"])
                      for path in paths])
        maps, scores = infer(base, args.model, x)
        for path, amap, score in zip(paths, maps, scores):
            if args.maps:
                stem = os.path.splitext(os.path.basename(path))[0]
                Image.fromarray(amap.astype(np.float32), "F").save(
                    os.path.join(args.maps, f"{stem}_map.tiff"))
            out.writerow([path, f"{float(score):.9g}", decide(threshold, float(score))])


if __name__ == "__main__":
    main()
