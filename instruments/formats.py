"""Registry of response-format types.

Each type says whether its answers are numeric (enter the response matrix), ordered
(reverse keying allowed) and which fields a definition must carry. New types are added
with :func:`register_format`.

Examples
--------
>>> sorted(FORMAT_TYPES)[:4]
['binary', 'forced_choice', 'free_text', 'likert']
>>> FORMAT_TYPES["likert"].ordered
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class FormatType:
    """Properties of a response-format type."""

    name: str
    numeric: bool
    ordered: bool
    needs_options: bool
    description: str
    min_options: int = 0
    max_options: int | None = None
    needs_range: bool = False
    needs_size: bool = False


FORMAT_TYPES: dict[str, FormatType] = {}


def register_format(
    name: str,
    **props: object,
) -> Callable[[type], type]:
    """Class decorator registering a format type under ``name``.

    The decorated class's docstring becomes the type's description.
    """

    def deco(cls: type) -> type:
        FORMAT_TYPES[name] = FormatType(
            name=name,
            description=(cls.__doc__ or "").strip(),
            **props,  # type: ignore[arg-type]
        )
        return cls

    return deco


@register_format("likert", numeric=True, ordered=True, needs_options=True, min_options=2)
class _Likert:
    """Ordered agreement/accuracy scale with n points, each with its code and label."""


@register_format("rating", numeric=True, ordered=True, needs_options=True, min_options=2)
class _Rating:
    """Ordered like/unsure/dislike style scale with any coding (e.g. 0-4)."""


@register_format(
    "binary", numeric=True, ordered=True, needs_options=True, min_options=2, max_options=2
)
class _Binary:
    """Two options, e.g. oui (1) / non (0)."""


@register_format("single_choice", numeric=True, ordered=False, needs_options=True, min_options=2)
class _Single:
    """One option among several (unordered codes; score with ``option:`` indicators)."""


@register_format(
    "multiple_choice",
    numeric=True,
    ordered=False,
    needs_options=True,
    min_options=2,
    max_options=52,
)
class _Multiple:
    """Several options may be chosen; stored as a bit mask, scored with ``option:``."""


@register_format("forced_choice", numeric=True, ordered=False, needs_options=True, min_options=2)
class _Forced:
    """A choice between statements, each option usually keyed to a scale."""


@register_format("ranking", numeric=True, ordered=True, needs_options=False, needs_size=True)
class _Ranking:
    """Statements of a block ranked 1..k (1 = first); each statement is an item."""


@register_format("number", numeric=True, ordered=True, needs_options=False, needs_range=True)
class _Number:
    """A number within a declared minimum and maximum."""


@register_format("free_text", numeric=False, ordered=False, needs_options=False)
class _FreeText:
    """Free text; never scored."""
