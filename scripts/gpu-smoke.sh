#!/usr/bin/env bash
# The CUDA path in one command, on a machine with an NVIDIA GPU (issue #10):
#   1. RegNetX-200MF's body at 32×32 (batch 128) on CUDA in f32, then bf16: the first steps'
#      losses and gradients against the CPU path (same seed, same batches; the first step must
#      agree within float tolerance), then a few hundred training steps and inference, img/s;
#   2. if PyTorch with CUDA is importable, the same network in PyTorch on the same GPU, img/s.
#
# With Rust:     scripts/gpu-smoke.sh            (builds with --features cuda; needs nvcc,
#                                                 CUDA_COMPUTE_CAP defaults to 90)
# Without Rust:  DEVICE_CHECK=path/to/device_check scripts/gpu-smoke.sh
#   The binary is `target/release/examples/device_check` built with `make check-cuda`'s
#   environment (`--release --features cuda --example device_check`). Only it travels; the
#   GPU machine provides the driver (libcuda.so.1) and CUDA 13 libraries (libcudart.so.13,
#   libcublas.so.13, libcurand.so.10): put their folder on LD_LIBRARY_PATH. `ldd` on the binary
#   must show no "not found". See README "Building for NVIDIA GPUs".
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${STEPS:-300}
BIN=${DEVICE_CHECK:-}
if [[ -z "$BIN" ]]; then
    : "${CUDA_COMPUTE_CAP:=90}"
    export CUDA_COMPUTE_CAP
    cargo build --release --features cuda --example device_check
    BIN=target/release/examples/device_check
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
if ldd "$BIN" | grep -q "not found"; then
    ldd "$BIN" | grep "not found"
    echo "gpu-smoke: set LD_LIBRARY_PATH to the folder of the CUDA 13 libraries" >&2
    exit 2
fi
status=0
for dtype in f32 bf16; do
    "$BIN" --device cuda --dtype "$dtype" --steps "$STEPS" || status=1
done
# PyTorch on the same GPU, when it is there (the peer of the train-step benchmark).
PY=${PYTHON:-python3}
if "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
    "$PY" - "$STEPS" <<'PYEOF'
import sys, time, torch, torch.nn as nn
from torchvision.models.regnet import BlockParams, RegNet, ResBottleneckBlock
steps = int(sys.argv[1])
bp = BlockParams([1, 1, 4, 7], [24, 56, 152, 368], [8, 8, 8, 8], [1.0] * 4, [1, 2, 2, 2])
m = RegNet(bp, num_classes=10, stem_width=24, block_type=ResBottleneckBlock)
m.stem = nn.Sequential(nn.Conv2d(3, 24, 3, 1, 1, bias=False), nn.BatchNorm2d(24), nn.ReLU(inplace=True))
m = m.cuda()
opt = torch.optim.SGD(m.parameters(), lr=0.02, momentum=0.9, nesterov=True, weight_decay=5e-5)
x = torch.randn(128, 3, 32, 32, device="cuda"); y = torch.randint(0, 10, (128,), device="cuda")
for dtype in (torch.float32, torch.bfloat16):
    def step():
        with torch.autocast("cuda", dtype=dtype, enabled=dtype != torch.float32):
            loss = nn.functional.cross_entropy(m(x), y)
        opt.zero_grad(); loss.backward(); opt.step()
    for _ in range(5): step()
    torch.cuda.synchronize(); t = time.time()
    for _ in range(steps): step()
    torch.cuda.synchronize(); train = steps * 128 / (time.time() - t)
    m.eval()
    with torch.no_grad(), torch.autocast("cuda", dtype=dtype, enabled=dtype != torch.float32):
        for _ in range(5): m(x)
        torch.cuda.synchronize(); t = time.time()
        for _ in range(steps): m(x)
        torch.cuda.synchronize(); infer = steps * 128 / (time.time() - t)
    m.train()
    print(f"pytorch {torch.__version__} {torch.cuda.get_device_name()} {dtype}: train {train:.0f} img/s, inference {infer:.0f} img/s")
PYEOF
else
    echo "gpu-smoke: no PyTorch with CUDA here; skipped the PyTorch comparison"
fi
exit $status
