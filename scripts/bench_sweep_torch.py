#!/usr/bin/env python3
"""Retrain a finished `regnet-lab sweep` in plain PyTorch, with regnet-lab's recipe, and time it.

The PyTorch side of `scripts/bench_sweep.sh` (`make bench`): the same models (the specs are
read from the sweep's records), the same data and the same training recipe, on the same number
of threads, so that models/hour of the two can be compared — and the mean error of both, so that
a speed-up that breaks training shows.

Usage: .venv/bin/python scripts/bench_sweep_torch.py DIR [--threads N]

DIR holds `manifest.json` and `results*.jsonl` written by `regnet-lab sweep`. For every record
(in sample order) this builds the record's `spec` in PyTorch, checks that its parameter count
equals the record's `complexity.params` (exit 1 if not), trains it with the record's `config`,
evaluates on the test split after every epoch and keeps the best test error (regnet-lab's
`best_error`). Progress goes to stderr; at the end ONE JSON line goes to stdout:

  {"models", "seconds", "models_per_hour", "mean_error", "errors", "torch", "threads", ...}

`seconds` is wall time from loading the data to the end of the last model's last evaluation
(model building, training and evaluation included; the `import torch` before it is not).

What is replicated, and where regnet-lab defines it:
  model   src/model/{blocks,layers,init}.rs: stems (small/cifar: 3x3 s1; simple: 3x3 s2; resnet:
          7x7 s2 + 3x3/2 max-pool) conv-BN-ReLU; X/Y/ResBottleneck blocks 1x1 -> 3x3 group conv
          (stride) [-> SE from the block's input width] -> 1x1 (BN, no ReLU), projection (1x1
          conv + BN) when width or stride changes, ReLU after the sum; ResBasic 3x3 -> 3x3; Vanilla
          the same branch with a final ReLU and no shortcut;
          head global mean + linear. Conv "same" padding k//2, no conv bias. BN eps 1e-5,
          momentum 0.1 (PyTorch's convention and arithmetic). Init: conv N(0, sqrt(2 / (k*k*out)))
          (not divided by groups), BN gamma 1 / beta 0 (gamma 0 on each branch's last BN under
          zero_init), linear N(0, 0.01) and bias 0, SE conv biases PyTorch's default.
  data    src/data/{fashion,idx,transform,batch}.rs, src/train/data.rs: the IDX files, pixels
          normalised (v - 72.94) / 90.02 (full-Fashion-MNIST statistics, also for the subset);
          training augmentation after normalisation: pad 4 with zeros (the mean), random 28x28
          crop, then a left-right flip with probability 1/2, per image, every epoch; a fresh
          shuffle every epoch; the last partial batch dropped (when the split holds at least
          one batch); evaluation in dataset order, unaugmented, batch max(batch_size, 256).
  optim   src/train/optim.rs: PyTorch's SGD rule (momentum, Nesterov, dampening 0, v <- g at
          the first step), weight decay on every parameter (or not on 1-D ones, no_decay_1d).
  lr      src/train/schedule.rs + run.rs: lr_at(epoch + step / steps_per_epoch, epochs) set
          before every step (per_iteration), cosine / step / constant shape, linear warm-up;
          steps_per_epoch is the number of batches that run: floor(train / batch) when the
          last partial batch is dropped, else ceil (capped by max_steps_per_epoch), as
          ImageData::steps_per_epoch counts them.
  loss    (1 - eps) * NLL + eps * mean over classes of -log p (= F.cross_entropy's
          label_smoothing); a loss that is not finite or above divergence_loss ends the run as
          diverged (no error); max_seconds (a run budget) stops between steps as regnet-lab.
Not replicated (not expected to be): the random streams. regnet-lab draws its init, shuffle and
crops from ChaCha8 streams; here torch's generator, seeded with the record's seed, draws them.
"""

import argparse
import glob
import gzip
import hashlib
import json
import math
import os
import struct
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EMBEDDED_DIR = os.path.join(REPO, "datasets", "fashion-mnist-subset")
FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
# SHA-256 of the decompressed embedded files (src/data/fashion.rs, EMBEDDED_SHA256).
EMBEDDED_SHA256 = [
    "cf313073c7eb485392848071d5c433571d7166043e971e3345b095cc30518084",
    "097b93fbcf9bd5bc648b1a457ddc55c9e4ab49afb33f9ecae8ce068399a75e3a",
    "7cee33c3c6414b1b86c25e665a6c4f41584269de3b7cc9768b1d351922845eef",
    "3128d790775889812b73c4f13923559c8b9e281d112c6ea7862acf60a206a909",
]
# Normalize::fashion_mnist() (src/data/transform.rs), on the 0..255 scale.
FASHION_MEAN, FASHION_STD = 72.94, 90.02


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def die(msg):
    log(f"bench_sweep_torch: error: {msg}")
    sys.exit(1)


# ---------------------------------------------------------------------------------------------
# Records


def load_sweep(d):
    """The manifest and the records of sweep directory `d`, one per sample index, in order."""
    mpath = os.path.join(d, "manifest.json")
    if not os.path.exists(mpath):
        die(f"{mpath}: missing (is {d} a regnet-lab sweep directory?)")
    with open(mpath) as f:
        manifest = json.load(f)
    files = sorted(glob.glob(os.path.join(d, "results*.jsonl")))
    if not files:
        die(f"{d}: no results*.jsonl")
    by_index = {}
    for path in files:
        with open(path) as f:
            for ln, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    r = json.loads(line)
                except json.JSONDecodeError as e:
                    die(f"{path}:{ln}: {e}")
                by_index.setdefault(r.get("sample_index", len(by_index)), r)
    if not by_index:
        die(f"{d}: the sweep has no records yet")
    return manifest, [by_index[k] for k in sorted(by_index)]


# ---------------------------------------------------------------------------------------------
# Data


def read_idx(path, expect_sha=None):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        raw = f.read()
    if expect_sha and hashlib.sha256(raw).hexdigest() != expect_sha:
        die(f"{path}: SHA-256 of the decompressed contents differs from regnet-lab's")
    magic, = struct.unpack(">I", raw[:4])
    ndim = magic & 0xFF
    if magic >> 8 != 0x08:
        die(f"{path}: not an unsigned-byte IDX file (magic {magic:#010x})")
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    import numpy as np
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != math.prod(dims):
        die(f"{path}: {data.size} bytes for dimensions {dims}")
    return data.reshape(dims)


def first_per_class(images, labels, k):
    """Dataset::first_per_class: the first k images of each class, in dataset order."""
    import numpy as np
    taken = np.zeros(256, dtype=np.int64)
    keep = []
    for i, c in enumerate(labels):
        taken[c] += 1
        if taken[c] <= k:
            keep.append(i)
    return images[keep], labels[keep]


def parse_dataset(desc):
    """`embedded | train NAME (6000 images) | eval NAME (1000 images) | augment crop 4 flip true`
    (ImageData::describe) -> (source, train count, eval name, eval count, crop padding, flip)."""
    parts = [p.strip() for p in desc.split("|")]
    try:
        source = parts[0]
        train_n = int(parts[1].split("(")[1].split()[0])
        eval_name = parts[2].split()[1]
        eval_n = int(parts[2].split("(")[1].split()[0])
        aug = parts[3].split()
        crop, flip = int(aug[aug.index("crop") + 1]), aug[aug.index("flip") + 1] == "true"
    except (IndexError, ValueError):
        die(f"cannot read the dataset description '{desc}'")
    return source, train_n, eval_name, eval_n, crop, flip


class Data:
    """The splits as normalised float tensors, as regnet-lab's ImageData has them."""

    def __init__(self, desc):
        import numpy as np
        import torch
        source, train_n, eval_name, eval_n, self.crop, self.flip = parse_dataset(desc)
        if source == "embedded":
            d, shas = EMBEDDED_DIR, EMBEDDED_SHA256
        elif source.startswith("fashion-mnist"):
            d = source.split(":", 1)[1] if ":" in source else FASHION_MNIST_DIR
            shas = [None] * 4
        else:
            die(f"dataset '{source}': only embedded and fashion-mnist are replicated here")
        if eval_name.endswith("/val"):
            die("records evaluated on a validation split are not replicated here")
        arrays = []
        for name, sha in zip(FILES, shas):
            path = os.path.join(d, name + ".gz")
            arrays.append(read_idx(path if os.path.exists(path) else path[:-3], sha))
        tr_x, tr_y, te_x, te_y = arrays
        classes = 10
        # --train-limit / --eval-limit: ImageData::with_train_limit / with_eval_limit.
        if train_n < len(tr_y):
            tr_x, tr_y = first_per_class(tr_x, tr_y, -(-train_n // classes))
        if eval_n < len(te_y):
            te_x, te_y = first_per_class(te_x, te_y, -(-eval_n // classes))
        if (len(tr_y), len(te_y)) != (train_n, eval_n):
            die(f"data: {len(tr_y)} / {len(te_y)} images, the records say {train_n} / {eval_n}")
        # Normalize::tables(): (v as f32 - mean) / std, in f32.
        table = (np.arange(256, dtype=np.float32) - np.float32(FASHION_MEAN)) / np.float32(FASHION_STD)
        self.train_x = torch.from_numpy(table[tr_x][:, None])  # N x 1 x 28 x 28
        self.train_y = torch.from_numpy(tr_y.astype(np.int64))
        self.test_x = torch.from_numpy(table[te_x][:, None])
        self.test_y = torch.from_numpy(te_y.astype(np.int64))
        self.resolution = tr_x.shape[1]

    def train_batches(self, batch_size, gen):
        """One epoch: shuffled, the last partial batch dropped when there is a full one,
        augmented per image (src/data/batch.rs). The epoch is gathered and augmented at once,
        then sliced: per-batch indexing costs more than the small models' steps here."""
        import torch
        n = len(self.train_y)
        order = torch.randperm(n, generator=gen)
        if n >= batch_size:  # ImageData::config: drop_last = train.len() >= batch_size
            order = order[: n // batch_size * batch_size]
        xs, ys = self.augment(self.train_x[order], gen), self.train_y[order]
        for s in range(0, len(order), batch_size):
            yield xs[s:s + batch_size], ys[s:s + batch_size]

    def augment(self, x, gen):
        """Pad p with zeros (the mean, after normalisation), crop at a random offset in
        [-p, p]^2, then mirror with probability 1/2 (src/data/batch.rs `assemble`):
        out[y, x] = src[y + dy, c(x) + dx] with c(x) = w - 1 - x when flipped, else x."""
        import torch
        p = self.crop
        if p == 0 and not self.flip:
            return x
        b, c, h, w = x.shape
        dy = torch.randint(0, 2 * p + 1, (b,), generator=gen)  # dy + p, in padded coordinates
        dx = torch.randint(0, 2 * p + 1, (b,), generator=gen)
        cols = torch.arange(w).expand(b, w)
        if self.flip:
            flip = torch.randint(0, 2, (b,), generator=gen).bool()
            cols = torch.where(flip[:, None], w - 1 - cols, cols)
        xp = torch.nn.functional.pad(x, (p, p, p, p))
        rows = dy[:, None] + torch.arange(h)
        cols = dx[:, None] + cols
        flat = (rows[:, :, None] * (w + 2 * p) + cols[:, None, :]).reshape(b, 1, h * w)
        return xp.reshape(b, c, -1).gather(2, flat.expand(b, c, h * w)).reshape(b, c, h, w)


# ---------------------------------------------------------------------------------------------
# Model


def build(spec, zero_init):
    """The AnyNet of `spec` (src/model/blocks.rs), with regnet-lab's reference init."""
    import torch
    import torch.nn as nn

    def bottleneck_width(st):
        # StageSpec::bottleneck_width: round_half_even(w * (1 / b)); Python's round is half-even.
        return int(round(st["width"] * (1.0 / st["bottleneck_ratio"])))

    class ConvBn(nn.Sequential):
        def __init__(self, w_in, w_out, k, stride, groups=1, branch_final=False):
            super().__init__(
                nn.Conv2d(w_in, w_out, k, stride=stride, padding=k // 2, groups=groups, bias=False),
                nn.BatchNorm2d(w_out, eps=1e-5, momentum=0.1),
            )
            self.branch_final = branch_final

    class SE(nn.Module):
        def __init__(self, w, w_se):
            super().__init__()
            self.fc1 = nn.Conv2d(w, w_se, 1, bias=True)
            self.fc2 = nn.Conv2d(w_se, w, 1, bias=True)

        def forward(self, x):
            s = x.mean((2, 3), keepdim=True)
            return x * torch.sigmoid(self.fc2(torch.relu(self.fc1(s))))

    class Bottleneck(nn.Module):  # X, Y (with SE), ResNet bottleneck (one group)
        def __init__(self, w_in, st, stride, w_se):
            super().__init__()
            w_out, w_b = st["width"], bottleneck_width(st)
            groups = w_b // max(st["group_width"], 1)
            self.proj = ConvBn(w_in, w_out, 1, stride) if (w_in != w_out or stride != 1) else None
            self.a = ConvBn(w_in, w_b, 1, 1)
            self.b = ConvBn(w_b, w_b, 3, stride, groups)
            self.se = SE(w_b, w_se) if w_se is not None else None
            self.c = ConvBn(w_b, w_out, 1, 1, branch_final=True)

        def forward(self, x):
            y = torch.relu(self.a(x))
            y = torch.relu(self.b(y))
            if self.se is not None:
                y = self.se(y)
            y = self.c(y)
            return torch.relu((self.proj(x) if self.proj is not None else x) + y)

    class Basic(nn.Module):  # ResNet basic block
        def __init__(self, w_in, w_out, stride):
            super().__init__()
            self.proj = ConvBn(w_in, w_out, 1, stride) if (w_in != w_out or stride != 1) else None
            self.a = ConvBn(w_in, w_out, 3, stride)
            self.b = ConvBn(w_out, w_out, 3, 1, branch_final=True)

        def forward(self, x):
            y = self.b(torch.relu(self.a(x)))
            return torch.relu((self.proj(x) if self.proj is not None else x) + y)

    class Vanilla(nn.Module):  # V block: the basic branch, a ReLU at its end, no shortcut
        def __init__(self, w_in, w_out, stride):
            super().__init__()
            self.a = ConvBn(w_in, w_out, 3, stride)
            self.b = ConvBn(w_out, w_out, 3, 1)

        def forward(self, x):
            return torch.relu(self.b(torch.relu(self.a(x))))

    stem_kind = spec["stem"]
    k, s = {"simple": (3, 2), "resnet": (7, 2), "cifar": (3, 1), "small": (3, 1)}[stem_kind]
    layers = [ConvBn(spec["in_channels"], spec["stem_width"], k, s), nn.ReLU()]
    if stem_kind == "resnet":
        layers.append(nn.MaxPool2d(3, 2, 1))
    w = spec["stem_width"]
    se_ratio = spec.get("se_ratio")
    for st in spec["stages"]:
        for j in range(st["depth"]):
            stride = st["stride"] if j == 0 else 1
            if spec["block"] == "res_basic":
                layers.append(Basic(w, st["width"], stride))
            elif spec["block"] == "vanilla":
                layers.append(Vanilla(w, st["width"], stride))
            elif spec["block"] in ("x", "y", "res_bottleneck"):
                w_se = int(round(w * se_ratio)) if se_ratio is not None else None
                layers.append(Bottleneck(w, st, stride, w_se))
            else:
                die(f"unknown block kind {spec['block']}")
            w = st["width"]
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(w, spec["num_classes"])]
    net = nn.Sequential(*layers)

    # The reference init (src/model/init.rs, layers.rs).
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, ConvBn):
                conv, bn = m[0], m[1]
                fan_out = conv.kernel_size[0] * conv.kernel_size[1] * conv.out_channels
                conv.weight.normal_(0.0, math.sqrt(2.0 / fan_out))
                bn.weight.fill_(0.0 if (zero_init and m.branch_final) else 1.0)
                bn.bias.zero_()
            elif isinstance(m, SE):
                for conv in (m.fc1, m.fc2):  # weights as every conv; biases keep PyTorch's default
                    conv.weight.normal_(0.0, math.sqrt(2.0 / conv.out_channels))
            elif isinstance(m, nn.Linear):
                m.weight.normal_(0.0, 0.01)
                m.bias.zero_()
    return net


# ---------------------------------------------------------------------------------------------
# Recipe


def lr_at(schedule, epoch, max_epochs):
    """LrSchedule::lr_at (src/train/schedule.rs)."""
    e = epoch if schedule.get("per_iteration", False) else math.floor(epoch)
    mx = float(max(max_epochs, 1))
    shape = schedule["shape"]
    if shape["kind"] == "cosine":
        lo = shape.get("min_lr", 0.0)
        c = 0.5 * (1.0 + math.cos(math.pi * e / mx))
        f = (1.0 - lo) * c + lo
    elif shape["kind"] == "step":
        f = shape["gamma"] ** sum(1 for s in shape["steps"] if e >= s)
    elif shape["kind"] == "constant":
        f = 1.0
    else:
        die(f"unknown schedule shape {shape['kind']}")
    warm_epochs = schedule.get("warmup_epochs", 0.0)
    warm = 1.0
    if e < warm_epochs:
        a = e / warm_epochs
        warm = schedule.get("warmup_factor", 0.1) * (1.0 - a) + a
    return schedule["base_lr"] * f * warm


def train_one(net, data, cfg, tag, recorded_epochs=()):
    """train_model (src/train/run.rs): returns (best test error or None if diverged, per-epoch
    test errors). Each epoch's step count and last learning rate are checked against the
    record's (`recorded_epochs`), which regnet-lab computed with the same recipe."""
    import torch
    import torch.nn.functional as F

    sgd = cfg["sgd"]
    params = list(net.parameters())
    if sgd.get("no_decay_1d", False):
        groups = [{"params": [p for p in params if p.dim() > 1], "weight_decay": sgd["weight_decay"]},
                  {"params": [p for p in params if p.dim() <= 1], "weight_decay": 0.0}]
    else:
        groups = [{"params": params, "weight_decay": sgd["weight_decay"]}]
    momentum = sgd["momentum"]
    opt = torch.optim.SGD(groups, lr=cfg["schedule"]["base_lr"], momentum=momentum,
                          nesterov=sgd["nesterov"] and momentum > 0, dampening=0.0)
    bs, epochs = cfg["batch_size"], cfg["epochs"]
    n = len(data.train_y)
    # ImageData::steps_per_epoch: the batches that run (the last partial one is dropped).
    steps_full = n // bs if n >= bs else -(-n // bs)
    msteps = cfg.get("max_steps_per_epoch")
    steps_per_epoch = min(msteps, steps_full) if msteps is not None else steps_full
    smoothing = cfg.get("label_smoothing", 0.0)
    div_loss = cfg.get("divergence_loss", 1e4)
    max_seconds = cfg.get("max_seconds")
    eval_bs = max(bs, 256)
    gen = torch.Generator().manual_seed(int(cfg.get("seed", 0)))
    errors, train_seconds, diverged, out_of_time = [], 0.0, False, False
    lr = lr_at(cfg["schedule"], 0.0, epochs)
    for epoch in range(epochs):
        t0 = time.perf_counter()
        net.train()
        loss_sum, seen, steps = 0.0, 0, 0
        for x, y in data.train_batches(bs, gen):
            if steps >= steps_per_epoch:
                break
            if max_seconds is not None and train_seconds + time.perf_counter() - t0 >= max_seconds:
                out_of_time = True
                break
            lr = lr_at(cfg["schedule"], epoch + steps / steps_per_epoch, epochs)
            for g in opt.param_groups:
                g["lr"] = lr
            loss = F.cross_entropy(net(x), y, label_smoothing=smoothing)
            lv = loss.item()
            if not math.isfinite(lv) or lv > div_loss:
                diverged = True
                break
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += lv * len(y)
            seen += len(y)
            steps += 1
        train_seconds += time.perf_counter() - t0
        if diverged or seen == 0:
            break
        net.eval()
        wrong = 0
        with torch.inference_mode():
            for s in range(0, len(data.test_y), eval_bs):
                pred = net(data.test_x[s:s + eval_bs]).argmax(1)
                wrong += (pred != data.test_y[s:s + eval_bs]).sum().item()
        errors.append(100.0 * wrong / len(data.test_y))
        log(f"  {tag} epoch {epoch + 1}/{epochs}: {steps} steps, last lr {lr:.6g}, "
            f"loss {loss_sum / seen:.4f}, test error {errors[-1]:.2f}%, "
            f"{time.perf_counter() - t0:.1f}s")
        rec = next((e for e in recorded_epochs if e.get("epoch") == epoch), None)
        if rec is not None and not out_of_time and (
                rec["steps"] != steps or abs(rec["lr"] - lr) > 1e-9 * max(abs(lr), 1e-12)):
            log(f"  {tag} WARNING: recipe mismatch in epoch {epoch + 1}: regnet-lab ran "
                f"{rec['steps']} steps ending at lr {rec['lr']:.6g}, this {steps} at {lr:.6g}")
        if out_of_time:
            break
    if diverged:
        log(f"  {tag} diverged")
        return None, errors
    return (min(errors) if errors else None), errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", help="a regnet-lab sweep directory (manifest.json, results.jsonl)")
    ap.add_argument("--threads", type=int, default=2, help="torch intra-op threads (default 2)")
    a = ap.parse_args()

    import torch
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)

    manifest, records = load_sweep(a.dir)
    descs = {r["dataset"] for r in records}
    if len(descs) != 1:
        die(f"records on several datasets: {sorted(descs)}")
    for r in records:
        if r["config"] != manifest.get("train", r["config"]):
            log(f"warning: sample {r.get('sample_index')}'s config differs from the manifest's; "
                "using the record's")
        if r["config"].get("device", "cpu") != "cpu":
            log(f"warning: sample {r.get('sample_index')} ran on {r['config']['device']}; "
                "retraining on the CPU")

    start = time.perf_counter()
    data = Data(records[0]["dataset"])
    log(f"bench_sweep_torch: {len(records)} models of {manifest['space']['name']} from {a.dir}, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{len(data.train_y)} train / {len(data.test_y)} test images")
    errors, rl_errors, indices = [], [], []
    for i, r in enumerate(records):
        cfg = r["config"]
        tag = f"[{i + 1}/{len(records)}] sample {r.get('sample_index')}"
        t0 = time.perf_counter()
        torch.manual_seed(int(cfg.get("seed", 0)))
        net = build(r["spec"], cfg.get("zero_init", False))
        n_params = sum(p.numel() for p in net.parameters())
        want = r["complexity"]["params"]
        if n_params != want:
            die(f"sample {r.get('sample_index')}: the PyTorch network has {n_params} parameters, "
                f"the record says {want}: the model is not replicated (spec {json.dumps(r['spec'])})")
        log(f"{tag}: {r['complexity']['flops'] / 1e6:.2f} MF, {n_params} params (= record)")
        err, _ = train_one(net, data, cfg, tag, r.get("epochs", []))
        rl = r.get("best_error")
        log(f"{tag}: best error {'diverged' if err is None else f'{err:.2f}%'} "
            f"(regnet-lab {'diverged' if rl is None else f'{rl:.2f}%'}), "
            f"{time.perf_counter() - t0:.1f}s (regnet-lab {r.get('seconds', float('nan')):.1f}s)")
        errors.append(err)
        rl_errors.append(rl)
        indices.append(r.get("sample_index"))
    seconds = time.perf_counter() - start
    ok = [e for e in errors if e is not None]
    print(json.dumps({
        "models": len(records),
        "seconds": seconds,
        "models_per_hour": 3600.0 * len(records) / seconds,
        "mean_error": sum(ok) / len(ok) if ok else None,
        "errors": errors,
        "diverged": len(errors) - len(ok),
        "regnet_lab_errors": rl_errors,
        "sample_indices": indices,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }))


if __name__ == "__main__":
    main()
