"""``/api/v1/docs``: the API's documentation, rendered by our template from the generated
OpenAPI document (no script, no CDN: the strict CSP stays)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")

METHODS = ("get", "post", "put", "patch", "delete")


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
                    "summary": summary or op.get("summary", ""),
                    "description": op.get("description", description).strip(),
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
        "api/docs.html", spec=spec, operations=_operations(spec), schemas=schemas
    )
