#!/usr/bin/env bash
# Commit the runs that running sweeps have finished so far, with the tables they change.
#
# Usage: scripts/commit_sweeps.sh "commit message"     (from anywhere inside the checkout)
#
# A sweep appends one JSON line per finished run to datasets/sweeps/*/*/results-shard-*.jsonl
# while this runs, so:
#   1. each changed or new results file is staged up to its last newline (a line being written
#      stays out); manifests are staged whole;
#   2. `regnet-lab report --write` rewrites the README tables and the counts from the files on
#      disk, i.e. from what was just staged;
#   3. if any results file on disk now differs from what was staged (a run landed in between),
#      nothing is committed and the index is reset (anything else staged is unstaged too): run
#      it again.
# The commit then holds runs and tables that agree, which `tests/it/report.rs` checks.
#
# Uses the release CLI (target/release/regnet-lab, built if missing); the sweeps may keep running.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
msg=${1:?usage: scripts/commit_sweeps.sh "commit message"}
bin=target/release/regnet-lab
# The tables are rewritten inside README.md and datasets/sweeps/README.md, which are then
# committed whole: other edits there must be staged on purpose, not swept in.
if ! git diff --quiet -- README.md datasets/sweeps/README.md; then
  echo "README.md or datasets/sweeps/README.md has unstaged edits: stage them to commit them" \
       "with the runs, or commit them first" >&2
  exit 1
fi
[[ -x $bin ]] || cargo build --locked --release --bin regnet-lab

whole=$(mktemp)
trap 'rm -f "$whole"' EXIT
changed=$(git ls-files --modified --others --exclude-standard -- datasets/sweeps)
for f in $changed; do
  case $f in
    *.jsonl)
      # Up to and including the last newline ($(…) drops a trailing newline, so it is empty
      # exactly when the file ends with one).
      if [[ -z $(tail -c 1 "$f") ]]; then cp "$f" "$whole"; else head -n -1 "$f" > "$whole"; fi
      blob=$(git hash-object -w "$whole")
      git update-index --add --cacheinfo "100644,$blob,$f"
      ;;
    *) git add -- "$f" ;;
  esac
done

$bin report --write
results=$(git ls-files -- 'datasets/sweeps/*.jsonl')
if ! git diff --quiet -- $results; then
  git reset -q
  echo "a run landed (or was being written) while the tables were made: nothing committed, run again" >&2
  exit 1
fi
git add README.md datasets/sweeps/README.md
if git diff --cached --quiet; then
  echo "no new runs: nothing to commit"
  exit 0
fi
git commit -q -m "$msg"
git log --oneline -1
