#!/usr/bin/env bash
# Installs the CUDA 13.0 build toolkit that `cargo build --features cuda` needs, on a machine
# with no GPU and no driver, into one folder (default .cuda/, ~1.2 GB; ~0.7 GB downloaded):
#
#   $DEST/nvidia/cu13/{bin,nvvm,include,lib}   nvcc + headers + the libraries candle links
#   $DEST/nvidia/cu13/lib/lib*.so              unversioned names for the linker (-lcublas ...)
#   $DEST/nvidia/cu13/lib/stubs/libcuda.so     a stub of the driver library (see below)
#
# Point CUDA_HOME at $DEST/nvidia/cu13 and put its bin/ on PATH (the Makefile does).
#
# Why NVIDIA's PyPI wheels and why 13.0 exactly:
# - candle-core 0.11.1 turns on cudarc's `dynamic-linking`: the binary is linked against
#   libcuda.so.1, libcublas.so.13, libcublasLt.so.13, libcurand.so.10, libnvrtc.so.13 and
#   (through candle-kernels) libcudart.so.13, by soname. A binary built here runs only where
#   libraries of the same *major* version exist; the project's GPU machine (H200) has driver
#   580 (CUDA 13.0) and CUDA 13 libraries, so the build toolkit is CUDA 13.
# - candle's kernels are shipped as PTX that the driver JIT-compiles at load time; PTX from a
#   newer nvcc than the driver (13.1+ on driver 580) is rejected there. 13.0 is the newest
#   that driver 580 loads, and the version the GPU machine's own nvcc has.
# - Debian bookworm's nvidia-cuda-toolkit is CUDA 11.8: its ptxas has no sm_90a, which
#   candle-kernels asks for when CUDA_COMPUTE_CAP=90 (cudaforge adds the `a` suffix for 90+),
#   its libraries have CUDA 11 sonames the GPU machine does not have, and it is 1.6 GB to
#   download / 5.3 GB installed (it pulls the 535 driver's libcuda1 and gcc-11 as well).
# - The versions are the ones PyPI's `cuda-toolkit==13.0.2` meta-package pins, installed with
#   --no-deps because nvidia-cuda-nvcc leaves nvidia-nvvm unpinned (pip would take 13.5's cicc).
#
# Why a libcuda stub: the driver library is not in any of these wheels (a real toolkit has
# lib/stubs/libcuda.so; the wheels do not) and cannot be installed without the driver. The
# linker only needs the symbol names and the soname, so we build a library named
# libcuda.so.1 exporting every driver function cudarc binds, each returning
# CUDA_ERROR_STUB_LIBRARY (34). At run time the real libcuda.so.1 of the GPU machine's driver
# is loaded instead; the stub never travels (it is in lib/stubs, never on a run-time path).
#
# Idempotent: reinstalls only when the version stamp is missing. Usage:
#   scripts/install_cuda_toolkit.sh [DEST] [PIP]
set -euo pipefail

DEST=${1:-.cuda}
PIP=${2:-pip}
WHEELS=(
    nvidia-cuda-nvcc==13.0.88
    nvidia-nvvm==13.0.88
    nvidia-cuda-crt==13.0.88
    nvidia-cuda-runtime==13.0.96
    nvidia-cuda-cccl==13.0.85
    nvidia-cublas==13.1.0.3
    nvidia-cuda-nvrtc==13.0.88
    nvidia-curand==10.4.0.35
)
STAMP="$DEST/.installed-13.0.2"
ROOT="$DEST/nvidia/cu13"

if [[ ! -e $STAMP ]]; then
    rm -rf "$DEST"
    "$PIP" install --quiet --disable-pip-version-check --no-deps --target "$DEST" "${WHEELS[@]}"
fi

# Linker names (the wheels ship only the sonames).
for so in cublas cublasLt curand nvrtc cudart; do
    real=$(cd "$ROOT/lib" && ls "lib$so.so."* | grep -v alt | head -n1)
    ln -sfn "$real" "$ROOT/lib/lib$so.so"
done

# The driver stub, from the list of functions cudarc's driver bindings declare.
if [[ ! -e $ROOT/lib/stubs/libcuda.so ]]; then
    mkdir -p "$ROOT/lib/stubs"
    tmp=$(mktemp -d)
    # Every `cu*` function cuda.h declares, after its version macros (cuCtxCreate ->
    # cuCtxCreate_v4 ...), plus the unversioned and older versioned names cudarc may bind.
    {
        gcc -E -P -I "$ROOT/include" -x c "$ROOT/include/cuda.h" |
            grep -oE '\bcu[A-Z][A-Za-z0-9_]*[[:space:]]*\(' | tr -d '( \t'
        grep -hoE '^[[:space:]]*CUresult[[:space:]]+CUDAAPI[[:space:]]+cu[A-Z][A-Za-z0-9_]*' \
            "$ROOT/include/cuda.h" | awk '{print $3}'
        grep -hoE '#define[[:space:]]+cu[A-Z][A-Za-z0-9_]*[[:space:]]+cu[A-Z][A-Za-z0-9_]*' \
            "$ROOT/include/cuda.h" | awk '{print $2; print $3}'
        # cudaProfiler.h's (in libcuda too; that header is in a wheel we do not need).
        printf '%s\n' cuProfilerInitialize cuProfilerStart cuProfilerStop
    } | sort -u | awk '{printf "int %s(void) { return 34; }\n", $1}' >"$tmp/stub.c"
    gcc -shared -fPIC -w -Wl,-soname,libcuda.so.1 -o "$ROOT/lib/stubs/libcuda.so" "$tmp/stub.c"
    rm -rf "$tmp"
fi

touch "$STAMP"
"$ROOT/bin/nvcc" --version | tail -n 2 | head -n 1
