#!/usr/bin/env python3
"""Execute the notebooks headless through the real evcxr kernel and check their outputs.

Used by `make test` (budget `smoke`). A notebook fails when a cell raises, when a cell writes to
stderr (evcxr reports panics and `?` errors only there, and exits 0), unless the cell is tagged
`allow-stderr`, or when a cell tagged `figure` shows no image. Executed copies are written to
target/notebooks/ for inspection.

Usage: run_notebooks.py [NOTEBOOK ...]   (default: notebooks/*.ipynb)
"""
import os
import shutil
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "target" / "notebooks"
IMAGE_MIMES = ("image/svg+xml", "image/png")


def has_image(cell):
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        if any(m in data for m in IMAGE_MIMES):
            return True
        if "<svg" in data.get("text/html", ""):
            return True
    return False


def check(nb, path):
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                problems.append(f"cell {i}: {out.get('ename')}: {out.get('evalue')}")
            if out.get("output_type") == "stream" and out.get("name") == "stderr" and "allow-stderr" not in tags:
                text = "".join(out.get("text", ""))
                problems.append(f"cell {i} wrote to stderr:\n{text[:2000]}")
            if out.get("output_type") == "execute_result" and out.get("data", {}).get("text/plain", "").strip() == "()":
                problems.append(f"cell {i} shows a bare `()` (end the cell with a statement)")
        if "figure" in tags and not has_image(cell):
            problems.append(f"cell {i} is tagged 'figure' but shows no image")
    return problems


def main():
    paths = [Path(p) for p in sys.argv[1:]] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    OUT.mkdir(parents=True, exist_ok=True)
    # One persistent evcxr build directory: the first notebook compiles candle, the rest reuse it.
    os.environ.setdefault("EVCXR_TMPDIR", str(ROOT / "target" / "evcxr-build"))
    Path(os.environ["EVCXR_TMPDIR"]).mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("REGNET_LAB_BUDGET", "smoke")
    if os.environ["REGNET_LAB_BUDGET"] == "smoke":
        # Smoke sweeps are throwaway checks: start them afresh so a changed recipe is not
        # refused as "another sweep" by the directory a previous run left.
        for d in (ROOT / "notebooks" / "out").glob("notebook-*-smoke"):
            shutil.rmtree(d)
    failed = 0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        start = time.time()
        client = NotebookClient(nb, kernel_name="rust", timeout=int(os.environ.get("NOTEBOOK_CELL_TIMEOUT", "1800")),
                                resources={"metadata": {"path": str(path.parent)}}, allow_errors=True)
        try:
            client.execute()
            problems = check(nb, path)
        except Exception as e:  # kernel death, timeout
            problems = [f"execution failed: {type(e).__name__}: {e}"]
        nbformat.write(nb, OUT / path.name)
        secs = time.time() - start
        if problems:
            failed += 1
            print(f"FAIL {path.name} ({secs:.0f}s)")
            for p in problems:
                print("  " + p.replace("\n", "\n  "))
        else:
            print(f"ok   {path.name} ({secs:.0f}s)")
    print(f"notebooks: {len(paths) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
