#!/usr/bin/env python3
"""Oracle for tests/it/model_torchvision.rs: torchvision RegNets with random weights, exported.

For each model this writes to OUT_DIR:
  {name}.safetensors      the state_dict exactly as torchvision names it (what the Rust model loads)
  {name}.io.safetensors   input batch `x`, eval-mode `logits_eval` (float32), and in float64:
                          train-mode `logits_train`,
                          the running statistics after that one train-mode forward
                          (`after_train/<bn>.running_mean|var`), and gradients of a fixed loss
                          of the train-mode logits w.r.t. a few parameters (`grad/<param>`)
  {name}.json             the network's shape read from the built torchvision modules (stage
                          depths, widths, strides, bottleneck divisors, group widths, SE ratio),
                          because torchvision rounds widths differently from pycls for some
                          models (e.g. regnet_x_400mf, regnet_y_800mf)

Random but reproducible: torch.manual_seed(seed), torchvision's own init, then BatchNorm affine
parameters and running statistics are perturbed so that eval-mode BN is not the identity.
CPU only; float32 for eval, float64 for the train step.

Usage: .venv/bin/python tests/oracle/torchvision_regnet.py OUT_DIR [model ...]
"""

import json
import os
import sys

import torch
import torchvision
from safetensors.torch import save_file

DEFAULT_MODELS = ["regnet_x_400mf", "regnet_y_400mf"]
BATCH, RES, SEED = 2, 64, 0


def describe(model, name):
    """The AnyNetSpec fields of a built torchvision RegNet, read from its modules."""
    stages = []
    se_ratio = None
    for stage in model.trunk_output.children():
        blocks = list(stage.children())
        first = blocks[0]
        a, b, c = first.f.a[0], first.f.b[0], first.f.c[0]
        width = c.out_channels
        w_b = a.out_channels
        stages.append(
            {
                "depth": len(blocks),
                "width": width,
                "stride": b.stride[0],
                # The paper's divisor b: bottleneck width = width / b.
                "bottleneck_ratio": width / w_b,
                "group_width": w_b // b.groups,
            }
        )
        if hasattr(first.f, "se"):
            se_ratio = 0.25
            w_in = a.in_channels
            assert first.f.se.fc1.out_channels == int(round(se_ratio * w_in)), name
    return {
        "name": name,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "stem_width": model.stem[0].out_channels,
        "in_channels": model.stem[0].in_channels,
        "num_classes": model.fc.out_features,
        "stages": stages,
        "se_ratio": se_ratio,
        "batch": BATCH,
        "resolution": RES,
        "seed": SEED,
    }


def export(name, out_dir):
    torch.manual_seed(SEED)
    model = getattr(torchvision.models, name)(weights=None)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.1)
                m.running_mean.normal_(0.0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.num_batches_tracked.fill_(7)
            elif isinstance(m, torch.nn.Linear):
                # Larger than the reference's 0.01 so that the logits are O(1).
                m.weight.normal_(0.0, 0.1)
                m.bias.normal_(0.0, 0.1)
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    save_file(state, os.path.join(out_dir, f"{name}.safetensors"))

    x = torch.randn(BATCH, 3, RES, RES)
    io = {"x": x}
    model.eval()
    with torch.no_grad():
        io["logits_eval"] = model(x)
    # Train mode is compared in float64: with batch statistics of few values per channel (the
    # last stage is 2x2 at batch 2) the network is ill-conditioned, and torch's own float32 result
    # differs from its float64 one by ~2e-3. In float64 both implementations agree to ~1e-10.
    model = model.double().train()
    logits = model(x.double())
    io["logits_train"] = logits.detach().clone()
    target = torch.randn(logits.shape, generator=torch.Generator().manual_seed(1)).double()
    io["loss_target"] = target
    loss = (logits * target).sum() / logits.shape[0]
    loss.backward()
    for k, v in model.state_dict().items():
        if k.endswith("running_mean") or k.endswith("running_var"):
            io[f"after_train/{k}"] = v.detach().clone()
    for k, p in model.named_parameters():
        # A sample that covers every kind of layer but keeps the file small.
        if k.startswith(("stem.", "fc.")) or ".block1-0." in k or ".block4-0." in k or ".se." in k:
            io[f"grad/{k}"] = p.grad.detach().clone()
    save_file({k: v.contiguous() for k, v in io.items()}, os.path.join(out_dir, f"{name}.io.safetensors"))

    with open(os.path.join(out_dir, f"{name}.json"), "w") as f:
        json.dump(describe(model, name), f, indent=1)
    print(f"{name}: {sum(p.numel() for p in model.parameters())} params -> {out_dir}")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    for name in sys.argv[2:] or DEFAULT_MODELS:
        export(name, out_dir)


if __name__ == "__main__":
    main()
