#!/usr/bin/env python3
"""PyTorch peer of examples/step_trace.rs: the same network (torchvision's RegNet with the
crate's small 1-channel stem), the same initial weights and batches, the same SGD rule
(momentum 0.9, Nesterov, weight decay 5e-4); prints both loss traces side by side.

Usage: .venv/bin/python scripts/step_trace_torch.py OUT_DIR
"""
import sys

import torch
import torch.nn as nn
from safetensors.torch import load_file
from torchvision.models.regnet import BlockParams, RegNet, ResBottleneckBlock


def build(state):
    """A torchvision RegNet shaped like the weights in `state` (X blocks, stride 2 per stage)."""
    depths, widths, groups = [], [], []
    s = 1
    while f"trunk_output.block{s}.block{s}-0.f.a.0.weight" in state:
        d = 0
        while f"trunk_output.block{s}.block{s}-{d}.f.a.0.weight" in state:
            d += 1
        b = state[f"trunk_output.block{s}.block{s}-0.f.b.0.weight"]
        depths.append(d)
        widths.append(state[f"trunk_output.block{s}.block{s}-0.f.c.0.weight"].shape[0])
        groups.append(b.shape[1])  # in-channels per group = group width
        s += 1
    bp = BlockParams(depths, widths, groups, [1.0] * len(depths), [2] * len(depths))
    stem_w = state["stem.0.weight"].shape[0]
    m = RegNet(bp, num_classes=state["fc.weight"].shape[0], stem_width=stem_w,
               block_type=ResBottleneckBlock)
    m.stem = nn.Sequential(nn.Conv2d(state["stem.0.weight"].shape[1], stem_w, 3, 1, 1, bias=False),
                           nn.BatchNorm2d(stem_w), nn.ReLU(inplace=True))
    m.load_state_dict(state)
    return m


def main():
    out = sys.argv[1]
    torch.set_num_threads(2)
    model = build(load_file(f"{out}/init.safetensors")).train()
    b = load_file(f"{out}/batches.safetensors")
    lr = float(b["lr"][0])
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    print("step  regnet-lab  pytorch")
    for i, rust in enumerate(b["losses"].tolist()):
        loss = nn.functional.cross_entropy(model(b[f"x{i}"]), b[f"y{i}"])
        opt.zero_grad()
        loss.backward()
        opt.step()
        print(f"{i + 1:4}  {rust:10.4f}  {loss.item():7.4f}")
    rust_final = build(load_file(f"{out}/final.safetensors"))
    for name, m in [("pytorch", model), ("regnet-lab weights in pytorch", rust_final)]:
        m.eval()
        bad = n = 0
        i = 0
        with torch.no_grad():
            while f"test_x{i}" in b:
                logits = m(b[f"test_x{i}"])
                if m is rust_final and f"test_logits{i}" in b:
                    d = (logits - b[f"test_logits{i}"]).abs().max().item()
                    print(f"test batch {i}: max |logit difference| {d:.2e}")
                bad += (logits.argmax(1) != b[f"test_y{i}"]).sum().item()
                n += len(b[f"test_y{i}"])
                i += 1
        if n:
            print(f"test error, eval mode, {name}: {100 * bad / n:.2f}%")


if __name__ == "__main__":
    main()
