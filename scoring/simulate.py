"""Synthetic answers for demos, tests and benchmarks (never for norms).

Each respondent gets one latent trait per top-level scale (scales without a parent); an
item answer is the trait, times the member's key, plus noise, cut into the item's coding.
Items outside any scale are answered at random.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from instruments.model import Instrument


def simulate_answers(
    instrument: Instrument,
    n: int,
    *,
    seed: int = 0,
    loading: float = 0.7,
    missing_rate: float = 0.0,
) -> pd.DataFrame:
    """A wide table of plausible answers: ``id`` then one column per numeric item.

    Examples
    --------
    >>> from instruments import load_instrument, BUILTIN_DIR
    >>> inst = load_instrument(BUILTIN_DIR / "ipip-bfi-25.yaml")
    >>> t = simulate_answers(inst, 4, seed=1)
    >>> t.shape, bool(t.iloc[:, 1:].isin([1, 2, 3, 4, 5, 6]).all().all())
    ((4, 26), True)
    """
    rng = np.random.default_rng(seed)
    items = instrument.numeric_items
    top = [sc for sc in instrument.scales if sc.parent is None] or list(instrument.scales)
    traits = rng.standard_normal((n, max(len(top), 1)))
    owner: dict[str, tuple[int, int]] = {}
    for s, sc in enumerate(top):
        for m in sc.members:
            if m.option is None:
                owner.setdefault(m.item, (s, m.key))
    cols: dict[str, np.ndarray] = {"id": np.array([f"R{i + 1:05d}" for i in range(n)])}
    blocks: dict[str, list[str]] = {}
    for it in items:
        fmt = instrument.formats[it.format]
        if fmt.type == "ranking" and it.block:
            blocks.setdefault(it.block, []).append(it.id)
            continue
        if fmt.type == "multiple_choice":
            cols[it.id] = rng.integers(0, 2 ** len(fmt.options), n).astype(np.float64)
            continue
        allowed = fmt.allowed_values()
        if allowed is None:
            lo, hi = fmt.coding_range
            grid = (
                np.arange(lo, hi + fmt.step / 2, fmt.step) if fmt.step else np.linspace(lo, hi, 5)
            )
            allowed = tuple(float(v) for v in grid)
        codes = np.sort(np.asarray(allowed, dtype=np.float64))
        if it.id in owner and fmt.ordered:
            s, key = owner[it.id]
            latent = loading * key * traits[:, s] + np.sqrt(1 - loading**2) * rng.standard_normal(n)
            # Cut the latent value into len(codes) categories at normal quantiles.
            cuts = np.linspace(-1.6, 1.6, len(codes) - 1)
            cols[it.id] = codes[np.searchsorted(cuts, latent)]
        else:
            cols[it.id] = rng.choice(codes, n)
    for ids in blocks.values():
        ranks = np.argsort(rng.random((n, len(ids))), axis=1) + 1
        for j, item_id in enumerate(ids):
            cols[item_id] = ranks[:, j].astype(np.float64)
    table = pd.DataFrame(cols)
    if missing_rate > 0:
        # Ranking blocks stay complete (a partial ranking is refused at scoring).
        item_cols = [it.id for it in items if instrument.formats[it.format].type != "ranking"]
        mask = rng.random((n, len(item_cols))) < missing_rate
        values = table[item_cols].to_numpy(dtype=np.float64, copy=True)
        values[mask] = np.nan
        table[item_cols] = values
    return table
