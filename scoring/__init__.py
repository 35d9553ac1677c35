"""Vectorised psychometric scoring: pure NumPy/pandas, no Flask, no database.

Layers: :mod:`scoring.matrix` (answers -> response matrix), :mod:`scoring.scales`
(keying, raw/mean/n with the missing-data rule), :mod:`scoring.norms`,
:mod:`scoring.reliability`, :mod:`scoring.validity`, :mod:`scoring.profiles`, and
:func:`scoring.pipeline.score` which runs them all.
"""

from scoring.errors import NormsError, ScoringInputError
from scoring.matrix import ResponseMatrix, from_long, from_wide
from scoring.norms import NormTable, apply_norms, build_norms
from scoring.pipeline import ScoreResult, score
from scoring.reliability import cronbach_alpha, item_statistics, scale_reliability
from scoring.scales import reverse_key, score_scales
from scoring.validity import validity_indices

__all__ = [
    "NormTable",
    "NormsError",
    "ResponseMatrix",
    "ScoreResult",
    "ScoringInputError",
    "apply_norms",
    "build_norms",
    "cronbach_alpha",
    "from_long",
    "from_wide",
    "item_statistics",
    "reverse_key",
    "scale_reliability",
    "score",
    "score_scales",
    "validity_indices",
]
