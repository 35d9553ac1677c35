"""Load instrument YAML files, validate them and build :class:`~instruments.model.Instrument`.

Errors name the file, the line, the item or scale concerned and what to fix.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from marshmallow import ValidationError

from instruments.formats import FORMAT_TYPES
from instruments.model import (
    Band,
    Bands,
    InconsistencyPair,
    Instrument,
    Item,
    Profile,
    ResponseFormat,
    ResponseOption,
    Scale,
    ScaleMember,
    Section,
    Source,
    Text,
    ValiditySettings,
)
from instruments.schema import NORMED_METRICS, InstrumentSchema
from instruments.typography import french

BUILTIN_DIR = Path(__file__).parent / "builtin"
# Earlier versions of built-in instruments, one folder per version with its norm file
# (archive/<id>-<version>/<id>.yaml): never assigned, kept to read the scores they produced.
ARCHIVE_DIR = BUILTIN_DIR / "archive"

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One problem found in an instrument file."""

    file: str
    line: int | None
    where: str
    message: str

    def __str__(self) -> str:
        loc = f"{self.file}:{self.line}" if self.line else self.file
        where = f" {self.where}:" if self.where else ""
        return f"{loc}:{where} {self.message}"


class InstrumentError(ValueError):
    """An instrument file is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid instrument definition ({len(problems)} problem(s)):\n{lines}")


# libyaml's parser when available (much faster); line numbers work the same.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineConstructor(_BaseLoader):  # type: ignore[valid-type,misc]
    pass


def _plain(node: yaml.Node, path: Path_, lines: dict[Path_, int], ctor: yaml.SafeLoader) -> Any:
    """Convert a composed YAML node to plain data, recording the line of every path."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for knode, vnode in node.value:
            if knode.tag == "tag:yaml.org,2002:merge":
                raise yaml.constructor.ConstructorError(
                    None, None, "YAML merge keys ('<<') are not supported", knode.start_mark
                )
            key = ctor.construct_object(knode, deep=True)
            if key in out:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", knode.start_mark
                )
            out[key] = _plain(vnode, (*path, key), lines, ctor)
            lines.setdefault((*path, key), knode.start_mark.line + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_plain(v, (*path, i), lines, ctor) for i, v in enumerate(node.value)]
    return ctor.construct_object(node, deep=True)


def read_yaml(path: Path) -> tuple[Any, dict[Path_, int]]:
    """Read a YAML file into plain data plus a map ``path -> line number``."""
    text = path.read_text(encoding="utf-8")
    ctor = _LineConstructor(text)
    try:
        node = ctor.get_single_node()
        if node is None:
            return None, {}
        lines: dict[Path_, int] = {}
        data = _plain(node, (), lines, ctor)
    finally:
        ctor.dispose()
    return data, lines


def _flatten(messages: Any, path: Path_ = ()) -> Iterator[tuple[Path_, str]]:
    if isinstance(messages, Mapping):
        for key, sub in messages.items():
            if key == "_schema":
                yield from _flatten(sub, path)
            else:
                yield from _flatten(sub, (*path, key))
    elif isinstance(messages, list | tuple):
        for m in messages:
            yield from _flatten(m, path)
    else:
        yield path, str(messages)


def _describe(path: Path_, data: Any) -> str:
    """Human location: ``items[3] (item 'q_12').text.en``."""
    parts: list[str] = []
    node = data
    for part in path:
        if isinstance(part, int):
            label = f"[{part}]"
            if isinstance(node, list) and part < len(node) and isinstance(node[part], dict):
                ident = node[part].get("id") or node[part].get("item") or node[part].get("level")
                if ident is not None:
                    label += f" ({ident})"
            parts.append(label)
            node = node[part] if isinstance(node, list) and part < len(node) else None
        else:
            parts.append(("." if parts else "") + str(part))
            node = node.get(part) if isinstance(node, dict) else None
    return "".join(parts)


def _line_of(path: Path_, lines: dict[Path_, int]) -> int | None:
    for n in range(len(path), -1, -1):
        if path[:n] in lines:
            return lines[path[:n]]
    return None


def _t(d: Mapping[str, Any]) -> Text:
    """A Text with French typography applied to the French version."""
    return Text(fr=french(d["fr"]), en=d.get("en"))


def _text(d: Mapping[str, Any] | None) -> Text | None:
    return None if d is None else _t(d)


def _build_format(fid: str, f: Mapping[str, Any]) -> ResponseFormat:
    return ResponseFormat(
        id=fid,
        type=f["type"],
        options=tuple(
            ResponseOption(value=o["value"], label=_t(o["label"])) for o in f.get("options") or []
        ),
        minimum=f.get("min"),
        maximum=f.get("max"),
        size=f.get("size"),
        step=f.get("step"),
        max_length=f.get("max_length"),
    )


def _build_item(i: Mapping[str, Any]) -> Item:
    return Item(
        id=i["id"],
        text=_t(i["text"]),
        format=i["format"],
        block=i.get("block"),
        section=i.get("section"),
        required=i.get("required", False),
        sensitive=i.get("sensitive"),
    )


def _build_bands(b: Mapping[str, Any] | None) -> Bands | None:
    if not b:
        return None
    return Bands(
        metric=b["metric"],
        levels=tuple(
            Band(
                level=lv["level"],
                label=_t(lv["label"]),
                text=_t(lv["text"]),
                minimum=lv.get("min"),
                maximum=lv.get("max"),
            )
            for lv in b["levels"]
        ),
    )


def _build_scale(s: Mapping[str, Any]) -> Scale:
    return Scale(
        id=s["id"],
        name=_t(s["name"]),
        description=_text(s.get("description")),
        members=tuple(
            ScaleMember(item=m["item"], key=m["key"], weight=m["weight"], option=m["option"])
            for m in s["items"]
        ),
        method=s["method"],
        min_answered=s["min_answered"],
        level=s.get("level"),
        parent=s.get("parent"),
        ipsative_group=s.get("ipsative_group"),
        reliability=s.get("reliability"),
        bands=_build_bands(s.get("bands")),
    )


def _build_validity(
    v: Mapping[str, Any], formats: Mapping[str, ResponseFormat], items: tuple[Item, ...]
) -> ValiditySettings:
    """Validity settings, with the defaults that depend on the items filled in."""
    # Long strings are counted on the items of the most used ordered format.
    ordered = [i.format for i in items if FORMAT_TYPES[formats[i.format].type].ordered]
    n_ordered = max((ordered.count(f) for f in set(ordered)), default=0)
    return ValiditySettings(
        longstring_max=v.get("longstring_max", max(6, math.ceil(n_ordered / 2))),
        irv_min=v.get("irv_min"),
        missing_max=v.get("missing_max", 0.2),
        min_seconds_per_item=v.get("min_seconds_per_item", 2.0),
        inconsistency_pairs=tuple(
            InconsistencyPair(p["first"], p["second"], p["relation"])
            for p in v.get("inconsistency_pairs") or []
        ),
        inconsistency_max=v.get("inconsistency_max"),
        flat_profile_scales=tuple(v.get("flat_profile_scales") or ()),
        flat_profile_sd_min=v.get("flat_profile_sd_min"),
    )


def _build_profile(prof: Mapping[str, Any] | None) -> Profile | None:
    if not prof:
        return None
    order = "RIASEC" if prof["type"] == "riasec" else None
    keys = list(order) if order else list(prof["scales"])
    return Profile(
        type=prof["type"],
        scales=tuple((k, prof["scales"][k]) for k in keys),
        flat_max_differentiation=prof.get("flat_max_differentiation"),
        low_max=prof.get("low_max"),
    )


def _build(data: dict[str, Any], path: Path | None) -> Instrument:
    formats = {fid: _build_format(fid, f) for fid, f in data["response_formats"].items()}
    items = tuple(_build_item(i) for i in data["items"])
    return Instrument(
        id=data["id"],
        version=data["version"],
        name=_t(data["name"]),
        description=_t(data["description"]),
        construct=data["construct"],
        licence=data["licence"],
        source=Source(citation=data["source"]["citation"], url=data["source"].get("url")),
        minutes=data["minutes"],
        languages=tuple(data["languages"]),
        formats=formats,
        items=items,
        scales=tuple(_build_scale(s) for s in data["scales"]),
        instructions=_text(data.get("instructions")),
        sections=tuple(
            Section(id=x["id"], title=_t(x["title"]), instructions=_text(x.get("instructions")))
            for x in data.get("sections") or []
        ),
        validity=_build_validity(data.get("validity") or {}, formats, items),
        norms=data.get("norms"),
        profile=_build_profile(data.get("profile")),
        path=path,
        metadata=dict(data.get("metadata") or {}),
        administered_in_bilan=data.get("administered_in_bilan", True),
    )


_CACHE: dict[tuple[object, ...], tuple[Instrument | None, list[Problem], object]] = {}


def _stamp(path: Path | None) -> tuple[int, int] | None:
    """Modification time and size of a file (None if absent)."""
    if path is None:
        return None
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _norms_stamp(instrument: Instrument | None) -> object:
    return _stamp(instrument.norms_path()) if instrument is not None else None


def check_instrument_file(
    path: str | Path, *, check_norms: bool = True
) -> tuple[Instrument | None, list[Problem]]:
    """Validate one file; return the instrument (or None) and every problem found.

    ``check_norms=False`` skips the check that the declared norm file exists (used when
    building that very file). Results are cached on the modification stamps of the file
    and of its norm file (instruments are immutable), so reloading unchanged files is free.
    """
    p = Path(path)
    stamp = _stamp(p)
    if stamp is None:
        return _check_instrument_file(p, check_norms=check_norms)
    key = (str(p.resolve()), stamp, check_norms)
    hit = _CACHE.get(key)
    if hit is None or _norms_stamp(hit[0]) != hit[2]:
        inst, problems = _check_instrument_file(p, check_norms=check_norms)
        if problems or inst is None:  # failures are not cached: the fix may be elsewhere
            return inst, problems
        hit = (inst, problems, _norms_stamp(inst))
        _CACHE[key] = hit
    return hit[0], list(hit[1])


def _check_instrument_file(
    p: Path, *, check_norms: bool = True
) -> tuple[Instrument | None, list[Problem]]:
    name = str(p)
    try:
        data, lines = read_yaml(p)
    except FileNotFoundError:
        return None, [Problem(name, None, "", "file not found")]
    except OSError as exc:
        return None, [Problem(name, None, "", f"cannot read this file ({exc.strerror})")]
    except UnicodeDecodeError as exc:
        return None, [Problem(name, None, "", f"not UTF-8 text ({exc.reason}); save it as UTF-8")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [Problem(name, line, "", f"YAML syntax error: {problem}")]
    if not isinstance(data, dict):
        return None, [Problem(name, 1, "", "the file must be a YAML mapping (id: ..., items: ...)")]
    # Top-level keys starting with "x-" hold YAML anchors (shared bands...) and are ignored.
    data = {k: v for k, v in data.items() if not str(k).startswith("x-")}
    try:
        loaded = InstrumentSchema().load(data)
    except ValidationError as exc:
        return None, _schema_problems(exc, name, data, lines)
    instrument = _build(dict(loaded), p.resolve())
    problems: list[Problem] = []
    norms = instrument.norms_path()
    if check_norms and norms is not None:
        line = lines.get(("norms",))
        problems.extend(
            Problem(name, line, "norms", msg) for msg in _norms_problems(instrument, norms)
        )
    return (instrument if not problems else None), problems


def _schema_problems(
    exc: ValidationError, name: str, data: dict[Any, Any], lines: dict[Path_, int]
) -> list[Problem]:
    """The problems of a failed schema validation, with line and location, in file order."""
    problems = []
    for path_, msg in _flatten(exc.messages):
        # marshmallow nests Dict errors as {key: {"value": ...}}: drop that level
        if len(path_) > 2 and path_[0] == "response_formats" and path_[2] in ("value", "key"):
            path_ = (*path_[:2], *path_[3:])
        if msg == "Unknown field." and path_:
            msg = (
                f"unknown key '{path_[-1]}': check its spelling, or remove it"
                " (the keys are listed in docs/instruments.md)"
            )
        problems.append(Problem(name, _line_of(path_, lines), _describe(path_, data), msg))
    problems.sort(key=lambda pr: (pr.line or 0, pr.where))
    return problems


def _norms_problems(instrument: Instrument, path: Path) -> list[str]:
    """Light checks that the declared norm file fits the instrument (id, version, scales)."""
    if not path.exists():
        return [f"norm file '{instrument.norms}' not found next to the instrument"]
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"norm file '{instrument.norms}' cannot be read ({exc})"]
    if not isinstance(table, dict) or not isinstance(table.get("groups"), list):
        return [f"'{instrument.norms}' is not a Boussole norm file"]
    out = []
    if table.get("instrument") != instrument.id:
        out.append(
            f"norm file '{instrument.norms}' was built for '{table.get('instrument')}',"
            f" not '{instrument.id}'"
        )
    if table.get("instrument_version") != instrument.version:
        out.append(
            f"norm file '{instrument.norms}' was built for version"
            f" {table.get('instrument_version')}, not {instrument.version}: rebuild it with"
            " 'boussole norms build' (or check that the items and keys did not change and"
            " update its instrument_version)"
        )
    normed = {
        sc.id
        for sc in instrument.scales
        if sc.bands is not None and sc.bands.metric in NORMED_METRICS
    }
    groups = table["groups"]
    present = set(groups[0].get("scales", {})) if groups else set()
    missing = sorted(normed - present)
    if missing:
        out.append(
            f"norm file '{instrument.norms}' has no norms for scale(s) {', '.join(missing)}"
            " whose bands need them"
        )
    return out


def load_instrument(path: str | Path, *, check_norms: bool = True) -> Instrument:
    """Load and validate an instrument file.

    Raises
    ------
    InstrumentError
        With every problem found (file, line, item or scale, what to fix).

    Examples
    --------
    >>> inst = load_instrument(BUILTIN_DIR / "ipip-bfi-25.yaml")
    >>> inst.key, len(inst.items), [s.id for s in inst.scales][:2]
    ('ipip-bfi-25@1.0.0', 25, ['agreeableness', 'conscientiousness'])
    """
    instrument, problems = check_instrument_file(path, check_norms=check_norms)
    if problems or instrument is None:
        raise InstrumentError(problems)
    return instrument


def builtin_files() -> list[Path]:
    """The built-in instrument files, sorted by name."""
    return sorted(BUILTIN_DIR.glob("*.yaml"))


def archived_files(folder: Path = ARCHIVE_DIR) -> list[Path]:
    """The earlier versions kept in ``folder`` (``<id>-<version>/<id>.yaml``), sorted."""
    return sorted(folder.glob("*/*.yaml"))


class InstrumentSet(dict[str, Instrument]):
    """The installed instruments by id, each in the version assigned today, plus the
    earlier versions kept to read the answers and scores they produced (``earlier``,
    by ``(id, version)``; never offered for a new assignment)."""

    def __init__(
        self,
        current: Mapping[str, Instrument] | None = None,
        earlier: Iterable[Instrument] = (),
    ) -> None:
        super().__init__(current or {})
        self.earlier: dict[tuple[str, str], Instrument] = {(i.id, i.version): i for i in earlier}

    def version(self, instrument_id: str, version: str) -> Instrument | None:
        """This id in this version: the current one or an earlier one, else None."""
        inst = self.get(instrument_id)
        if inst is not None and inst.version == version:
            return inst
        return self.earlier.get((instrument_id, version))


def load_all(
    paths: Iterable[str | Path] | None = None, *, earlier: Iterable[str | Path] = ()
) -> InstrumentSet:
    """Load several instruments (default: the built-in ones), keyed by id, and the earlier
    versions in ``earlier`` (files of the same ids in other versions).

    Every file is checked before raising, so one error lists the problems of all files.
    """
    files = list(paths) if paths is not None else builtin_files()
    out: dict[str, Instrument] = {}
    problems: list[Problem] = []
    for f in files:
        inst, probs = check_instrument_file(f)
        problems.extend(probs)
        if inst is not None:
            if inst.id in out:
                problems.append(
                    Problem(str(f), None, "id", f"instrument id '{inst.id}' is used twice")
                )
            out[inst.id] = inst
    kept: dict[tuple[str, str], Instrument] = {}
    for f in earlier:
        inst, probs = check_instrument_file(f)
        problems.extend(probs)
        if inst is None:
            continue
        current = out.get(inst.id)
        if (inst.id, inst.version) in kept or (
            current is not None and current.version == inst.version
        ):
            problems.append(
                Problem(str(f), None, "version", f"instrument '{inst.key}' is loaded twice")
            )
        kept[(inst.id, inst.version)] = inst
    if problems:
        raise InstrumentError(problems)
    return InstrumentSet(out, kept.values())


def resolve_instrument(id_or_file: str, *, check_norms: bool = True) -> Instrument:
    """An instrument by built-in id (``ipip-bfi-25``) or by file path."""
    p = Path(id_or_file)
    if p.suffix in (".yaml", ".yml") or p.exists():
        return load_instrument(p, check_norms=check_norms)
    for f in builtin_files():
        if f.stem == id_or_file:
            return load_instrument(f, check_norms=check_norms)
    known = ", ".join(f.stem for f in builtin_files())
    raise InstrumentError(
        [
            Problem(
                id_or_file, None, "", f"no such instrument file or built-in id (built-in: {known})"
            )
        ]
    )
