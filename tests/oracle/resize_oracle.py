#!/usr/bin/env python3
"""Reference resamplings for `Dataset::resized`, computed with Pillow's antialiased bilinear filter.

Run from the repository root:

    .venv/bin/python tests/oracle/resize_oracle.py

It rewrites tests/fixtures/resize_oracle.json, which tests/it/data.rs reads (the Rust tests do
not need Python). Pillow's BILINEAR resize is the triangle filter the crate implements (support
one input pixel when enlarging, one output pixel when shrinking, renormalised at the borders);
Pillow computes in fixed point, so values may differ from the crate's float result by one grey
level. Inputs are fixed (a seeded numpy Generator), so the file is reproducible.
"""
import json
import os

import numpy as np
import PIL
from PIL import Image

rng = np.random.default_rng(20261205)
OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "resize_oracle.json")

cases = []
# A smooth image (a garment-like blob) and a noisy one, at Fashion-MNIST's 28x28 and odd sizes.
yy, xx = np.mgrid[0:28, 0:28]
blob = 255 * np.exp(-((yy - 13.5) ** 2 / 60 + (xx - 11.0) ** 2 / 30))
images = [
    blob.round().astype(np.uint8),
    rng.integers(0, 256, (28, 28), dtype=np.uint8),
    rng.integers(0, 256, (9, 9), dtype=np.uint8),
]
for img in images:
    for side in (5, 14, 20, 28, 40, 56):
        out = Image.fromarray(img, mode="L").resize((side, side), Image.BILINEAR)
        cases.append({
            "height": int(img.shape[0]),
            "width": int(img.shape[1]),
            "pixels": img.flatten().tolist(),
            "side": side,
            "expected": np.asarray(out).flatten().tolist(),
        })

with open(OUT, "w") as f:
    json.dump({"pillow": PIL.__version__, "cases": cases}, f)
    f.write("\n")
print(f"wrote {OUT}: {len(cases)} cases")
