"""Latency of the job database's pages in the running service (issue 13: p95 < 50 ms).

Run it from the project root with the project's virtual environment:

    .venv/bin/python bench/bench_metiers_search.py               # N = 300 requests per route
    .venv/bin/python bench/bench_metiers_search.py -n 1000 --workers 1 --threads 1

What it does (all traffic stays on 127.0.0.1, as in ``bench/bench_web.py``, whose server,
HTTP client and percentile it reuses):

1. A fresh SQLite database in a temporary folder, migrated (``service.migrate.upgrade``,
   what ``boussole db upgrade`` runs) and loaded with the shipped ROME snapshot (release 60:
   1,584 fiches, 13,120 appellations, 17,810 competences; ``ensure_snapshot``, what
   ``boussole db upgrade`` and ``boussole demo`` load), then a centre and a counsellor.
2. gunicorn as in production (``bench.bench_web.Gunicorn``: ``BOUSSOLE_ENV_NAME=production``,
   ``-k gthread``, ``--workers`` and ``--threads``, default 2 and 4 on this 2-core machine),
   serving ``create_app()`` plus the bench's bare route ``/bench/bare`` (returns ``ok``).
3. The counsellor signs in through ``/connexion`` (CSRF token from the page). Then, on one
   keep-alive connection, **cold**: the first request of each kind after the server
   started, in each worker (the in-memory search indexes are built per process on first
   use: this is what the first person to search waits); then ``--warmup`` rounds
   (discarded, one request of each kind in turn), then ``-n`` measured requests of each
   kind, one kind after the other (so that the gunicorn processes' CPU time, read from
   /proc, is counted for each kind):
   - ``bare``: ``GET /bench/bare`` (the baseline: the server and the client, no app work);
   - ``appellations``: ``GET /conseil/metiers?q=...`` (the métiers search page, job titles);
   - ``competences``: ``GET /conseil/metiers/competences?q=...`` (the competence search page);
   - ``fiche``: ``GET /conseil/metiers/<code>`` (one fiche with its competences).
   Queries and fiches cycle through fixed lists (typos included, as in issue 13). Every
   answer must be a 200 whose page holds the expected text, else the run stops (exit 1).
4. Prints ``key=value`` lines: the load average of the machine (other work disturbs the
   wall-clock figures: compare with the bare route, and with the server's CPU time per
   request, which the waiting for a shared CPU does not inflate); the cold figures; for
   each kind, p50/p95/p99/max in ms, the ratio of its p95 to the bare route's, the
   server's CPU time per request, and whether p95 < 50 ms.

The exit code is 0 whatever the figures (a measurement, not a test); 1 when the run could
not be made. On a machine shared with other work, the figures are noisy: compare with the
bare route of the same run.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_web import (  # noqa: E402  (the bench's own helpers, after the path)
    BARE_PATH,
    Gunicorn,
    HttpError,
    SimUser,
    find_csrf,
    percentile,
    proc_cpu_seconds,
    request,
)

TARGET_P95_MS = 50.0
EMAIL = "bench-metiers@bench.test"
PASSWORD = "mot-de-passe-du-banc-metiers"
APPELLATION_QUERIES = (
    "infirmiere",
    "boulangr",
    "developpeur web",
    "chaufeur poids lourd",
    "comptable",
    "aide soignant",
    "electricien batiment",
    "professeur des ecoles",
)
COMPETENCE_QUERIES = (
    "gestion de stok",
    "soudure",
    "gerer un budjet",
    "accueillir un client",
    "realiser un pansement",
    "conduire un engin",
    "animer une equipe",
    "rediger un rapport",
)
FICHES = ("D1102", "J1506", "M1855", "N4101", "H2913", "K2111", "M1203", "A1203")
KINDS = ("bare", "appellations", "competences", "fiche")


def prepare(tmp: Path) -> str:
    """The migrated database with the shipped snapshot and one counsellor; its URL."""
    from sqlalchemy.orm import Session

    from service.db import make_engine
    from service.features.metiers.importer import ensure_snapshot
    from service.migrate import upgrade
    from service.models import Centre, StaffUser
    from service.security import hash_password

    url = f"sqlite:///{tmp / 'bench-metiers.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    started = time.perf_counter()
    with Session(engine) as s:
        if not ensure_snapshot(s):
            raise RuntimeError("the shipped ROME snapshot was not loaded")
        centre = Centre(name="Centre du banc métiers")
        s.add(centre)
        s.flush()
        s.add(
            StaffUser(
                centre_id=centre.id,
                email=EMAIL,
                name="Banc métiers",
                role="counsellor",
                password_hash=hash_password(PASSWORD),
            )
        )
        s.commit()
        # what each worker pays once: building the two in-memory indexes (search.py)
        from service.features.metiers import search

        for kind, build in (
            ("appellations", search._build_appellations),
            ("competences", search._build_competences),
        ):
            begun = time.perf_counter()
            build(s)
            print(f"index_build_{kind}_s={time.perf_counter() - begun:.2f}", flush=True)
    engine.dispose()
    print(f"snapshot_load_s={time.perf_counter() - started:.2f}", flush=True)
    return url


def sign_in(user: SimUser, port: int) -> None:
    status, _, page = request(user, port, "GET", "/connexion")
    token = find_csrf(page)
    if status != 200 or not token:
        raise HttpError(f"GET /connexion: {status}, csrf token found: {bool(token)}")
    body = urllib.parse.urlencode({"csrf_token": token, "email": EMAIL, "password": PASSWORD})
    status, _, _ = request(
        user,
        port,
        "POST",
        "/connexion",
        body=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    if status not in (302, 303):
        raise HttpError(f"POST /connexion: {status}")


def path_of(kind: str, i: int) -> tuple[str, str]:
    """The i-th request of a kind, and a text its page must hold."""
    if kind == "bare":
        return BARE_PATH, "ok"
    if kind == "appellations":
        q = APPELLATION_QUERIES[i % len(APPELLATION_QUERIES)]
        return "/conseil/metiers?" + urllib.parse.urlencode({"q": q}), 'id="metiers-count"'
    if kind == "competences":
        q = COMPETENCE_QUERIES[i % len(COMPETENCE_QUERIES)]
        return "/conseil/metiers/competences?" + urllib.parse.urlencode(
            {"q": q}
        ), 'class="competence-label"'
    code = FICHES[i % len(FICHES)]
    return f"/conseil/metiers/{code}", f"({code})"


def timed(user: SimUser, port: int, kind: str, i: int) -> float:
    path, needle = path_of(kind, i)
    started = time.perf_counter()
    status, _, page = request(user, port, "GET", path)
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200 or needle not in page.decode("utf-8", errors="replace"):
        raise HttpError(f"GET {path}: {status}, {needle!r} in page: {needle in str(page)}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=300, help="measured requests per kind")
    parser.add_argument("--warmup", type=int, default=20, help="discarded rounds")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--keep-alive", type=int, default=5, dest="keep_alive")
    args = parser.parse_args(argv)
    args.stub_autosave = False  # what bench_web's Gunicorn reads
    with tempfile.TemporaryDirectory(prefix="bench-metiers-") as folder:
        tmp = Path(folder)
        url = prepare(tmp)
        server = Gunicorn(args, url, tmp)
        try:
            started = time.perf_counter()
            server.wait_ready(args.workers)
            print(f"server_ready_s={time.perf_counter() - started:.2f}", flush=True)
            user = SimUser(0, 0, 0, [], secrets.token_hex(4))
            sign_in(user, server.port)
            # cold: one fresh connection per request, so that each worker is reached
            for kind in KINDS[1:]:
                firsts = []
                for k in range(args.workers):
                    fresh = SimUser(0, 0, 0, [], "", cookies=dict(user.cookies))
                    firsts.append(timed(fresh, server.port, kind, k))
                    if fresh.conn is not None:
                        fresh.conn.close()
                print(f"cold_first_{kind}_ms=" + ",".join(f"{t:.0f}" for t in firsts), flush=True)
            for i in range(args.warmup):
                for kind in KINDS:
                    timed(user, server.port, kind, i)
            samples: dict[str, list[float]] = {kind: [] for kind in KINDS}
            cpu_ms: dict[str, float] = {}
            for kind in KINDS:  # one block per kind, to count the server's CPU time of each
                pids = server.pids()
                before = proc_cpu_seconds(pids)
                for i in range(args.n):
                    samples[kind].append(timed(user, server.port, kind, i))
                cpu_ms[kind] = (proc_cpu_seconds(pids) - before) * 1000 / args.n
        except (HttpError, RuntimeError, OSError) as exc:
            print(f"error={exc!r}", file=sys.stderr)
            print(server.log_tail(), file=sys.stderr)
            return 1
        finally:
            server.stop()
    print(f"n={args.n} warmup_rounds={args.warmup} workers={args.workers} threads={args.threads}")
    load = os.getloadavg()
    print(f"load_average_1_5_15={load[0]:.2f},{load[1]:.2f},{load[2]:.2f} cpus={os.cpu_count()}")
    bare_p95 = percentile(sorted(samples["bare"]), 95)
    for kind in KINDS:
        ordered = sorted(samples[kind])
        p95 = percentile(ordered, 95)
        figures = " ".join(
            f"{name}_ms={percentile(ordered, q):.1f}"
            for name, q in (("p50", 50), ("p95", 95), ("p99", 99), ("max", 100))
        )
        line = (
            f"{kind}: {figures} p95_over_bare={p95 / bare_p95:.1f}"
            f" server_cpu_ms_per_request={cpu_ms[kind]:.1f}"
        )
        if kind != "bare":
            line += (
                f" target_p95_lt_{TARGET_P95_MS:.0f}ms={'met' if p95 < TARGET_P95_MS else 'MISSED'}"
            )
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
