"""Regenerate the bundled demo answers (synthetic, seeded): 200 fictitious respondents.

python tools/make_demo_sample.py
"""

from __future__ import annotations

import numpy as np

from instruments import BUILTIN_DIR, load_instrument
from scoring.simulate import simulate_answers


def main() -> None:
    inst = load_instrument(BUILTIN_DIR / "ipip-bfi-25.yaml")
    table = simulate_answers(inst, 200, seed=2026, missing_rate=0.01)
    rng = np.random.default_rng(7)
    table.insert(1, "gender", rng.choice([1, 2], len(table)))
    table.insert(2, "age", rng.integers(22, 63, len(table)))
    table["seconds"] = np.round(rng.gamma(9.0, 15.0, len(table)), 1)
    item_cols = [it.id for it in inst.items]
    table[item_cols] = table[item_cols].astype("Int64")
    out = BUILTIN_DIR / "sample" / "ipip-bfi-25-sample.csv"
    table.to_csv(out, index=False)
    print(f"wrote {out} ({len(table)} rows)")


if __name__ == "__main__":
    main()
