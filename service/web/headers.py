"""The security headers of every response, set by one ``after_request`` hook.

- A strict Content-Security-Policy: everything from this site only (``default-src
  'self'``), no inline script, no inline style except the ``<style>`` block of a report
  document (restitution, synthesis, attestation) that carries this response's nonce
  (:func:`csp_nonce`); images may also be ``data:`` URIs (the charts); no page may be
  framed (``frame-ancestors 'none'``, and ``X-Frame-Options: DENY`` for older browsers).
- ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin``.
- ``Strict-Transport-Security`` when ``BOUSSOLE_ENV=production`` (the site is then served
  over HTTPS only).
- ``Cache-Control: no-store`` on every response except the static files: pages show
  results, notes and names, and the honest simple rule is that no generated response is
  kept by a browser or a proxy. Static files (CSS, scripts) keep Flask's caching.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, current_app, g, request

HSTS = "max-age=31536000; includeSubDomains"


def csp_nonce() -> str:
    """This response's nonce for an inline ``<style>`` block (made on first use)."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = secrets.token_urlsafe(18)
        g.csp_nonce = nonce
    return str(nonce)


def content_security_policy(nonce: str | None) -> str:
    """The policy; ``nonce`` (when the page used one) allows its inline style block."""
    style = "style-src 'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            style,
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(g.get("csp_nonce"))
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    if current_app.config.get("ENV_NAME") == "production":
        headers["Strict-Transport-Security"] = HSTS
    if request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
    return response


def install(app: Flask) -> None:
    """Set the headers on every response of ``app`` (error pages included)."""
    app.after_request(set_security_headers)
