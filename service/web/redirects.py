"""The one open-redirect guard: a ``next`` target is followed only when it is a path on
this site, judged after the normalisation a browser applies to it."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a relative path on this site, else None.

    Browsers drop tabs and newlines and read a backslash as a slash, so ``/\\evil.test``
    and ``/\\t/evil.test`` are other hosts in disguise; they are refused like ``//host``
    and any URL with a scheme or a host.

    >>> safe_next("/conseil/?page=2")
    '/conseil/?page=2'
    >>> [safe_next(t) for t in ("//evil.test", "/\\\\evil.test", "/\\t/evil.test", "https://x")]
    [None, None, None, None]
    """
    if not target:
        return None
    cleaned = "".join(ch for ch in target if ch not in "\t\r\n").replace("\\", "/")
    if not cleaned.startswith("/") or cleaned.startswith("//"):
        return None
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc:
        return None
    return target if target == cleaned else cleaned
