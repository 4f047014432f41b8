#!/usr/bin/env python3
"""Training speed where users are: a notebook cell through the evcxr kernel against the release CLI.

Trains the same model (sample 0 of the notebooks' AnyNetX_A space: 1-6 MF, 28x28, batch 64, one
epoch of the embedded 6,000 images, the cpu recipe) ROUNDS times in a notebook cell whose first
cell is the notebooks' own `:build_env` / `:opt` / `:dep` prelude (scripts/make_notebooks.py), and
ROUNDS times with `target/release/regnet-lab sweep`, and prints img/s of each and the ratio.

Usage (after `make python-deps`, evcxr_jupyter installed and registered, `cargo build --release`):
    JUPYTER_PATH=.venv/share/jupyter .venv/bin/python scripts/notebook_speed.py \
        [--pause-cmd CMD --resume-cmd CMD]

--pause-cmd runs before each timed run and --resume-cmd after it (e.g. commands that SIGSTOP and
SIGCONT a background sweep), so that other work does not disturb the measurement; the
notebook's build (minutes when cold) runs before the first pause.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from make_notebooks import DEP  # noqa: E402

ROUNDS = 3
CELL = """use regnet_lab::prelude::*;
let data = ImageData::load(&DataSource::Embedded)?;
let space = precomputed::anynetx_chain()?.remove(0);
let s = space.sample(0, 0)?;
let cfg = TrainConfig { epochs: 1, batch_size: 64, device: DeviceChoice::Cpu, ..Budget::Cpu.train_config() };
let r = train_with(&s.spec, s.regnet.as_ref(), &data, &cfg, None, &mut |_| {})?;
println!("MF {:.2} img/s {:.1}", s.complexity.flops as f64 / 1e6, r.images_per_second);"""


def paused(cmds):
    pause, resume = cmds

    class Pause:
        def __enter__(self):
            if pause:
                subprocess.run(pause, shell=True, check=True)

        def __exit__(self, *exc):
            if resume:
                subprocess.run(resume, shell=True, check=True)

    return Pause()


def notebook_rates(pids):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "rust", "display_name": "Rust", "language": "rust"}
    nb.cells = [nbformat.v4.new_code_cell(DEP), nbformat.v4.new_code_cell("use regnet_lab::prelude::*;\nuse regnet_lab::train::DeviceChoice;")]
    os.environ.setdefault("EVCXR_TMPDIR", str(ROOT / "target" / "evcxr-build"))
    Path(os.environ["EVCXR_TMPDIR"]).mkdir(parents=True, exist_ok=True)
    client = NotebookClient(nb, timeout=3600, kernel_name="rust", resources={"metadata": {"path": str(ROOT / "notebooks")}})
    rates = []
    with client.setup_kernel():
        for i, cell in enumerate(nb.cells):
            client.execute_cell(cell, i)
        # An untimed first call compiles the cell's code (and warms the allocator).
        warm = nbformat.v4.new_code_cell(CELL)
        nb.cells.append(warm)
        client.execute_cell(warm, len(nb.cells) - 1)
        for _ in range(ROUNDS):
            cell = nbformat.v4.new_code_cell(CELL)
            nb.cells.append(cell)
            with paused(pids):
                client.execute_cell(cell, len(nb.cells) - 1)
            text = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
            m = re.search(r"MF ([\d.]+) img/s ([\d.]+)", text)
            if not m:
                raise SystemExit(f"no img/s in the cell's output: {cell.outputs}")
            rates.append(float(m.group(2)))
            mf = float(m.group(1))
    return mf, rates


def cli_rates(pids):
    exe = ROOT / "target" / "release" / "regnet-lab"
    rates = []
    for _ in range(ROUNDS + 1):
        out = Path(tempfile.mkdtemp(prefix="regnet-speed-"))
        try:
            with paused(pids):
                p = subprocess.run(
                    [str(exe), "sweep", "AnyNetX_A", "-n", "1", "--dataset", "embedded", "--flops", "1M..6M",
                     "--epochs", "1", "--batch-size", "64", "--lr", "0.1", "--warmup", "0.5",
                     "--concurrency", "1", "--out", str(out)],
                    capture_output=True, text=True, check=True)
        finally:
            shutil.rmtree(out, ignore_errors=True)
        m = re.search(r"(\d+) img/s", p.stdout)
        rates.append(float(m.group(1)))
    return rates[1:]  # the first run warms the page cache


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pause-cmd", default="", help="shell command run before each timed run")
    ap.add_argument("--resume-cmd", default="", help="shell command run after each timed run")
    ap.add_argument("--rounds", type=int, default=ROUNDS, help="timed runs of each side")
    args = ap.parse_args()
    globals()["ROUNDS"] = args.rounds
    pids = (args.pause_cmd, args.resume_cmd)
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
    mf, nb = notebook_rates(pids)
    cli = cli_rates(pids)
    med = lambda v: sorted(v)[len(v) // 2]
    print(f"CPU: {cpu}, {os.cpu_count()} threads; AnyNetX_A sample 0 ({mf:.2f} MF), 1 epoch, batch 64")
    print("| path | img/s (rounds) | median | vs release CLI |\n| --- | --- | ---: | ---: |")
    print(f"| release CLI (`regnet-lab sweep`, also `make demo`) | {', '.join(f'{r:.0f}' for r in cli)} | {med(cli):.0f} | 1.00× |")
    print(f"| notebook cell through evcxr | {', '.join(f'{r:.0f}' for r in nb)} | {med(nb):.0f} | {med(nb) / med(cli):.2f}× |")


if __name__ == "__main__":
    main()
