"""Latency of the "pistes à explorer" page (ROME fiches ranked against a RIASEC profile) in
the running service, beside the bare route in the same run.

    .venv/bin/python bench/bench_metiers_matches.py              # N = 300 requests each
    .venv/bin/python bench/bench_metiers_matches.py --requests 1000

What it does (all traffic on 127.0.0.1):

1. A fresh SQLite database in a temporary folder, migrated (``service.migrate.upgrade``),
   with the shipped ROME snapshot (release 60, 1,584 fiches) loaded as ``boussole db
   upgrade`` does, a centre, a counsellor, a beneficiary, a bilan and a completed
   riasec-60 questionnaire with a clear profile (S 40, A 30, I 20, E 10, C 10, R 0: the
   code SAI), completed through the journey's own function (its scores are stored).
2. gunicorn as in production (``bench.bench_web``'s server: ``BOUSSOLE_ENV_NAME=
   production``, ``-k gthread``), 1 worker and 2 threads by default, serving
   ``bench.bench_web:make_wsgi_app()`` (the app plus its ``/bench/bare`` route).
3. The counsellor signs in through the real form (CSRF token), then one client sends, one
   after the other on a keep-alive connection, ``--warmup`` requests (discarded: the
   first builds the in-memory catalogue of the release) then ``--requests`` measured ones
   of each: ``GET /bench/bare``, the counsellor's dashboard (a page with the same layout,
   a baseline of what any page costs), the pistes page (20 pistes, all 1,584 fiches ranked),
   the pistes page filtered by grand domaine K, and the page after four "show more" (100
   pistes).
4. Prints p50, p95, p99 and max per route, the gunicorn processes' CPU time per request
   (from /proc: less disturbed than latency on a shared machine), the load average, and
   whether the pistes page meets the target
   (p95 < 50 ms).

The exit code is 0 whatever the figures (a measurement, not a test); 1 when the run could
not be made.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_web import (  # noqa: E402
    BARE_PATH,
    Gunicorn,
    SimUser,
    find_csrf,
    percentile,
    proc_cpu_seconds,
    request,
)

TARGET_P95_MS = 50.0
EMAIL, PASSWORD = "claire@bench.fr", "mot-de-passe-du-banc-d-essai"


def seed(url: str, tmp: Path) -> int:
    """The database of step 1; returns the RIASEC assignment's id."""
    from service.app import create_app
    from service.extensions import db
    from service.features.journey import completion
    from service.features.journey import store as answer_store
    from service.features.metiers.importer import ensure_snapshot
    from service.models import Assignment, Beneficiary, Bilan, Centre, StaffUser
    from service.security import hash_password

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-secret-key-for-the-seed-only-0123456789",
            "MAIL_FOLDER": str(tmp / "mail"),
        }
    )
    inst = app.extensions["boussole.instruments"]["riasec-60"]
    with app.test_request_context(), db.standalone() as s:
        ensure_snapshot(s)
        centre = Centre(name="Centre du banc d’essai")
        s.add(centre)
        s.flush()
        staff = StaffUser(
            centre_id=centre.id,
            email=EMAIL,
            name="Claire",
            role="counsellor",
            password_hash=hash_password(PASSWORD),
        )
        person = Beneficiary(centre_id=centre.id, first_name="Camille", last_name="Martin")
        s.add_all([staff, person])
        s.flush()
        bilan = Bilan(centre_id=centre.id, beneficiary_id=person.id)
        bilan.counsellors.append(staff)
        s.add(bilan)
        s.flush()
        a = Assignment(bilan_id=bilan.id, instrument_id=inst.id, instrument_version=inst.version)
        s.add(a)
        s.flush()
        levels = {"S": 4, "A": 3, "I": 2, "E": 1, "C": 1, "R": 0}
        for item in inst.numeric_items:
            answer_store.upsert_answer(s, a.id, item.id, levels[item.id[0]])
        answer_store.add_page_seconds(s, a.id, 1, 600)
        done = completion.complete(s, a, inst, per_page=6)
        if not done.completed:
            raise SystemExit(f"the questionnaire could not be completed: {done.problems}")
        aid = a.id
    if db.engine is not None:
        db.engine.dispose()
    return aid


def sign_in(user: SimUser, port: int) -> None:
    status, _h, page = request(user, port, "GET", "/connexion")
    token = find_csrf(page)
    if status != 200 or not token:
        raise SystemExit(f"GET /connexion: {status}, CSRF token {'found' if token else 'missing'}")
    body = urlencode({"email": EMAIL, "password": PASSWORD, "csrf_token": token}).encode()
    status, _h, _b = request(
        user,
        port,
        "POST",
        "/connexion",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    if status not in (302, 303):
        raise SystemExit(f"POST /connexion: {status}")


def measure(user: SimUser, port: int, path: str, n: int, warmup: int, check: str) -> list[float]:
    for _ in range(warmup):
        request(user, port, "GET", path)
    out = []
    for _ in range(n):
        t = time.perf_counter()
        status, _h, body = request(user, port, "GET", path)
        out.append((time.perf_counter() - t) * 1000)
        if status != 200 or check.encode() not in body:
            raise SystemExit(f"GET {path}: {status}, {check!r} not in the page")
    return sorted(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    from service.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="bench-pistes-") as folder:
        tmp = Path(folder)
        url = f"sqlite:///{tmp / 'boussole.sqlite'}"
        t = time.perf_counter()
        upgrade(url)
        aid = seed(url, tmp)
        print(f"# database migrated and seeded in {time.perf_counter() - t:.1f} s", flush=True)
        server_args = argparse.Namespace(
            workers=args.workers, threads=args.threads, keep_alive=5, stub_autosave=False
        )
        server = Gunicorn(server_args, url, tmp)
        try:
            server.wait_ready(args.workers)
            user = SimUser(0, 0, 0, [aid], "")
            sign_in(user, server.port)
            pistes = f"/conseil/questionnaires/{aid}/pistes"
            routes = [
                ("bare", BARE_PATH, "ok"),
                ("dashboard", "/conseil/", "</html>"),
                ("pistes", pistes, "Code d’intérêts : SAI"),
                ("pistes_gd_K", f"{pistes}?gd=K", "Code d’intérêts : SAI"),
                ("pistes_100", f"{pistes}?page=5", 'id="piste-100"'),
            ]
            print(
                f"# {args.requests} requests per route after {args.warmup} warm-up, one client,"
                f" gunicorn {args.workers} worker(s) x {args.threads} threads, SQLite",
                flush=True,
            )
            results = {}
            for name, path, check in routes:
                pids = server.pids()
                cpu0 = proc_cpu_seconds(pids)
                ms = measure(user, server.port, path, args.requests, args.warmup, check)
                cpu = (proc_cpu_seconds(pids) - cpu0) * 1000 / (args.requests + args.warmup)
                results[name] = ms
                print(
                    f"{name}: p50_ms={percentile(ms, 50):.1f} p95_ms={percentile(ms, 95):.1f}"
                    f" p99_ms={percentile(ms, 99):.1f} max_ms={ms[-1]:.1f}"
                    f" server_cpu_ms_per_request={cpu:.1f}",
                    flush=True,
                )
            load = os.getloadavg()[0]
            print(f"# load average (1 min) at the end: {load:.1f} on {os.cpu_count()} cores")
            p95 = percentile(results["pistes"], 95)
            met = "yes" if p95 < TARGET_P95_MS else "no"
            print(f"target pistes p95 < {TARGET_P95_MS:.0f} ms: {met} ({p95:.1f} ms)")
        except SystemExit as exc:
            print(f"# run failed: {exc}\n{server.log_tail()}", file=sys.stderr)
            return 1
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
