"""Paging an instrument's items for the beneficiary: a few items per page.

Rules: at most ``per_page`` items on a page; a ranking block is never split (a block
longer than ``per_page`` gets a page of its own); a new section always starts a new page,
and the first page of a section carries its title and instructions. Pages are numbered
from 1, as in the URLs. Pagination depends only on the instrument and ``per_page``, so
it is computed once per instrument and cached.
"""

from __future__ import annotations

from dataclasses import dataclass

from instruments.model import Instrument, Item, Section


@dataclass(frozen=True)
class Page:
    """One page of a questionnaire."""

    number: int  # 1-based
    items: tuple[Item, ...]
    section: Section | None = None
    starts_section: bool = False  # show the section's title and instructions

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(it.id for it in self.items)


def _units(instrument: Instrument) -> list[tuple[Item, ...]]:
    """Items grouped into indivisible units: a ranking block, or a single item.

    A block is placed where its first statement appears, with all its statements.
    """
    blocks: dict[str, list[Item]] = {}
    for item in instrument.items:
        if item.block:
            blocks.setdefault(item.block, []).append(item)
    units: list[tuple[Item, ...]] = []
    placed: set[str] = set()
    for item in instrument.items:
        if item.block:
            if item.block in placed:
                continue
            placed.add(item.block)
            units.append(tuple(blocks[item.block]))
        else:
            units.append((item,))
    return units


def paginate(instrument: Instrument, per_page: int) -> tuple[Page, ...]:
    """Split the instrument's items into pages (see the module docstring).

    Examples
    --------
    >>> from instruments import load_instrument, BUILTIN_DIR
    >>> inst = load_instrument(BUILTIN_DIR / "valeurs-travail.yaml")
    >>> pages = paginate(inst, 6)
    >>> [len(p.items) for p in pages]
    [6, 6, 6, 3, 6]
    >>> pages[-1].items[0].block
    'classement_valeurs'
    """
    if per_page < 1:
        raise ValueError(f"per_page must be at least 1, not {per_page}")
    key = (id(instrument), instrument.key, per_page)
    cached = _CACHE.get(key)
    if cached is not None and cached[0] is instrument:
        return cached[1]
    sections = {s.id: s for s in instrument.sections}
    pages: list[list[Item]] = []
    page_sections: list[str | None] = []
    for unit in _units(instrument):
        section = unit[0].section
        current = pages[-1] if pages else None
        if current is None or section != page_sections[-1] or len(current) + len(unit) > per_page:
            pages.append(list(unit))
            page_sections.append(section)
        else:
            current.extend(unit)
    result: list[Page] = []
    previous: str | None = None
    for number, (items, sid) in enumerate(zip(pages, page_sections, strict=True), start=1):
        declared = sections.get(sid) if sid else None
        result.append(
            Page(
                number=number,
                items=tuple(items),
                section=declared,
                starts_section=declared is not None and (number == 1 or sid != previous),
            )
        )
        previous = sid
    pages_tuple = tuple(result)
    _CACHE[key] = (instrument, pages_tuple)
    return pages_tuple


def page_of_item(pages: tuple[Page, ...], item_id: str) -> int | None:
    """The number of the page showing ``item_id``, or None."""
    for page in pages:
        if item_id in page.item_ids:
            return page.number
    return None


# (id, key, per_page) -> (the instrument itself, kept alive so that its id is not reused; pages)
_CACHE: dict[tuple[int, str, int], tuple[Instrument, tuple[Page, ...]]] = {}


def item_anchor(item_id: str) -> str:
    """The id of the item's box on its page (``#`` + this in a link jumps to the item);
    its form field is named ``q-<item id>``."""
    return f"item-q-{item_id}"
