"""Responses for files: every download is an attachment that no cache keeps, and a PDF that
cannot be produced (WeasyPrint's system libraries missing) is a 503 that says why."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, current_app, make_response, render_template
from flask_babel import gettext as _

from reports.restitution import PdfUnavailable

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "ics": "text/calendar; charset=utf-8",
    "zip": "application/zip",
}


def download(data: bytes, filename: str) -> Response:
    """``data`` as an attachment named ``filename``; its extension gives the type."""
    extension = filename.rpartition(".")[2]
    response = Response(data, content_type=MIMETYPES[extension])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def pdf_download(render: Callable[[], bytes], filename: str) -> Response:
    """The document that ``render`` produces as a download, or a 503 page when it needs the
    PDF engine and that engine is missing on this server (the HTML version stays
    available)."""
    try:
        data = render()
    except PdfUnavailable as exc:
        current_app.logger.error("PDF unavailable: %s", exc)
        message = _(
            "Le PDF ne peut pas être produit sur ce serveur : %(reason)s La version HTML"
            " reste disponible.",
            reason=str(exc),
        )
        page = render_template("error.html", code=503, message=message)
        return make_response(page, 503)
    return download(data, filename)
