"""Benchmark of the full Boussole scoring pipeline on a large SPI-shaped response matrix.

Run it from the project root with the project's virtual environment:

    .venv/bin/python bench/bench_scoring.py              # N = 200,000 respondents
    .venv/bin/python bench/bench_scoring.py --n 50000    # another size
    .venv/bin/python bench/bench_scoring.py --quick      # smoke run, N = 20,000
    .venv/bin/python bench/bench_scoring.py --no-psych   # skip the R psych yardstick
    .venv/bin/python bench/bench_scoring.py --profile    # + cProfile of one pipeline run
    .venv/bin/python bench/bench_scoring.py --layout rows  # row-major matrix instead

Other options: ``--seed`` (resampling), ``--repeats`` (timed runs, default 3),
``--psych-repeats`` (REPS passed to bench_psych.R, default 1). A full run at N = 200,000
takes a few minutes, most of it in R (reading the CSV and ``scoreItems``).

What it does:

1. Builds an N x 135 float64 response matrix by resampling rows (with replacement, seeded
   ``numpy.random.Generator``) of ``../shared/data/spi.csv`` (the 135 ``q_*`` items, coded
   1-6). Without that folder it resamples synthetic answers (``scoring.simulate``) and
   says so.
2. Uses ``instruments/builtin/spi-135.yaml`` when it exists; otherwise writes an SPI
   instrument YAML (5 domains of 14 items, 27 facets, keys from ``spi_keys.json``, likert
   1-6, validity settings, no ``norms:``) into a temporary folder and loads it with
   ``instruments.load_instrument``. A norm table grouped by ``sex`` is built in memory with
   ``scoring.norms.build_norms`` on a 4,000-row sample, so norms are part of the pipeline.
3. Times ``scoring.pipeline.score`` (raw, mean, n, norms, validity): best of 3 wall-clock
   runs; peak memory of one call with ``tracemalloc`` (numpy reports its buffers to it)
   relative to the start of the call, and the growth of the resident set
   (``resource.getrusage().ru_maxrss``). Also times ``scoring.scales.score_scales`` alone.
4. When ``Rscript`` with ``psych`` is available, writes the same items to a temporary CSV
   and runs ``tests/scoring/golden/bench_psych.R`` (``psych::scoreItems`` and
   ``psych::scoreFast``) for time ratios.
5. Prints a ``key=value`` summary and whether each target is met (memory peak under 3x
   the matrix size, at least 10x faster than ``scoreFast``).

The exit code is 0 whatever the figures: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import platform
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from instruments import BUILTIN_DIR, Instrument, InstrumentError, load_instrument
from scoring.norms import NormTable, build_norms
from scoring.pipeline import ScoreResult, score
from scoring.scales import keyed_items, score_scales
from scoring.simulate import simulate_answers

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"
BUILTIN_SPI = BUILTIN_DIR / "spi-135.yaml"
PSYCH_SCRIPT = PROJECT_ROOT / "tests" / "scoring" / "golden" / "bench_psych.R"

DEFAULT_N = 200_000
QUICK_N = 20_000
N_ITEMS = 135
N_DOMAINS, DOMAIN_SIZE = 5, 14
N_FACETS, FACET_SIZE = 27, 5
NORM_SAMPLE = 4_000
MB = 1_000_000  # decimal megabytes throughout
MEMORY_TARGET = 3.0  # peak / matrix size
SPEED_TARGET = 10.0  # psych scoreFast seconds / our seconds

LIKERT6 = [
    ("Très inexact", "Very inaccurate"),
    ("Plutôt inexact", "Moderately inaccurate"),
    ("Un peu inexact", "Slightly inaccurate"),
    ("Un peu exact", "Slightly accurate"),
    ("Plutôt exact", "Moderately accurate"),
    ("Très exact", "Very accurate"),
]


@dataclass(frozen=True)
class Workload:
    """What is scored: the instrument, the N x items matrix, demographics and norms."""

    instrument: Instrument
    matrix: pd.DataFrame
    demographics: pd.DataFrame
    norms: NormTable
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Memory:
    """Memory figures of one scoring call, in bytes."""

    traced_peak: int
    traced_retained: int
    rss_before: int | None
    maxrss_before: int
    maxrss_after: int

    @property
    def rss_growth(self) -> int | None:
        """Peak resident-set growth during the call, when the call set a new high-water
        mark (else the growth is hidden below an earlier peak and cannot be read)."""
        if self.rss_before is None or self.maxrss_after <= self.maxrss_before:
            return None
        return self.maxrss_after - self.rss_before


@dataclass(frozen=True)
class PsychTimes:
    """Times printed by bench_psych.R (median over its repeats), or why they are missing."""

    score_items: float | None
    score_fast: float | None
    comment: str


# ---------------------------------------------------------------------------
# Keys, instrument and data
# ---------------------------------------------------------------------------


def read_item_ids() -> tuple[list[str], str]:
    """Item ids in presentation order: the q_* columns of spi.csv in file order, else the
    items of spi_keys.json, else synthetic ids q_1..q_135."""
    data, keys = DATA_DIR / "spi.csv", DATA_DIR / "spi_keys.json"
    if data.exists():
        header = pd.read_csv(data, nrows=0).columns
        return [c for c in header if c.startswith("q_")], f"item ids from {data.name}"
    if keys.exists():
        raw: dict[str, list[str]] = json.loads(keys.read_text(encoding="utf-8"))
        ids = sorted({i.lstrip("-") for members in raw.values() for i in members})
        return ids, f"{data} not found: item ids from {keys.name}"
    return [f"q_{k}" for k in range(1, N_ITEMS + 1)], f"{data} not found: SYNTHETIC item ids"


def synthetic_keys(item_ids: list[str], rng: np.random.Generator) -> dict[str, list[str]]:
    """Keys of the SPI's shape: 5 domains of 14 items, 27 facets of 5 items, ~30% reversed.

    The facets partition the items; the domains take 70 of them.
    """
    shuffled = [str(i) for i in rng.permutation(item_ids)]

    def signed(item: str) -> str:
        return f"-{item}" if rng.random() < 0.3 else item

    keys: dict[str, list[str]] = {}
    for d in range(N_DOMAINS):
        members = shuffled[d * DOMAIN_SIZE : (d + 1) * DOMAIN_SIZE]
        keys[f"Domain{d + 1}"] = [signed(i) for i in members]
    reshuffled = [str(i) for i in rng.permutation(item_ids)]
    for f in range(N_FACETS):
        members = reshuffled[f * FACET_SIZE : (f + 1) * FACET_SIZE]
        keys[f"Facet{f + 1}"] = [signed(i) for i in members]
    return keys


def load_keys(item_ids: list[str], rng: np.random.Generator) -> tuple[dict[str, list[str]], str]:
    """SPI keys from spi_keys.json, or synthetic keys of the same shape."""
    path = DATA_DIR / "spi_keys.json"
    if path.exists():
        keys: dict[str, list[str]] = json.loads(path.read_text(encoding="utf-8"))
        return keys, f"keys from {path} ({len(keys)} scales)"
    keys = synthetic_keys(item_ids, rng)
    return keys, f"{path} not found: SYNTHETIC keys of the SPI's shape ({len(keys)} scales)"


def read_english_texts() -> dict[str, str]:
    """English item texts from spi_dictionary.csv (empty when the file is absent)."""
    path = DATA_DIR / "spi_dictionary.csv"
    if not path.exists():
        return {}
    table = pd.read_csv(path, dtype=str)
    texts = table.dropna(subset=["item_id", "item"])
    return dict(zip(texts["item_id"], texts["item"], strict=True))


def instrument_data(
    item_ids: list[str], keys: dict[str, list[str]], english: dict[str, str]
) -> dict[str, Any]:
    """Plain data of an SPI instrument file in the format of ipip-bfi-25.yaml.

    French texts are placeholders (the item id); English texts come from the dictionary
    when it is present (then the instrument declares ``languages: [fr, en]``).
    """
    with_en = bool(english) and all(i in english for i in item_ids)

    def text(fr: str, en: str) -> dict[str, str]:
        return {"fr": fr, "en": en} if with_en else {"fr": fr}

    largest = max(len(members) for members in keys.values())
    domains = [sid for sid, members in keys.items() if len(members) == largest]
    scales = [
        {
            "id": sid,
            "name": text(sid, sid),
            "level": "domain" if sid in domains else "facet",
            "method": "mean",
            "min_answered": 0.6,
            "items": list(members),
        }
        for sid, members in keys.items()
    ]
    pairs = []
    for sid in domains:
        first, second = keys[sid][0], keys[sid][1]
        same = first.startswith("-") == second.startswith("-")
        pairs.append(
            {
                "first": first.lstrip("-"),
                "second": second.lstrip("-"),
                "relation": "same" if same else "opposite",
            }
        )
    return {
        "format_version": 1,
        "id": "spi-135-bench",
        "version": "0.0.1",
        "languages": ["fr", "en"] if with_en else ["fr"],
        "name": text(
            "SAPA Personality Inventory, 135 items (banc d'essai)",
            "SAPA Personality Inventory, 135 items (benchmark)",
        ),
        "description": text(
            "Instrument généré par bench/bench_scoring.py pour mesurer le scoring.",
            "Instrument generated by bench/bench_scoring.py to measure scoring.",
        ),
        "construct": "personality",
        "licence": "Domaine public (items IPIP) ; fichier de banc d'essai, non distribué",
        "source": {
            "citation": "Condon, D. M. (2018). The SAPA Personality Inventory. SAPA project.",
            "url": "https://sapa-project.org/",
        },
        "minutes": 20,
        "response_formats": {
            "accuracy6": {
                "type": "likert",
                "options": [
                    {"value": v, "label": text(fr, en)}
                    for v, (fr, en) in enumerate(LIKERT6, start=1)
                ],
            }
        },
        "items": [
            {"id": i, "format": "accuracy6", "text": text(i, english.get(i, i))} for i in item_ids
        ],
        "scales": scales,
        "validity": {
            "longstring_max": 15,
            "irv_min": 0.5,
            "missing_max": 0.2,
            "min_seconds_per_item": 1.5,
            "inconsistency_pairs": pairs,
            "inconsistency_max": 3.0,
            "flat_profile_scales": domains,
            "flat_profile_sd_min": 0.15,
        },
    }


def make_instrument(folder: Path, rng: np.random.Generator) -> tuple[Instrument, str]:
    """The built-in SPI instrument if it exists (and loads), else one written from the keys.

    The built-in file's own norm table is not needed: the bench builds one in memory.
    """
    fallback = ""
    if BUILTIN_SPI.exists():
        try:
            return load_instrument(BUILTIN_SPI, check_norms=False), f"built-in {BUILTIN_SPI}"
        except InstrumentError as exc:
            first = exc.problems[0] if exc.problems else "?"
            fallback = (
                f"built-in {BUILTIN_SPI.name} does NOT load ({len(exc.problems)} problem(s),"
                f" first: {first}); falling back to a "
            )
    item_ids, ids_note = read_item_ids()
    keys, keys_note = load_keys(item_ids, rng)
    english = read_english_texts()
    path = folder / "spi-135-bench.yaml"
    header = "# Generated by bench/bench_scoring.py (benchmark only, not a shipped instrument).\n"
    body = yaml.safe_dump(
        instrument_data(item_ids, keys, english),
        allow_unicode=True,
        sort_keys=False,
        width=100,
        default_flow_style=None,
    )
    path.write_text(header + body, encoding="utf-8")
    texts = "English texts from spi_dictionary.csv" if english else "placeholder texts"
    note = f"generated {path.name} in a temporary folder ({ids_note}; {keys_note}; {texts})"
    return load_instrument(path), fallback + note


def source_pool(
    instrument: Instrument, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, str]:
    """Rows to resample from: (answers, sex) of spi.csv, or synthetic ones."""
    item_ids = [it.id for it in instrument.numeric_items]
    path = DATA_DIR / "spi.csv"
    if path.exists():
        table = pd.read_csv(path)
        absent = [i for i in item_ids if i not in table.columns]
        if absent:
            raise SystemExit(f"{path} lacks item columns of {instrument.id}: {absent[:5]}")
        answers = table[item_ids].to_numpy(dtype=np.float64)
        sex = pd.to_numeric(table["sex"], errors="coerce").to_numpy(dtype=np.float64)
        missing = int(np.isnan(answers).sum())
        return answers, sex, f"{len(table)} respondents of {path} ({missing} missing cells)"
    seed = int(rng.integers(2**31))
    simulated = simulate_answers(instrument, NORM_SAMPLE, seed=seed)
    answers = simulated[item_ids].to_numpy(dtype=np.float64)
    sex = rng.choice(np.array([1.0, 2.0]), NORM_SAMPLE)
    return answers, sex, f"{path} not found: {NORM_SAMPLE} SYNTHETIC respondents (answers 1-6)"


def resample(answers: np.ndarray, rows: np.ndarray, layout: str) -> np.ndarray:
    """``answers[rows]`` in the requested memory layout, without a second full-size copy.

    ``columns`` (default) stores each item contiguously, as pandas does for a frame read
    with ``read_csv`` or built by ``scoring.matrix.from_wide``; ``rows`` stores each
    respondent contiguously (a frame wrapping a C-ordered NumPy array).
    """
    if layout == "rows":
        return np.take(answers, rows, axis=0)
    out = np.empty((rows.size, answers.shape[1]), dtype=np.float64, order="F")
    for j in range(answers.shape[1]):
        out[:, j] = answers[rows, j]
    return out


def build_workload(n: int, seed: int, folder: Path, layout: str = "columns") -> Workload:
    """Instrument, N x items matrix resampled from the pool, demographics and norm table."""
    rng = np.random.default_rng(seed)
    notes: list[str] = []
    instrument, note = make_instrument(folder, rng)
    notes.append(f"instrument: {note} ({instrument.key})")
    answers, sex, note = source_pool(instrument, rng)
    notes.append(f"resampled from {note}; memory layout: one contiguous array per {layout[:-1]}")

    rows = rng.integers(0, answers.shape[0], n)
    columns = [it.id for it in instrument.numeric_items]
    index = pd.RangeIndex(n, name="respondent")
    # copy=False: pandas 3 copies arrays by default, which would double the build peak.
    values = resample(answers, rows, layout)
    matrix = pd.DataFrame(values, columns=columns, index=index, copy=False)
    demographics = pd.DataFrame({"sex": sex[rows]}, index=index)

    sample = np.sort(rng.choice(n, size=min(NORM_SAMPLE, n), replace=False))
    sample_matrix = matrix.iloc[sample]
    keyed = {
        sc.id: keyed_items(instrument, sample_matrix, sc).to_numpy(dtype=np.float64)
        for sc in instrument.scales
    }
    norms = build_norms(
        score_scales(instrument, sample_matrix),
        demographics.iloc[sample],
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        scales=[sc.id for sc in instrument.scales],
        group_by=["sex"],
        keyed_items=keyed,
        provenance={"source": "bench/bench_scoring.py", "rows": int(sample.size)},
        norm_version="bench",
    )
    groups = ", ".join(f"{norms.describe_group(g['key'])} (n={g['n']})" for g in norms.groups)
    notes.append(f"norm table built on {sample.size} sampled rows, groups: {groups}")
    return Workload(instrument, matrix, demographics, norms, tuple(notes))


# ---------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds of each run, and the CPU seconds of the fastest one."""

    walls: tuple[float, ...]
    cpu_of_best: float

    @property
    def best(self) -> float:
        return min(self.walls)

    def __str__(self) -> str:
        runs = ", ".join(f"{t:.3f}" for t in self.walls)
        return f"{runs} s wall (best {self.best:.3f} s, CPU {self.cpu_of_best:.3f} s)"


def best_of(fn: Callable[[], object], repeats: int) -> Timing:
    """Time ``repeats`` calls (results are dropped); the best wall time is the figure kept.

    CPU time (all threads of the process) is kept too: on a busy machine the wall time
    grows, the CPU time much less.
    """
    walls, cpus = [], []
    for _ in range(repeats):
        gc.collect()
        cpu, start = time.process_time(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return Timing(tuple(walls), cpus[walls.index(min(walls))])


def load_average() -> str:
    """The 1-minute load average and CPU count, to spot a busy machine."""
    try:
        return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPU(s)"
    except OSError:
        return "load average unknown"


def current_rss() -> int | None:
    """Current resident set size in bytes (Linux only)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def max_rss() -> int:
    """Resident-set high-water mark of this process, in bytes."""
    value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(value) if sys.platform == "darwin" else int(value) * 1024


def measure_memory(fn: Callable[[], object]) -> Memory:
    """Resident-set growth of one call, then the tracemalloc peak of another call."""
    gc.collect()
    rss_before, maxrss_before = current_rss(), max_rss()
    result = fn()
    maxrss_after = max_rss()
    del result
    gc.collect()
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        result = fn()
        current, peak = tracemalloc.get_traced_memory()
        del result
    finally:
        tracemalloc.stop()
    return Memory(peak - base, current - base, rss_before, maxrss_before, maxrss_after)


def profile_pipeline(fn: Callable[[], object], top: int = 25) -> None:
    """cProfile one call; print the functions with the most own and cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    fn()
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs()
    print(f"\n--- cProfile: top {top} by own time (tottime) ---")
    stats.sort_stats("tottime").print_stats(top)
    print(f"--- cProfile: top {top} by cumulative time ---")
    stats.sort_stats("cumulative").print_stats(top)


def sanity_check(work: Workload, rows: int = 2_000) -> tuple[str, int]:
    """Compare the pipeline's scale means with a direct NumPy computation on a few rows;
    also returns the number of output columns."""
    head = work.matrix.iloc[:rows]
    demographics = work.demographics.iloc[:rows]
    table = score(work.instrument, head, demographics=demographics, norms=work.norms).table
    worst = 0.0
    for sc in work.instrument.scales:
        keyed = keyed_items(work.instrument, head, sc).to_numpy(dtype=np.float64)
        with np.errstate(invalid="ignore"):
            expected = np.nanmean(keyed, axis=1)
        got = table[f"{sc.id}.mean"].to_numpy(dtype=np.float64)
        both = ~np.isnan(expected) & ~np.isnan(got)
        if both.any():
            worst = max(worst, float(np.max(np.abs(expected[both] - got[both]))))
    status = "ok" if worst < 1e-9 else "MISMATCH"
    detail = f"max |diff| of scale means vs NumPy on {len(head)} rows: {worst:.2e}"
    return f"{status} ({detail})", table.shape[1]


# ---------------------------------------------------------------------------
# R psych yardstick
# ---------------------------------------------------------------------------


def find_psych() -> tuple[str | None, str]:
    """Path of Rscript when psych (and jsonlite, needed by bench_psych.R) load."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None, "Rscript not on PATH"
    if not PSYCH_SCRIPT.exists():
        return None, f"{PSYCH_SCRIPT} not found"
    for package in ("psych", "jsonlite"):
        check = subprocess.run(
            [rscript, "-e", f"suppressPackageStartupMessages(library({package}))"],
            capture_output=True,
            text=True,
            check=False,
        )
        if check.returncode != 0:
            return None, f"R package {package} does not load"
    return rscript, "ok"


def psych_keys(instrument: Instrument) -> dict[str, list[str]] | None:
    """The instrument's keys as a psych keys list (None if psych cannot express them)."""
    keys: dict[str, list[str]] = {}
    for sc in instrument.scales:
        if any(m.weight != 1.0 or m.option is not None for m in sc.members):
            return None
        keys[sc.id] = [f"-{m.item}" if m.key < 0 else m.item for m in sc.members]
    return keys


def write_items_csv(matrix: pd.DataFrame, path: Path) -> None:
    """The item columns as CSV, missing cells empty (integer codes written as integers)."""
    values = matrix.to_numpy(dtype=np.float64)
    present = values[~np.isnan(values)]
    if np.array_equal(present, np.round(present)) and bool(np.all(np.abs(present) < 128)):
        # Integer codes: writing them as Int8 is ~10x faster than with a float format.
        matrix.astype("Int8").to_csv(path, index=False, na_rep="")
    else:
        matrix.to_csv(path, index=False, float_format="%.17g", na_rep="")


def run_psych(work: Workload, folder: Path, repeats: int) -> PsychTimes:
    """Write the items and keys to temporary files and run bench_psych.R on them."""
    rscript, why = find_psych()
    if rscript is None:
        return PsychTimes(None, None, f"skipped: {why}")
    keys = psych_keys(work.instrument)
    if keys is None:
        return PsychTimes(None, None, "skipped: weighted or option members")
    if not all(c.startswith("q_") for c in work.matrix.columns):
        return PsychTimes(None, None, "skipped: bench_psych.R reads q_* columns only")
    csv_path, keys_path = folder / "items.csv", folder / "keys.json"
    start = time.perf_counter()
    write_items_csv(work.matrix, csv_path)
    keys_path.write_text(json.dumps(keys), encoding="utf-8")
    size = csv_path.stat().st_size / MB
    print(f"wrote {csv_path.name} ({size:.0f} MB) in {time.perf_counter() - start:.1f} s")
    print(f"running Rscript {PSYCH_SCRIPT.relative_to(PROJECT_ROOT)} (repeats={repeats})...")
    start = time.perf_counter()
    proc = subprocess.run(
        [rscript, str(PSYCH_SCRIPT), str(csv_path), str(keys_path), str(repeats)],
        capture_output=True,
        text=True,
        check=False,
    )
    print(f"Rscript finished in {time.perf_counter() - start:.1f} s (incl. reading the CSV)")
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        return PsychTimes(None, None, f"failed (exit {proc.returncode}): {tail}")
    values: dict[str, float] = {}
    comments = []
    for line in proc.stdout.splitlines():
        if line.startswith("#"):
            comments.append(line.lstrip("# ").strip())
        elif "=" in line:
            name, _, value = line.partition("=")
            values[name.strip()] = float(value)
    return PsychTimes(
        values.get("scoreItems_seconds"), values.get("scoreFast_seconds"), "; ".join(comments)
    )


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def ratio(numerator: float | None, denominator: float) -> float | None:
    return None if numerator is None or denominator <= 0 else numerator / denominator


def fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def verdict(value: float | None, ok: bool) -> str:
    return "n/a" if value is None else ("met" if ok else "NOT met")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=DEFAULT_N, help="respondents (default 200000)")
    parser.add_argument("--quick", action="store_true", help=f"smoke run with N={QUICK_N:,}")
    parser.add_argument("--seed", type=int, default=2026, help="resampling seed")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs, best kept")
    parser.add_argument("--psych-repeats", type=int, default=1, help="bench_psych.R REPS")
    parser.add_argument("--no-psych", action="store_true", help="skip the R psych timing")
    parser.add_argument("--profile", action="store_true", help="cProfile one pipeline run")
    parser.add_argument(
        "--layout",
        choices=("columns", "rows"),
        default="columns",
        help="memory layout of the matrix: columns (default, as read_csv/from_wide) or rows",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.n = QUICK_N
    if args.n < 1 or args.repeats < 1 or args.psych_repeats < 1:
        parser.error("--n, --repeats and --psych-repeats must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(
        f"# Python {platform.python_version()}, numpy {np.__version__}, pandas"
        f" {pd.__version__}, {os.cpu_count()} CPU(s), {platform.machine()}"
    )
    with tempfile.TemporaryDirectory(prefix="boussole-bench-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        work = build_workload(args.n, args.seed, folder, args.layout)
        for note in work.notes:
            print(f"- {note}")
        n, k = work.matrix.shape
        matrix_bytes = n * k * 8
        print(
            f"response matrix: {n:,} x {k} float64 = {matrix_bytes / MB:.1f} MB;"
            f" {len(work.instrument.scales)} scales; built in {time.perf_counter() - start:.1f} s"
        )

        def pipeline() -> ScoreResult:
            return score(
                work.instrument, work.matrix, demographics=work.demographics, norms=work.norms
            )

        def scales_only() -> pd.DataFrame:
            return score_scales(work.instrument, work.matrix)

        check, n_columns = sanity_check(work)  # also warms imports and caches
        print(f"sanity check: {check}")
        print(f"pipeline output: {n:,} rows x {n_columns} columns")
        print("measuring memory (the tracemalloc run is much slower than the timed runs)...")
        memory = measure_memory(pipeline)
        print(f"timing ({load_average()})...")
        pipeline_t = best_of(pipeline, args.repeats)
        print(f"pipeline: {pipeline_t}")
        scales_t = best_of(scales_only, args.repeats)
        print(f"score_scales: {scales_t}")
        pipeline_s, scales_s = pipeline_t.best, scales_t.best
        if args.profile:
            profile_pipeline(pipeline)

        psych = (
            PsychTimes(None, None, "skipped: --no-psych")
            if args.no_psych
            else run_psych(work, folder, args.psych_repeats)
        )
        print(f"psych: {psych.comment}")

    peak_ratio = memory.traced_peak / matrix_bytes
    fast_vs_scales = ratio(psych.score_fast, scales_s)
    fast_vs_pipeline = ratio(psych.score_fast, pipeline_s)
    items_vs_pipeline = ratio(psych.score_items, pipeline_s)
    growth = memory.rss_growth
    lines = {
        "instrument": work.instrument.key,
        "layout": args.layout,
        "n_respondents": f"{n}",
        "n_items": f"{k}",
        "n_scales": f"{len(work.instrument.scales)}",
        "pipeline_seconds": f"{pipeline_s:.3f}",
        "scales_only_seconds": f"{scales_s:.3f}",
        "pipeline_cpu_seconds": f"{pipeline_t.cpu_of_best:.3f}",
        "scales_only_cpu_seconds": f"{scales_t.cpu_of_best:.3f}",
        "matrix_mb": f"{matrix_bytes / MB:.1f}",
        "peak_memory_mb": f"{memory.traced_peak / MB:.1f}",
        "result_mb": f"{memory.traced_retained / MB:.1f}",
        "peak_minus_result_mb": f"{(memory.traced_peak - memory.traced_retained) / MB:.1f}",
        "memory_ratio": f"{peak_ratio:.2f}",
        "rss_growth_mb": "n/a (below an earlier high-water mark)"
        if growth is None
        else f"{growth / MB:.1f}",
        "maxrss_mb": f"{memory.maxrss_after / MB:.1f}",
        "scoreItems_seconds": fmt(psych.score_items),
        "scoreFast_seconds": fmt(psych.score_fast),
        "ratio_scoreFast_vs_scales": fmt(fast_vs_scales, 1),
        "ratio_scoreFast_vs_pipeline": fmt(fast_vs_pipeline, 2),
        "ratio_scoreItems_vs_pipeline": fmt(items_vs_pipeline, 1),
        "target_memory_ratio_under_3x": verdict(peak_ratio, peak_ratio < MEMORY_TARGET),
        "target_10x_scoreFast_scales_only": verdict(
            fast_vs_scales, (fast_vs_scales or 0.0) >= SPEED_TARGET
        ),
        "target_10x_scoreFast_full_pipeline": verdict(
            fast_vs_pipeline, (fast_vs_pipeline or 0.0) >= SPEED_TARGET
        ),
    }
    print(f"\nend of run: {load_average()} (a load above the CPU count inflates wall times)")
    print("========== summary (MB = 10^6 bytes; ratios = psych seconds / our seconds) ==========")
    for key, value in lines.items():
        print(f"{key}={value}")
    print("peak_memory_mb: tracemalloc peak during one score() call, relative to its start;")
    print("  result_mb: what the call still holds at its end (the returned table);")
    print("  rss_growth_mb: ru_maxrss after the call minus the resident set before it;")
    print("  like-for-like speed = scoreFast vs score_scales (both: scale scores only);")
    print("  the pipeline also computes norms (z, T, percentiles...) and validity indices.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
