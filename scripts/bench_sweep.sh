#!/usr/bin/env bash
# The cpu-budget sweep benchmark of `make bench`: how many models an hour regnet-lab trains,
# against plain PyTorch doing the same work on the same machine and threads.
#
# Usage: scripts/bench_sweep.sh [BIN]      (BIN: the release CLI, default target/release/regnet-lab)
#
# In one run, on one machine, one side after the other:
#   (a) BIN sweep AnyNetX_A -n 8 … --epochs 3 --concurrency 1     one model at a time, timed
#   (b) the same sweep with --concurrency 2                       two models side by side
#   (c) scripts/bench_sweep_torch.py on (a)'s directory: the same 8 specs, read from its records,
#       trained by PyTorch with the same recipe (SGD Nesterov 0.9, per-step cosine, weight decay,
#       batch, pad-4 crop + flip, evaluation after every epoch) on the same data
# then prints a markdown table: models/hour of each side, its ratio to PyTorch, and the mean best
# test error of each side, so that a speed-up that breaks training shows.
#
# Threads: regnet-lab keeps its default (rayon's: RAYON_NUM_THREADS, else every core); PyTorch
# gets the same number. The sweep is the notebooks' cpu budget and `make demo`'s: 8 AnyNetX_A
# models of 1–6 MF, 3 epochs on the 6,000 embedded Fashion-MNIST images, batch 64, lr 0.1.
#
# A busy machine distorts the comparison, and not evenly: PyTorch's OpenMP threads spin at their
# barriers, so when another process takes a core they burn it waiting (measured on 2 busy cores:
# 3.1 s a step with 2 threads, 0.19 s with 1 thread or with OMP_WAIT_POLICY=PASSIVE). The script
# therefore measures, for each side, how many cores other processes used meanwhile (from
# /proc/stat) and warns when that is more than a tenth of a core. The environment reaches every
# side unchanged, so `OMP_WAIT_POLICY=PASSIVE scripts/bench_sweep.sh` is the way to try PyTorch
# without spinning.
#
# Environment (for quick checks only; the benchmark is the default):
#   BENCH_SWEEP_N, BENCH_SWEEP_EPOCHS   models and epochs (default 8 and 3)
#   BENCH_SWEEP_KEEP=1                  keep the sweep directories (their path is printed)
#   BENCH_SWEEP_NO_CONCURRENCY=1        for a CLI that predates --concurrency: run (a) without
#                                       the flag (it then trains one model at a time) and skip (b)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BIN=${1:-target/release/regnet-lab}
N=${BENCH_SWEEP_N:-8}
EPOCHS=${BENCH_SWEEP_EPOCHS:-3}
NO_CONC=${BENCH_SWEEP_NO_CONCURRENCY:-0}
THREADS=${RAYON_NUM_THREADS:-$(nproc)}
PY=.venv/bin/python
[[ -x $PY ]] || PY=python3

die() { echo "bench_sweep: $*" >&2; exit 1; }

[[ -x $BIN ]] || die "$BIN: no such executable (build it: cargo build --release --bin regnet-lab)"
HELP=$("$BIN" sweep --help 2>&1) || die "$BIN sweep --help failed: $HELP"
if [[ $NO_CONC != 1 && $HELP != *--concurrency* ]]; then
    die "$BIN rejects 'sweep --concurrency' (this CLI predates it): rebuild it with cargo build --release --bin regnet-lab"
fi
"$PY" -c 'import torch' 2>/dev/null || die "$PY cannot import torch (make python-deps)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-sweep.XXXXXX")
if [[ ${BENCH_SWEEP_KEEP:-0} == 1 ]]; then
    echo "bench_sweep: sweep directories kept in $TMP" >&2
else
    trap 'rm -rf "$TMP"' EXIT
fi

calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
HZ=$(getconf CLK_TCK)

# Machine-wide busy CPU seconds so far (user, nice, system, irq, softirq, steal).
machine_cpu() { awk -v hz="$HZ" '/^cpu /{ printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / hz }' /proc/stat; }

# CCPU: CPU seconds (user + system) of this shell's finished children so far. `times` must run
# in this shell, not in a $(…) subshell (whose children are not this shell's).
children_cpu() {
    times >"$TMP/times"
    CCPU=$(awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%.2f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$TMP/times")
}

# timed NAME CMD…: run CMD; leave "WALL_SECONDS OTHER_CORES" in $TMP/NAME.time, OTHER_CORES
# being the average number of cores that processes other than CMD kept busy meanwhile.
timed() {
    local name=$1
    shift
    local t0 t1 m0 m1 c0 c1
    children_cpu
    c0=$CCPU
    m0=$(machine_cpu)
    t0=$(date +%s.%N)
    "$@"
    t1=$(date +%s.%N)
    m1=$(machine_cpu)
    children_cpu
    c1=$CCPU
    calc "$t1 - $t0" >"$TMP/$name.time"
    echo " $(calc "(($m1 - $m0) - ($c1 - $c0)) / ($t1 - $t0)")" >>"$TMP/$name.time"
}

# sweep OUT [FLAGS…]: the benchmark sweep into $TMP/OUT, its log in $TMP/OUT.log.
sweep() {
    local out=$1
    shift
    if ! "$BIN" sweep AnyNetX_A -n "$N" --sample-seed 0 --dataset embedded --flops 1M..6M \
        --epochs "$EPOCHS" --batch-size 64 --lr 0.1 "$@" --out "$TMP/$out" >"$TMP/$out.log" 2>&1; then
        cat "$TMP/$out.log" >&2
        die "the sweep into $TMP/$out failed (log above)"
    fi
    grep '^sample' "$TMP/$out.log" >&2 || true
}

# stats DIR: "MODELS MEAN_BEST_ERROR DIVERGED" of a sweep directory's records.
stats() {
    "$PY" - "$1" <<'EOF'
import glob, json, os, sys
recs = {}
for path in sorted(glob.glob(os.path.join(sys.argv[1], "results*.jsonl"))):
    for line in open(path):
        if line.strip():
            r = json.loads(line)
            recs.setdefault(r.get("sample_index", len(recs)), r)
ok = [r["best_error"] for r in recs.values() if r.get("best_error") is not None]
mean = sum(ok) / len(ok) if ok else float("nan")
print(len(recs), mean, len(recs) - len(ok))
EOF
}

echo "bench_sweep: AnyNetX_A, $N models, $EPOCHS epochs, embedded data, $THREADS threads" >&2
SIDES=()
if [[ $NO_CONC == 1 ]]; then
    echo "bench_sweep: (a) regnet-lab, one model at a time (no --concurrency flag)…" >&2
    timed seq sweep seq
    SIDES+=("seq|regnet-lab (one model at a time)")
else
    echo "bench_sweep: (a) regnet-lab --concurrency 1…" >&2
    timed seq sweep seq --concurrency 1
    echo "bench_sweep: (b) regnet-lab --concurrency 2…" >&2
    timed auto sweep auto --concurrency 2
    SIDES+=("seq|regnet-lab --concurrency 1" "auto|regnet-lab --concurrency 2 (side by side)")
fi
echo "bench_sweep: (c) PyTorch on the same $N specs…" >&2
torch_side() {
    "$PY" scripts/bench_sweep_torch.py "$TMP/seq" --threads "$THREADS" >"$TMP/torch.json" ||
        die "the PyTorch side failed (log above)"
}
timed torch torch_side

PT_STATS=$("$PY" - "$TMP/torch.json" <<'EOF'
import json, sys
j = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
e = j["mean_error"]
print(j["models"], j["seconds"], "nan" if e is None else e, j.get("diverged", 0), j["torch"], j["threads"])
EOF
)
read -r PT_N PT_S PT_ERR PT_DIV PT_VER PT_THREADS <<<"$PT_STATS"
PT_MPH=$(calc "3600 * $PT_N / $PT_S")

row() { # SIDE MODELS SECONDS MEAN_ERROR DIVERGED
    local mph err
    mph=$(calc "3600 * $2 / $3")
    err=$(printf '%.2f' "$4")
    [[ $5 == 0 ]] || err="$err ($5 diverged)"
    printf '| %s | %d | %.1f | %.1f | %s | %.2f× |\n' "$1" "$2" "$3" "$mph" "$err" \
        "$(calc "$mph / $PT_MPH")"
}

CPU=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
echo
echo "Sweep benchmark: AnyNetX_A, $N models (1–6 MF), $EPOCHS epochs on the 6,000 embedded images, batch 64, lr 0.1"
echo "CPU: ${CPU:-unknown}; threads: $THREADS (regnet-lab: rayon's default; PyTorch: set_num_threads($PT_THREADS))"
echo
echo "| side | models | wall s | models/hour | mean error (%) | ratio vs PyTorch |"
echo "|---|---|---|---|---|---|"
OTHER=""
BUSY=0
for side in "${SIDES[@]}"; do
    key=${side%%|*}
    read -r S_N S_ERR S_DIV <<<"$(stats "$TMP/$key")"
    read -r S_WALL S_OTHER <"$TMP/$key.time"
    row "${side#*|}" "$S_N" "$S_WALL" "$S_ERR" "$S_DIV"
    OTHER+="$(printf '%s %.2f, ' "${side#*|}" "$S_OTHER")"
    BUSY=$(awk -v o="$S_OTHER" -v b="$BUSY" 'BEGIN { print (o > 0.1 || b) ? 1 : 0 }')
done
row "PyTorch $PT_VER" "$PT_N" "$PT_S" "$PT_ERR" "$PT_DIV"
read -r T_WALL T_OTHER <"$TMP/torch.time"
OTHER+="$(printf 'PyTorch %.2f' "$T_OTHER")"
BUSY=$(awk -v o="$T_OTHER" -v b="$BUSY" 'BEGIN { print (o > 0.1 || b) ? 1 : 0 }')
echo
printf 'Wall s: regnet-lab, the whole CLI process; PyTorch, from loading the data to the last evaluation (the whole process, torch import included: %.1f s).\n' "$T_WALL"
echo "Mean error: of each model's best test error over epochs (1,000 test images); the two sides draw init, data order and crops from different random streams."
echo "Cores kept busy by other processes meanwhile: $OTHER (of $(nproc))${OMP_WAIT_POLICY:+; OMP_WAIT_POLICY=$OMP_WAIT_POLICY}."
if [[ $BUSY == 1 ]]; then
    echo "WARNING: the machine was not idle; these timings are not a benchmark (PyTorch's spinning OpenMP threads suffer most)."
fi
