"""End-to-end benchmark of ``boussole score`` on a large file, side by side with R.

Run it from the project root with the project's virtual environment:

    .venv/bin/python bench/bench_batch.py                 # N = 200,000 respondents
    .venv/bin/python bench/bench_batch.py --rows 50000    # another size
    .venv/bin/python bench/bench_batch.py --no-r          # without the R yardstick
    .venv/bin/python bench/bench_batch.py --big           # + the 2,000,000-row memory check

What it does, in one run (so that the ratios hold on a loaded machine):

1. Writes N respondents x 135 SPI items to a CSV in a temporary folder (``--folder``):
   rows resampled (seeded) from ``../shared/data/spi.csv`` (items ``q_*`` coded 1-6,
   missing cells kept, plus ``sex`` and ``age`` for the norm groups), ids ``R0000001``...
2. Runs the CLI as a user runs it, in a child process: ``boussole score -i spi-135
   --input answers.csv --output scores.csv`` (the full normed output: 491 columns at
   their documented precision), then the same to ``scores.parquet``. Wall time from the
   start of the process to its end (reading, scoring, writing, and the interpreter's
   start-up), peak resident memory of that child (``/usr/bin/time``'s maximum resident
   set size).
3. Runs ``Rscript bench/score_fast.R answers.csv keys.json means.csv``: R's
   ``read.csv`` + ``psych::scoreFast`` + ``write.csv`` of the 32 scale means, timed the
   same way (skipped with ``--no-r`` or when Rscript/psych are missing).
4. Prints the figures and the ratios against the targets: CSV at least 2x faster than R,
   Parquet at least 5x, peak memory under 3x the input matrix (N x 135 x 8 bytes).
   With ``--big``: a 2,000,000-row file to Parquet, peak memory under 2 GB (the file is
   deleted afterwards).

The exit code is 0 whatever the figures: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT.parent / "shared" / "data"
R_SCRIPT = PROJECT_ROOT / "bench" / "score_fast.R"
BOUSSOLE = Path(sys.executable).with_name("boussole")
N_ITEMS = 135
MB = 1_000_000
CSV_TARGET, PARQUET_TARGET, MEMORY_TARGET = 2.0, 5.0, 3.0
BIG_ROWS, BIG_LIMIT = 2_000_000, 2_000 * MB


@dataclass(frozen=True)
class Run:
    """One child process: wall seconds, peak resident set in bytes, exit code."""

    seconds: float
    max_rss: int
    code: int
    stderr: str


def run(cmd: list[str]) -> Run:
    """Run ``cmd`` as a child, timed, with its own peak RSS measured by ``/usr/bin/time``.

    Not ``os.wait4`` on our own child: a child forked from this process (which holds the
    generated table) would report our resident memory at the fork as its peak.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        start = time.perf_counter()
        proc = subprocess.run(
            ["/usr/bin/time", "-o", rss.name, "-f", "%M", *cmd],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
        )
        seconds = time.perf_counter() - start
        kib = int(rss.read().split()[-1])
    err = proc.stderr.decode("utf-8", "replace")
    return Run(seconds, kib * 1024, proc.returncode, err[-2000:])


def write_answers(path: Path, rows: int, seed: int) -> str:
    """N resampled SPI respondents (ids, sex, age, the 135 items) as a CSV file."""
    source = DATA_DIR / "spi.csv"
    table = pd.read_csv(source)
    keys = json.loads((DATA_DIR / "spi_keys.json").read_text(encoding="utf-8"))
    keyed = {i.lstrip("-") for members in keys.values() for i in members}
    items = [c for c in table.columns if c in keyed]  # the 135 items of the 32 SPI scales
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(table), rows)
    columns: dict[str, pa.Array] = {
        "id": pa.array([f"R{k:07d}" for k in range(1, rows + 1)]),
    }
    for col in ["sex", "age", *items]:
        x = table[col].to_numpy(dtype=np.float64)[pick]
        missing = np.isnan(x)
        columns[col] = pa.array(np.where(missing, 0, x).astype(np.int64), mask=missing)
    # Written in blocks: the 2,000,000-row file is never held as text in memory.
    out = pa.table(columns)
    with pacsv.CSVWriter(str(path), out.schema) as writer:
        for start in range(0, rows, 100_000):
            writer.write_table(out.slice(start, 100_000))
    # pyarrow quotes the header and the ids; R and both of Boussole's readers accept it.
    return f"{rows} rows resampled from {source} ({len(items)} items)"


def boussole(inp: Path, out: Path) -> Run:
    cmd = [str(BOUSSOLE), "score", "-i", "spi-135", "--input", str(inp), "--output", str(out)]
    # The built-in spi-135 keeps 127 of the 135 items (see its YAML): the others are ignored.
    return run([*cmd, "--no-progress", "--ignore-unknown"])


def r_available() -> str | None:
    if shutil.which("Rscript") is None:
        return "Rscript not found (apt-get install r-base-core r-cran-psych r-cran-jsonlite)"
    check = subprocess.run(
        ["Rscript", "-e", "library(psych); library(jsonlite)"], capture_output=True, text=True
    )
    return None if check.returncode == 0 else f"R packages missing: {check.stderr.strip()}"


def fmt_run(name: str, r: Run, matrix: int) -> str:
    ok = "" if r.code == 0 else f"  EXIT {r.code}: {r.stderr.strip()[-300:]}"
    return (
        f"{name:<34} {r.seconds:7.2f} s   peak RSS {r.max_rss / MB:7.0f} MB"
        f"  ({r.max_rss / matrix:4.2f}x the input matrix){ok}"
    )


def big_check(work: Path, seed: int) -> dict[str, float | str]:
    """The 2,000,000-row file to Parquet: peak memory (the files are deleted after)."""
    for f in work.iterdir():
        f.unlink()
    big = work / "big.csv"
    write_answers(big, BIG_ROWS, seed)
    print(f"\n# {BIG_ROWS} rows: {big.stat().st_size / MB:.0f} MB of CSV")
    big_run = boussole(big, work / "big.parquet")
    big.unlink()
    (work / "big.parquet").unlink(missing_ok=True)
    print(fmt_run("boussole score 2M -> Parquet", big_run, BIG_ROWS * N_ITEMS * 8))
    met = "met" if big_run.max_rss < BIG_LIMIT else "NOT met"
    print(f"2M rows: peak {big_run.max_rss / MB:.0f} MB (target < {BIG_LIMIT / MB:.0f} MB): {met}")
    return {"big_seconds": round(big_run.seconds, 2), "big_rss_mb": round(big_run.max_rss / MB)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-r", action="store_true", help="skip the R yardstick")
    parser.add_argument("--big", action="store_true", help="+ the 2,000,000-row memory check")
    parser.add_argument("--folder", type=Path, default=None, help="work folder (default: /tmp)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="boussole-bench-batch-", dir=args.folder))
    try:
        print(f"# load before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min)")
        answers = work / "answers.csv"
        start = time.perf_counter()
        note = write_answers(answers, args.rows, args.seed)
        size = answers.stat().st_size
        print(f"# {note}: {size / MB:.0f} MB, written in {time.perf_counter() - start:.1f} s")
        matrix = args.rows * N_ITEMS * 8
        print(f"# input matrix = N x {N_ITEMS} x 8 bytes = {matrix / MB:.0f} MB")

        csv_run = boussole(answers, work / "scores.csv")
        csv_out = (work / "scores.csv").stat().st_size if csv_run.code == 0 else 0
        (work / "scores.csv").unlink(missing_ok=True)
        pq_run = boussole(answers, work / "scores.parquet")
        print(fmt_run("boussole score -> CSV (normed)", csv_run, matrix))
        print(f"{'':<34} output {csv_out / MB:.0f} MB")
        print(fmt_run("boussole score -> Parquet (normed)", pq_run, matrix))

        why_not = "--no-r" if args.no_r else r_available()
        r_run = None
        if why_not is None:
            keys = work / "keys.json"
            shutil.copy(DATA_DIR / "spi_keys.json", keys)
            r_run = run(["Rscript", str(R_SCRIPT), str(answers), str(keys), str(work / "m.csv")])
            print(fmt_run("R read.csv+scoreFast+write.csv", r_run, matrix))
        else:
            print(f"# R skipped: {why_not}")

        figures: dict[str, float | str] = {
            "rows": args.rows,
            "csv_seconds": round(csv_run.seconds, 2),
            "parquet_seconds": round(pq_run.seconds, 2),
            "csv_rss_x_matrix": round(csv_run.max_rss / matrix, 2),
            "parquet_rss_x_matrix": round(pq_run.max_rss / matrix, 2),
        }
        print()
        mem = max(csv_run.max_rss, pq_run.max_rss) / matrix
        print(f"memory: peak {mem:.2f}x the input matrix (target < {MEMORY_TARGET:g}x):"
              f" {'met' if mem < MEMORY_TARGET else 'NOT met'}")  # fmt: skip
        if r_run is not None and r_run.code == 0:
            for name, r, target in (
                ("CSV", csv_run, CSV_TARGET),
                ("Parquet", pq_run, PARQUET_TARGET),
            ):
                ratio = r_run.seconds / r.seconds
                figures[f"r_over_{name.lower()}"] = round(ratio, 2)
                print(f"{name}: {ratio:.2f}x faster than R (target >= {target:g}x):"
                      f" {'met' if ratio >= target else 'NOT met'}")  # fmt: skip
            figures["r_seconds"] = round(r_run.seconds, 2)
        if args.big:
            figures.update(big_check(work, args.seed))
        print(f"# load after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min)")
        print(json.dumps(figures))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
