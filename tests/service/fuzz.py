"""Malformed requests for every URL rule: the payload classes of the fuzz test
(``tests/service/test_fuzz.py``) and of its longer run (``bench/bench_fuzz.py``).

Every rule of ``app.url_map`` gets GET and POST with its path parameters filled with real
ids, ids beyond the database's range and 0, and bodies that no form expects: JSON arrays,
objects and deeply nested documents, NUL characters, huge integers, the year 9999, bodies
over the size limit, wrong content types. A 5xx answer is a failure.
"""

from __future__ import annotations

import itertools
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from flask import Flask
from flask.testing import FlaskClient
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict, iter_multi_items
from werkzeug.routing import Rule
from wtforms.fields.core import UnboundField


def _urlencode(pairs: Any) -> str:
    """What the test client sends for a mapping or pairs (``werkzeug.urls._urlencode``)."""
    items = [(k, v) for k, v in iter_multi_items(pairs) if v is not None]
    return urlencode(items, safe="!$'()*,/:;?@")


HUGE = str(2**31)
HUGER = str(2**70)

#: Field names read by views outside the WTForms forms.
EXTRA_FIELDS = (
    "assignment_id",
    "step_id",
    "successor",
    "version",
    "show",
    "send",
    "sens",
    "lang",
    "next",
    "item",
    "value",
    "page",
    "seconds",
    "action",
    "nom",
    "reponses",
    "facettes",
)

#: Prefixes some views give their forms (``PlanForm(prefix="plan")``): fields are also sent
#: under each of them.
PREFIXES = ("entretien", "pw", "travail", "mail", "dossier", "plan")

#: Values every field receives in turn.
BAD_VALUES = (
    "a\x00b",
    "\x00",
    HUGE,
    HUGER,
    "-" + HUGE,
    "0",
    "9999-12-31",
    "9999-12-31T23:59",
    "0001-01-01",
    "²",
    "1e400",
    "NaN",
    "x" * 5000,
)

#: Endpoints a signed-in fuzzing client must not call: they end its own session.
SESSION_ENDERS = frozenset({"auth.logout"})


def form_fields() -> tuple[str, ...]:
    """Every field name of every form of the app (after its views are imported)."""
    names: set[str] = set(EXTRA_FIELDS)
    stack: list[type] = [FlaskForm]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        for klass in cls.__mro__:
            names.update(k for k, v in vars(klass).items() if isinstance(v, UnboundField))
    prefixed = {f"{prefix}-{name}" for prefix in PREFIXES for name in names}
    return tuple(sorted(names | prefixed))


@dataclass(frozen=True)
class Payload:
    """One way of sending garbage: keyword arguments of the test client's ``open``."""

    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)

    @cached_property
    def query_string(self) -> str:
        """``query`` encoded once: the test client would encode it again for every request
        (the long-string class makes a query string of about 3 MB)."""
        return _urlencode(self.query)

    @cached_property
    def body(self) -> dict[str, Any]:
        """``kwargs`` with a form body (a mapping of strings) encoded once, as the test
        client encodes it: the same bytes and content type on the wire."""
        data = self.kwargs.get("data")
        if "content_type" in self.kwargs or not isinstance(data, Mapping):
            return self.kwargs
        pairs = list(iter_multi_items(data))
        if not all(isinstance(v, str) for _k, v in pairs):
            return self.kwargs
        return self.kwargs | {
            "data": _urlencode(pairs),
            "content_type": "application/x-www-form-urlencoded",
        }


def payloads(fields: tuple[str, ...], *, max_bytes: int) -> list[Payload]:
    """The payload classes, one ``Payload`` per class and value."""
    out = [
        Payload("json array", {"json": [1, 2, 3]}),
        Payload("json object", {"json": {name: {"a": [1, {"b": None}]} for name in fields}}),
        Payload("json scalars", {"json": dict.fromkeys(fields, 2**70)}),
        Payload("json nul", {"json": {"item": "A1\x00", "value": "x\x00", "page": 1}}),
        Payload("json huge", {"json": {"item": "A1", "value": 2**70, "seconds": 10**400}}),
        Payload(
            "json nested", {"data": "[" * 50_000 + "]" * 50_000, "content_type": "application/json"}
        ),
        Payload("json broken", {"data": '{"item": ', "content_type": "application/json"}),
        Payload("oversized", {"data": {"objectives": "x" * (max_bytes + 10)}}),
        Payload(
            "oversized json",
            {
                "data": b'{"item": "' + b"x" * (max_bytes + 10) + b'"}',
                "content_type": "application/json",
            },
        ),
        Payload("text/plain", {"data": "a=b\x00", "content_type": "text/plain"}),
        Payload("xml", {"data": "<a>b</a>", "content_type": "application/xml"}),
        Payload(
            "multipart", {"data": dict.fromkeys(fields, "x"), "content_type": "multipart/form-data"}
        ),
        Payload("empty", {}),
        Payload("lists", {"data": MultiDict([(n, v) for n in fields for v in ("1", "2", HUGE)])}),
    ]
    for value in BAD_VALUES:
        every = dict.fromkeys(fields, value)
        out.append(Payload(f"form and query {value[:12]!r}", {"data": every}, query=every))
    return out


def path_values(rule: Rule, real: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The path parameters of ``rule``: real ids, beyond the range, 0."""
    names = sorted(rule.arguments)
    yield "real", {n: real.get(n, 1) for n in names}
    ints = [n for n in names if type(rule._converters[n]).__name__ != "UnicodeConverter"]
    ints = [n for n in ints if not isinstance(real.get(n), str)]
    if ints:
        for label, value in (("huge", 2**31), ("huger", 2**70), ("zero", 0)):
            yield label, {n: (value if n in ints else real.get(n, 1)) for n in names}


def build_url(rule: Rule, values: dict[str, Any]) -> str:
    """``rule`` with ``values``, built by hand: ``url_for`` would refuse the huge ids."""
    url = rule.rule
    for name in rule.arguments:
        url = url.replace(f"<{_spec(rule, name)}>", str(values[name]))
    return url


def _spec(rule: Rule, name: str) -> str:
    for converter, _args, variable in _parts(rule):
        if variable == name:
            return f"{converter}:{name}" if converter else name
    raise KeyError(name)


def _parts(rule: Rule) -> Iterator[tuple[str | None, str | None, str]]:

    for match in re.finditer(
        r"<(?:(?P<conv>[a-z]+)(?:\((?P<args>[^)]*)\))?:)?(?P<var>\w+)>", rule.rule
    ):
        yield match["conv"], match["args"], match["var"]


@dataclass
class Tally:
    """Requests sent and the 5xx answers seen."""

    sent: int = 0
    seconds: Counter[str] = field(default_factory=Counter)  # time spent per method and rule
    failures: list[str] = field(default_factory=list)

    def send(self, client: FlaskClient, method: str, url: str, payload: Payload, label: str) -> int:
        kwargs = {} if method == "GET" else payload.body
        start = time.perf_counter()
        response = client.open(url, method=method, query_string=payload.query_string, **kwargs)
        self.seconds[f"{method} {re.sub(r'[0-9]+', 'N', url)}"] += time.perf_counter() - start
        self.sent += 1
        status = response.status_code
        if status >= 500:
            body = response.get_data(as_text=True)[:200].replace("\n", " ")
            self.failures.append(f"{status} {label} {method} {url} [{payload.name}] {body}")
        response.close()
        return status


def owner(rule: Rule) -> str:
    """The role a rule is meant for: it gets every payload class on real ids."""
    for prefix, role in (
        ("/espace", "beneficiary"),
        ("/conseil", "counsellor"),
        ("/admin", "admin"),
    ):
        if rule.rule.startswith(prefix):
            return role
    return "anonymous"


def rules(app: Flask) -> list[Rule]:
    return sorted(app.url_map.iter_rules(), key=lambda r: r.rule)


def sweep(
    app: Flask,
    clients: dict[str, FlaskClient],
    real: dict[str, Any],
    tally: Tally,
    *,
    every_payload: bool,
    skip: Callable[[Rule], bool] | None = None,
) -> None:
    """Every rule, role, method and id variant, the payload classes in turn; every class
    for the rule's own role on real ids with POST (for every combination when
    ``every_payload``)."""
    fields = form_fields()
    max_bytes = int(app.config["MAX_CONTENT_LENGTH"])
    classes = payloads(fields, max_bytes=max_bytes)
    cycle = itertools.cycle(classes)
    for rule in rules(app):
        if skip is not None and skip(rule):
            continue
        for role, client in clients.items():
            if role != "anonymous" and rule.endpoint in SESSION_ENDERS:
                continue
            for label, values in path_values(rule, real):
                if not every_payload and label not in ("real", "huge") and role != owner(rule):
                    continue  # the short run: other roles get real and huge ids only
                url = build_url(rule, values)
                for method in ("GET", "POST"):
                    full = every_payload or (
                        role == owner(rule) and method == "POST" and "POST" in rule.methods
                    )
                    chosen = classes if full and label == "real" else [next(cycle)]
                    for payload in chosen:
                        tally.send(client, method, url, payload, f"{role}/{label}")
