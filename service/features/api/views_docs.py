"""``/api/v1/docs``: the API's documentation, rendered by our template from the generated
OpenAPI document (no script, no CDN: the strict CSP stays)."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue
from markupsafe import Markup, escape

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")

METHODS = ("get", "post", "put", "patch", "delete")
CODE_SPAN = re.compile(r"`([^`\n]+)`")


def code_spans(text: Any) -> Markup:
    """The document's text with its Markdown code spans (`` `x` ``) as ``<code>``: escaped
    first, whole, then the spans put in (their content is escaped text already)."""
    escaped = str(escape("" if text is None else str(text)))
    return Markup(CODE_SPAN.sub(r"<code>\1</code>", escaped))


def paragraphs(text: Any) -> list[Markup]:
    """A description's paragraphs (blank-line separated: French, then English)."""
    parts = re.split(r"\n\s*\n", str(text or "").strip())
    return [code_spans(" ".join(p.split())) for p in parts if p.strip()]


def _operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    ops = []
    for path, item in sorted(spec.get("paths", {}).items()):
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            summary, _sep, description = (op.get("summary") or "").partition("\n")
            ops.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": code_spans(summary or op.get("summary", "")),
                    "description": paragraphs(op.get("description", description)),
                    "parameters": [*item.get("parameters", []), *op.get("parameters", [])],
                    "responses": sorted(op.get("responses", {}).items()),
                    "anchor": (method + path).replace("/", "-").replace("{", "").replace("}", ""),
                }
            )
    return ops


@bp.get("/docs")
def docs() -> ResponseReturnValue:
    spec = current_app.extensions["boussole.api"].spec.to_dict()
    schemas = sorted(spec.get("components", {}).get("schemas", {}).items())
    return render_template(
        "api/docs.html",
        spec=spec,
        operations=_operations(spec),
        schemas=schemas,
        info=paragraphs(spec.get("info", {}).get("description")),
        code_spans=code_spans,
    )
