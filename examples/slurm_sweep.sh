#!/usr/bin/env bash
# A SLURM job array that runs one design-space sweep on N machines (or GPUs): task K runs the
# sample indices i ≡ K (mod N) into its own results file; rerunning a task resumes it.
# Submit:  sbatch --array=0-7 examples/slurm_sweep.sh
# Merge:   regnet-lab merge sweeps/regnetx/shard-* --out sweeps/regnetx/all
#SBATCH --job-name=regnet-sweep
#SBATCH --cpus-per-task=8
#SBATCH --time=04:00:00
#SBATCH --output=slurm-%A_%a.out
set -euo pipefail
N=${SLURM_ARRAY_TASK_COUNT:?run as a job array}
K=${SLURM_ARRAY_TASK_ID:?run as a job array}
regnet-lab sweep RegNetX -n 500 --sample-seed 0 \
    --dataset fashion-mnist --epochs 10 --batch-size 128 --lr 0.1 --flops 5M..10M \
    --device auto --shard "$K/$N" --out "sweeps/regnetx/shard-$K"
