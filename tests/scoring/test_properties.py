"""Property tests of the scoring engine (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from scoring import reverse_key, score_scales
from scoring.validity import longest_run, response_variability

ITEMS = [f"{d}{k}" for d in "ACENO" for k in range(1, 6)]

answers = arrays(
    np.float64,
    st.tuples(st.integers(1, 12), st.just(25)),
    elements=st.one_of(st.sampled_from([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), st.just(np.nan)),
)


@given(arrays(np.float64, st.integers(0, 30), elements=st.integers(0, 4).map(float)))
def test_reversing_twice_is_identity(x):
    np.testing.assert_array_equal(reverse_key(reverse_key(x, 0, 4), 0, 4), x)


@given(arrays(np.float64, st.integers(1, 30), elements=st.integers(1, 6).map(float)))
def test_reversed_answers_stay_in_the_coding(x):
    r = reverse_key(x, 1, 6)
    assert ((r >= 1) & (r <= 6)).all()
    np.testing.assert_array_equal(r + x, np.full_like(x, 7.0))


@settings(max_examples=60, deadline=None)
@given(answers)
def test_scores_stay_within_the_coding_range(bfi_instrument, x):
    table = score_scales(bfi_instrument, pd.DataFrame(x, columns=ITEMS))
    for sc in bfi_instrument.scales:
        mean = table[f"{sc.id}.mean"].dropna()
        assert ((mean >= 1 - 1e-12) & (mean <= 6 + 1e-12)).all()
        n = table[f"{sc.id}.n"]
        raw = table[f"{sc.id}.raw"].dropna()
        assert ((raw >= n[raw.index]) & (raw <= 6 * n[raw.index])).all()


@settings(max_examples=60, deadline=None)
@given(answers, st.randoms(use_true_random=False))
def test_permuting_respondents_permutes_scores(bfi_instrument, x, rnd):
    frame = pd.DataFrame(x, columns=ITEMS, index=[f"p{i}" for i in range(len(x))])
    order = list(frame.index)
    rnd.shuffle(order)
    a = score_scales(bfi_instrument, frame).loc[order]
    b = score_scales(bfi_instrument, frame.loc[order])
    pd.testing.assert_frame_equal(a, b)


@settings(max_examples=60, deadline=None)
@given(answers)
def test_a_scale_with_too_few_answers_is_missing(bfi_instrument, x):
    table = score_scales(bfi_instrument, pd.DataFrame(x, columns=ITEMS))
    for sc in bfi_instrument.scales:  # min_answered 0.6 of 5 items -> 3 answers needed
        few = table[f"{sc.id}.n"] < 3
        assert table.loc[few, f"{sc.id}.mean"].isna().all()
        assert table.loc[few, f"{sc.id}.missing"].all()
        assert table.loc[~few, f"{sc.id}.mean"].notna().all()


@settings(max_examples=60, deadline=None)
@given(answers)
def test_mean_is_raw_over_answered(bfi_instrument, x):
    table = score_scales(bfi_instrument, pd.DataFrame(x, columns=ITEMS))
    for sc in bfi_instrument.scales:
        ok = ~table[f"{sc.id}.missing"]
        np.testing.assert_allclose(
            table.loc[ok, f"{sc.id}.mean"] * table.loc[ok, f"{sc.id}.n"],
            table.loc[ok, f"{sc.id}.raw"],
        )


@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 8), st.integers(1, 15)),
        elements=st.one_of(st.integers(1, 3).map(float), st.just(np.nan)),
    )
)
def test_longest_run_matches_a_direct_count(x):
    expected = []
    for row in x:
        best = run = 0
        prev = None
        for v in row:
            if np.isnan(v):
                run, prev = 0, None
                continue
            run = run + 1 if prev is not None and v == prev else 1
            prev = v
            best = max(best, run)
        expected.append(best)
    np.testing.assert_array_equal(longest_run(x), expected)


@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 8), st.integers(2, 15)),
        elements=st.integers(1, 6).map(float),
    )
)
def test_irv_is_the_sample_sd_of_each_row(x):
    np.testing.assert_allclose(response_variability(x), x.std(axis=1, ddof=1), atol=1e-12)
