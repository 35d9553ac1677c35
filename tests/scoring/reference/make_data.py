"""Seeded synthetic answers and psych keys for the self-contained R psych reference.

Writes, for each instrument of :data:`INSTRUMENTS`, a wide CSV of answers (``id`` then
one column per numeric item, empty cell = missing) and one ``keys.json`` that gives R
the scales of every instrument as psych keys (``"-A1"`` = reverse keyed), with the
coding range of their items, all read from the built-in instrument YAML files.
``score_psych.R`` scores these files with ``psych``; ``test_reference_psych.py`` checks
that the committed files are exactly what this script writes.

Run from the project root::

    .venv/bin/python tests/scoring/reference/make_data.py            # into this folder
    .venv/bin/python tests/scoring/reference/make_data.py --out DIR  # elsewhere

The data model is this script's own (not ``scoring.simulate``, so that a change to the
demo simulator does not change the reference data): one standard-normal trait per scale
(a facet's trait correlates 0.6 with its domain's), an item answers ``0.7 x key x trait
+ noise`` for its most specific scale, cut into its coding at normal quantiles; items in
no scale are uniform, ranking blocks are random permutations. Then missing
cells: MCAR at :data:`MCAR_RATE`, a few rows with every item of one scale missing, a
few with a single item of one scale answered (below any ``min_answered`` rule), one row
with nothing answered, and a few rows with a whole ranking block missing (a partial
ranking is refused by Boussole, so ranking blocks are never partly missing).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from instruments import BUILTIN_DIR, Instrument, load_instrument

HERE = Path(__file__).resolve().parent
SEED = 20_261_127
MCAR_RATE = 0.04
LOADING = 0.7
# instrument id -> number of respondents (a few hundred each, files stay small)
INSTRUMENTS: dict[str, int] = {
    "ipip-bfi-25": 400,
    "spi-135": 200,
    "riasec-60": 300,
    "valeurs-travail": 300,
    "satisfaction-fin-bilan": 200,
    "suivi-6-mois": 200,
}
KEYS_FILE = "keys.json"


def data_file(instrument_id: str) -> str:
    return f"{instrument_id}.csv"


def _codes(instrument: Instrument, item_id: str) -> np.ndarray:
    """The possible answer codes of an item, ascending."""
    fmt = instrument.format_of(item_id)
    allowed = fmt.allowed_values()
    if allowed is None:  # a number in a range: its integer grid (or its step)
        lo, hi = fmt.coding_range
        step = fmt.step or 1.0
        allowed = tuple(float(v) for v in np.arange(lo, hi + step / 2, step))
    return np.sort(np.asarray(allowed, dtype=np.float64))


def psych_keys(instrument: Instrument) -> dict[str, object]:
    """The scales of ``instrument`` as psych keys, with the coding range of their items.

    psych keys can only say +1 or -1: a weighted member or an option indicator is refused
    rather than silently scored differently from Boussole.
    """
    scales: dict[str, object] = {}
    for sc in instrument.scales:
        ranges = set()
        keys = []
        for m in sc.members:
            if m.option is not None or m.weight != 1.0:
                raise ValueError(f"{instrument.id}: scale {sc.id} is not expressible as psych keys")
            ranges.add(instrument.format_of(m.item).coding_range)
            keys.append(("-" if m.key < 0 else "") + m.item)
        if len(ranges) != 1:
            raise ValueError(f"{instrument.id}: scale {sc.id} mixes coding ranges {ranges}")
        ((lo, hi),) = ranges
        scales[sc.id] = {
            "keys": keys,
            "min": lo,
            "max": hi,
            "method": sc.method,
            "ipsative_group": sc.ipsative_group,
        }
    return scales


def _traits(instrument: Instrument, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One standard-normal trait per scale; a child scale's trait is 0.6 x its parent's
    (negated when the keys of their common items mostly disagree) plus noise."""
    traits: dict[str, np.ndarray] = {}
    for sc in sorted(instrument.scales, key=lambda sc: sc.parent is not None):
        noise = rng.standard_normal(n)
        if sc.parent is None:
            traits[sc.id] = noise
            continue
        parent_keys = {m.item: m.key for m in instrument.scale(sc.parent).members}
        agree = sum(m.key * parent_keys.get(m.item, 0) for m in sc.members)
        sign = -1.0 if agree < 0 else 1.0
        traits[sc.id] = sign * 0.6 * traits[sc.parent] + 0.8 * noise
    return traits


def answers(instrument: Instrument, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` rows of seeded synthetic answers with the missing cells described above."""
    items = [it.id for it in instrument.numeric_items]
    traits = _traits(instrument, n, rng)
    # An item follows the trait of its most specific scale (a facet before its domain).
    owner: dict[str, tuple[str, int]] = {}
    for sc in sorted(instrument.scales, key=lambda sc: sc.parent is None):
        for m in sc.members:
            owner.setdefault(m.item, (sc.id, m.key))
    blocks: dict[str, list[str]] = {}
    x = np.empty((n, len(items)))
    for j, item_id in enumerate(items):
        it = instrument.item(item_id)
        fmt = instrument.formats[it.format]
        if fmt.type == "ranking" and it.block:
            blocks.setdefault(it.block, []).append(item_id)
            continue
        codes = _codes(instrument, item_id)
        if item_id in owner and fmt.ordered:
            t, key = owner[item_id]
            latent = LOADING * key * traits[t] + np.sqrt(1 - LOADING**2) * rng.standard_normal(n)
            cuts = np.linspace(-1.6, 1.6, len(codes) - 1)
            x[:, j] = codes[np.searchsorted(cuts, latent)]
        else:
            x[:, j] = rng.choice(codes, n)
    col = {c: j for j, c in enumerate(items)}
    for ids in blocks.values():
        ranks = np.argsort(rng.random((n, len(ids))), axis=1) + 1
        for k, item_id in enumerate(ids):
            x[:, col[item_id]] = ranks[:, k]
    ranked = [c for ids in blocks.values() for c in ids]
    free = np.array([col[c] for c in items if c not in ranked])
    # 1. MCAR cells (ranking blocks excluded).
    mask = rng.random((n, len(free))) < MCAR_RATE
    sub = x[:, free]
    sub[mask] = np.nan
    x[:, free] = sub
    # 2. Per scale: two rows with all its items missing, two with one item answered.
    for sc in instrument.scales:
        members = [col[m.item] for m in sc.members if m.item not in ranked]
        if not members:
            continue
        rows = rng.choice(n, 4, replace=False)
        x[np.ix_(rows[:2], members)] = np.nan
        if len(members) > 1:
            keep = members[int(rng.integers(len(members)))]
            others = [c for c in members if c != keep]
            x[np.ix_(rows[2:], others)] = np.nan
            x[rows[2:], keep] = rng.choice(_codes(instrument, items[keep]), 2)
    # 3. Whole ranking blocks missing on a few rows.
    for ids in blocks.values():
        rows = rng.choice(n, 5, replace=False)
        x[np.ix_(rows, [col[c] for c in ids])] = np.nan
    # 4. One row with nothing answered.
    x[int(rng.integers(n)), :] = np.nan
    table = pd.DataFrame(x, columns=items)
    table.insert(0, "id", [f"R{i + 1:04d}" for i in range(n)])
    return table


def write_fixtures(out: Path) -> list[Path]:
    """Write every CSV and ``keys.json`` into ``out``; return the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    keys: dict[str, object] = {}
    for k, (instrument_id, n) in enumerate(INSTRUMENTS.items()):
        inst = load_instrument(BUILTIN_DIR / f"{instrument_id}.yaml")
        rng = np.random.default_rng([SEED, k])
        table = answers(inst, n, rng)
        path = out / data_file(instrument_id)
        table.to_csv(path, index=False, float_format="%.17g", na_rep="", lineterminator="\n")
        written.append(path)
        keys[instrument_id] = {
            "version": inst.version,
            "data": path.name,
            "rows": n,
            "items": [it.id for it in inst.numeric_items],
            "scales": psych_keys(inst),
        }
    doc = {
        "generator": "tests/scoring/reference/make_data.py",
        "seed": SEED,
        "mcar_rate": MCAR_RATE,
        "instruments": keys,
    }
    path = out / KEYS_FILE
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: here)")
    args = parser.parse_args()
    for path in write_fixtures(args.out):
        print(f"{path.stat().st_size:>8} {path}")


if __name__ == "__main__":
    main()
