"""Benchmark of the gap analysis page in the running service (issue 13: p95 < 100 ms).

Run it from the project root with the project's virtual environment:

    .venv/bin/python bench/bench_gap.py                      # 3 targets, 10 s per phase
    .venv/bin/python bench/bench_gap.py --targets 5 --duration 20 --clients 2

What it does (all traffic on 127.0.0.1, every loop bounded in time), following
``bench/bench_web.py`` (whose gunicorn harness, HTTP client and ``/bench/bare`` route it
reuses):

1. A fresh SQLite database in a temporary folder, migrated (``service.migrate.upgrade``),
   with the shipped ROME snapshot (release 60, ``ensure_snapshot``: what ``boussole db
   upgrade`` loads).
2. A centre, a counsellor, a beneficiary and their bilan; ``--targets`` target fiches (the
   fiches with the most competence links, the heaviest pages); a portfolio of
   ``--entries`` ROME competences: every other competence the first target requires, with
   ratings 1 to 4 in turn (so the page shows held, to develop and missing items), and
   competences of other fiches.
3. gunicorn as in production (``bench.bench_web.Gunicorn``: ``-k gthread``, 4 workers x 4
   threads by default), the counsellor signed in through ``/connexion``.
4. Two phases, each ``--warmup`` seconds (discarded) then ``--duration`` seconds measured,
   ``--clients`` threads each on its own keep-alive connection, no think time:
   ``bare``: ``GET /bench/bare`` (the baseline: the server with no work);
   ``gap``: ``GET /conseil/bilans/<id>/portefeuille/ecarts`` (every target's analysis).
5. Prints ``key=value`` lines: requests, throughput, p50/p95/p99/max in ms for each phase,
   the page's size, and whether the target is met (gap p95 < 100 ms).

The exit code is 0 whatever the figures (a measurement, not a test); 1 when the run could
not be made.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_web import (  # noqa: E402
    BARE_PATH,
    Gunicorn,
    SimUser,
    find_csrf,
    percentile,
    request,
)

TARGET_P95_MS = 100.0
GAP_PATH = "/conseil/bilans/{bilan}/portefeuille/ecarts"
PASSWORD = "mot-de-passe-du-banc-d-essai"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--targets", type=int, default=3)
    p.add_argument("--entries", type=int, default=60)
    p.add_argument("--clients", type=int, default=1)
    p.add_argument("--warmup", type=float, default=3.0)
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--keep-alive", type=int, default=5)
    args = p.parse_args(argv)
    args.stub_autosave = False  # what bench_web.Gunicorn reads
    return args


def seed(url: str, args: argparse.Namespace) -> tuple[int, list[str]]:
    """The database of step 1 and 2; returns the bilan's id and the target codes."""
    import os

    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from service import migrate
    from service.crypto import Cipher, parse_keys
    from service.db import make_engine
    from service.features.metiers.importer import ensure_snapshot
    from service.models import (
        Beneficiary,
        Bilan,
        Centre,
        GapTarget,
        PortfolioEntry,
        RomeFiche,
        RomeFicheLink,
        StaffUser,
    )
    from service.security import hash_password

    migrate.upgrade(url)
    # The same data key as the server (bench_web sets it for the run): labels are encrypted.
    engine = make_engine(url, cipher=Cipher(parse_keys(os.environ["BOUSSOLE_DATA_KEYS"])))
    with Session(engine) as s:
        ensure_snapshot(s)
        s.commit()
        centre = Centre(name="Centre du banc d’essai")
        s.add(centre)
        s.flush()
        staff = StaffUser(
            centre_id=centre.id,
            email="conseil@banc.test",
            name="Conseil",
            role="counsellor",
            password_hash=hash_password(PASSWORD),
        )
        person = Beneficiary(centre_id=centre.id, first_name="Alex", last_name="Banc")
        s.add_all([staff, person])
        s.flush()
        bilan = Bilan(centre_id=centre.id, beneficiary_id=person.id)
        bilan.counsellors.append(staff)
        s.add(bilan)
        s.flush()
        heaviest = list(
            s.scalars(
                select(RomeFicheLink.code_rome)
                .join(RomeFiche, RomeFiche.code_rome == RomeFicheLink.code_rome)
                .where(RomeFicheLink.bloc == 5, RomeFiche.removed_in.is_(None))
                .group_by(RomeFicheLink.code_rome)
                .order_by(func.count().desc(), RomeFicheLink.code_rome)
                .limit(args.targets)
            )
        )
        for code in heaviest:
            fiche = s.get(RomeFiche, code)
            assert fiche is not None
            s.add(GapTarget(bilan_id=bilan.id, code_rome=code, label=fiche.label))
        from service.models import RomeCompetence

        codes = list(
            s.scalars(
                select(RomeFicheLink.code_ogr)
                .where(RomeFicheLink.code_rome.in_(heaviest), RomeFicheLink.bloc == 5)
                .order_by(RomeFicheLink.code_rome, RomeFicheLink.code_ogr)
            )
        )[::2]
        seen: set[int] = set()
        for k, code in enumerate(codes):
            competence = s.get(RomeCompetence, code)
            if competence is None or code in seen or len(seen) >= args.entries:
                continue
            seen.add(code)
            s.add(
                PortfolioEntry(
                    bilan_id=bilan.id,
                    code_ogr=code,
                    label=competence.label[:300],
                    rating=k % 4 + 1,
                    source="emploi",
                )
            )
        s.commit()
        bilan_id = bilan.id
    engine.dispose()
    return bilan_id, heaviest


def sign_in(user: SimUser, port: int) -> None:
    from urllib.parse import urlencode

    status, _, page = request(user, port, "GET", "/connexion")
    token = find_csrf(page)
    if status != 200 or token is None:
        raise RuntimeError(f"sign-in page: {status}")
    body = urlencode(
        {"csrf_token": token, "email": "conseil@banc.test", "password": PASSWORD}
    ).encode()
    status, headers, _ = request(
        user,
        port,
        "POST",
        "/connexion",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    if status != 302 or "/conseil" not in (headers.get("Location") or ""):
        raise RuntimeError(f"sign-in refused: {status}")


def run_phase(
    users: list[SimUser], port: int, path: str, warmup: float, duration: float
) -> tuple[list[float], int, int]:
    """Latencies (ms) measured after the warm-up, the errors, and the last page's size."""
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]
    size = [0]
    start = time.perf_counter()
    measure_from, stop_at = start + warmup, start + warmup + duration

    def loop(user: SimUser) -> None:
        while True:
            t0 = time.perf_counter()
            if t0 >= stop_at:
                return
            try:
                status, _, data = request(user, port, "GET", path)
            except Exception:
                status, data = 0, b""
            t1 = time.perf_counter()
            with lock:
                if status != 200:
                    errors[0] += 1
                elif t0 >= measure_from:
                    latencies.append((t1 - t0) * 1000)
                    size[0] = len(data)

    threads = [threading.Thread(target=loop, args=(u,), daemon=True) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=warmup + duration + 60)
    return sorted(latencies), errors[0], size[0]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-gap-") as folder:
        tmp = Path(folder)
        url = f"sqlite:///{tmp / 'bench.sqlite'}"
        bilan_id, targets = seed(url, args)
        server = Gunicorn(args, url, tmp)
        try:
            server.wait_ready(args.workers)
            users = [SimUser(i, 0, bilan_id, [], "") for i in range(args.clients)]
            for user in users:
                sign_in(user, server.port)
            gap_path = GAP_PATH.format(bilan=bilan_id)
            status, _, page = request(users[0], server.port, "GET", gap_path)
            text = page.decode("utf-8", "replace")
            if status != 200 or "Part couverte" not in text:
                print(f"error=gap page answered {status}", file=sys.stderr)
                return 1
            items = len(re.findall(r'class="gap-(?:held|develop|missing)"', text))
            print(f"targets={','.join(targets)} portfolio_entries<= {args.entries} items={items}")
            print(f"clients={args.clients} workers={args.workers} threads={args.threads}")
            for name, path in (("bare", BARE_PATH), ("gap", gap_path)):
                lat, errors, size = run_phase(users, server.port, path, args.warmup, args.duration)
                n = len(lat)
                print(
                    f"{name}_requests={n} {name}_errors={errors}"
                    f" {name}_rps={n / args.duration:.1f} {name}_bytes={size}"
                    f" {name}_p50_ms={percentile(lat, 50):.1f}"
                    f" {name}_p95_ms={percentile(lat, 95):.1f}"
                    f" {name}_p99_ms={percentile(lat, 99):.1f}"
                    f" {name}_max_ms={(lat[-1] if lat else float('nan')):.1f}"
                )
                if name == "gap":
                    p95 = percentile(lat, 95)
                    verdict = "met" if p95 < TARGET_P95_MS else "missed"
                    print(f"target_gap_p95_lt_{TARGET_P95_MS:.0f}ms={verdict}")
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
