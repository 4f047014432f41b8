#!/usr/bin/env python3
"""The PyTorch CPU peer of benches/train_step.rs: the same network, batch and threads.

Run by `cargo bench --bench train_step` once per case in a fresh process (so that the peak
resident memory is the case's own); prints one JSON line with images/second (median of the
timed iterations after warm-up) and the peak RSS. Installs torch into this interpreter (the
repository's .venv) when it is missing: the default Linux wheel, which pulls its CUDA libraries
(about 5 GB) but runs on the CPU; PyPI has no CPU-only wheel.

Cases: train / infer (an AnyNet given by --spec, X blocks), conv (one grouped 3x3 conv,
152 channels, group width 8, 8x8), fashion (a train step of the --spec network).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def ensure_torch():
    try:
        import torch  # noqa: F401
    except ImportError:
        print("installing torch into", sys.prefix, file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", "torch"])


def proc_status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def build(spec):
    """AnyNet with X blocks (pycls / torchvision RegNet structure), from the bench's JSON."""
    import torch.nn as nn

    def conv_bn(w_in, w_out, k, stride, groups=1):
        return nn.Sequential(
            nn.Conv2d(w_in, w_out, k, stride=stride, padding=k // 2, groups=groups, bias=False),
            nn.BatchNorm2d(w_out, eps=1e-5, momentum=0.1),
        )

    class XBlock(nn.Module):
        def __init__(self, w_in, w_out, stride, w_b, groups):
            super().__init__()
            self.proj = conv_bn(w_in, w_out, 1, stride) if (w_in != w_out or stride != 1) else None
            self.a = conv_bn(w_in, w_b, 1, 1)
            self.b = conv_bn(w_b, w_b, 3, stride, groups)
            self.c = conv_bn(w_b, w_out, 1, 1)
            self.relu = nn.ReLU(inplace=True)

        def forward(self, x):
            y = self.relu(self.a(x))
            y = self.relu(self.b(y))
            y = self.c(y)
            s = self.proj(x) if self.proj is not None else x
            return self.relu(s + y)

    layers = [
        conv_bn(spec["in_channels"], spec["stem_width"], 3, 1),
        nn.ReLU(inplace=True),
    ]
    w = spec["stem_width"]
    for st in spec["stages"]:
        for j in range(st["depth"]):
            stride = st["stride"] if j == 0 else 1
            layers.append(XBlock(w, st["width"], stride, st["bottleneck_width"], st["groups"]))
            w = st["width"]
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(w, spec["num_classes"])]
    return nn.Sequential(*layers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", required=True, choices=["train", "infer", "conv", "fashion"])
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--spec", help="network JSON (train, infer, fashion)")
    a = ap.parse_args()

    ensure_torch()
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    n = a.batch

    if a.case == "conv":
        x = torch.randn(n, 152, 8, 8, requires_grad=True)
        w = (0.1 * torch.randn(152, 8, 3, 3)).requires_grad_()

        def step():
            y = F.conv2d(x, w, stride=1, padding=1, groups=19)
            y.sum().backward()
            x.grad = None
            w.grad = None

    else:
        spec = json.loads(a.spec)
        r = spec["resolution"]
        net = build(spec)
        x = torch.randn(n, spec["in_channels"], r, r)
        labels = torch.arange(n) % 10
        if a.case == "infer":
            net.eval()

            def step():
                with torch.no_grad():
                    net(x)

        else:
            net.train()
            opt = torch.optim.SGD(
                net.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4
            )

            def step():
                opt.zero_grad(set_to_none=True)
                loss = F.cross_entropy(net(x), labels)
                loss.backward()
                opt.step()

    rss_before = proc_status("VmRSS:")
    for _ in range(a.warmup):
        step()
    times = []
    cpu0 = time.process_time()
    for _ in range(a.iters):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    t = statistics.median(times)
    print(
        json.dumps(
            {
                "case": a.case,
                "img_s": n / t,
                "sec": t,
                "iters": a.iters,
                "cpu_s_per_iter": (time.process_time() - cpu0) / a.iters,
                "rss_before_mb": rss_before,
                "peak_mb": proc_status("VmHWM:"),
                "threads": torch.get_num_threads(),
                "torch": torch.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
