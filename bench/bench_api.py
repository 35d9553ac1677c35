"""Load benchmark of the integration API against the production server configuration.

Run it from the project root with the project's virtual environment:

    .venv/bin/python bench/bench_api.py                      # 20 clients, SQLite
    .venv/bin/python bench/bench_api.py --clients 20 --duration 10 --instrument spi-135

What it does (all traffic stays on 127.0.0.1, every loop is bounded in time), following
``bench/bench_web.py`` (whose database preparation and WSGI app it reuses):

1. A fresh migrated database (an SQLite file by default; ``--database-url`` for a local
   PostgreSQL database, whose ``public`` schema is emptied).
2. Seeds a centre, ``--bilans`` bilans whose person consented, and ``--assignments``
   fresh assignments of ``--instrument`` spread over them (each answer submission needs a
   questionnaire never answered: a completed one refuses a second submission), and one
   API token of the centre with ``answers:write`` and ``results:read``.
3. Starts gunicorn as in production (``BOUSSOLE_ENV_NAME=production``, a generated
   secret, ``BOUSSOLE_DATA_KEYS``, ``-k gthread``, ``--workers`` and ``--threads``) on
   ``bench.bench_api:make_wsgi_app()``: ``bench_web``'s app (``create_app()`` and the bare
   route ``/bench/bare``) with the API's rate limit raised for the run (a bench token
   would otherwise meet the 300 calls a minute of production).
4. ``--clients`` threads, each with its own keep-alive connection, run three phases of
   ``--warmup`` (discarded) plus ``--duration`` seconds (measured):
   ``bare``: ``POST /bench/bare`` with the same JSON body and headers as a submission;
   ``answers``: ``POST /api/v1/assignments/<id>/answers`` with every item of a fresh
   assignment (values drawn in the instrument's coding), which completes and scores it;
   ``scores``: ``GET /api/v1/assignments/<id>/scores`` of the questionnaires completed in
   the phase before (skipped with a note when the route answers 404: it is not built yet).
5. Prints a ``key=value`` summary: throughput, p50/p95/p99/max, errors, the ratios to the
   bare route and whether the target is met (p95 < 50 ms).

At zero think time the clients form a closed loop: by Little's law the mean latency is
clients / throughput, so p95 < 50 ms at 20 clients needs about 400 requests per second.
The exit code is 0 whatever the figures (a measurement); 1 when the run could not be made.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: the project root on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import bench_web  # (sets BOUSSOLE_DATA_KEYS for the run)

HOST = bench_web.HOST
ROOT = bench_web.ROOT
TARGET_P95_MS = 50.0
ANSWERS_PATH = "/api/v1/assignments/{id}/answers"
SCORES_PATH = "/api/v1/assignments/{id}/scores"


def make_wsgi_app() -> Any:
    """``bench_web``'s app, with the API rate limit of ``BENCH_API_RATE_LIMIT``."""
    app = bench_web.make_wsgi_app()
    app.config["API_RATE_LIMIT"] = os.environ.get("BENCH_API_RATE_LIMIT", "1000000/minute")
    # The bare route receives the same JSON body as a submission: a JSON view.
    app.view_functions["bench_bare"].accepts_json = True
    return app


# --- seeding -----------------------------------------------------------------------------


def seed(url: str, tmp: Path, args: argparse.Namespace) -> tuple[str, list[int], dict[str, Any]]:
    """(token, fresh assignment ids, item id -> allowed codes)."""
    from sqlalchemy import insert, select

    from service.app import create_app
    from service.extensions import db
    from service.features.api import tokens
    from service.features.journey.consent import CONSENT_VERSION
    from service.models import Assignment, Beneficiary, Bilan, Centre, Consent, ResultsSharing

    app = create_app(
        {"DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32), "MAIL_FOLDER": str(tmp)}
    )
    inst = app.extensions["boussole.instruments"][args.instrument]
    codes = {it.id: [int(o.value) for o in inst.formats[it.format].options] for it in inst.items}
    with app.app_context(), app.test_request_context(), db.standalone() as s:
        centre = Centre(name="Centre du banc d’essai de l’API")
        s.add(centre)
        s.flush()
        bilans = []
        for i in range(args.bilans):
            person = Beneficiary(centre_id=centre.id, first_name="Papier", last_name=f"n°{i}")
            s.add(person)
            s.flush()
            bilan = Bilan(centre_id=centre.id, beneficiary_id=person.id)
            s.add(bilan)
            s.flush()
            s.add(
                Consent(
                    bilan_id=bilan.id,
                    beneficiary_id=person.id,
                    text_version=CONSENT_VERSION,
                    accepted=True,
                )
            )
            bilans.append(bilan.id)
        s.execute(
            insert(Assignment),
            [
                {
                    "bilan_id": bilans[n % len(bilans)],
                    "instrument_id": inst.id,
                    "instrument_version": inst.version,
                    "language": "fr",
                    # shown to the person at completion: the API then gives the scores
                    "show_results_now": True,
                }
                for n in range(args.assignments)
            ],
        )
        ids = sorted(s.scalars(select(Assignment.id)))
        new = tokens.create_token(
            s,
            centre_id=centre.id,
            name="Banc d’essai",
            scopes=("answers:write", "results:read"),
            days=1,
            created_by=None,
        )
        # every person agreed to send their results to the bench's token (the API's rule)
        people = dict(s.execute(select(Bilan.id, Bilan.beneficiary_id)).tuples().all())
        s.execute(
            insert(ResultsSharing),
            [
                {
                    "bilan_id": b,
                    "beneficiary_id": people[b],
                    "api_token_id": new.token.id,
                    "recipient_name": new.token.name,
                    "decision": "accepted",
                }
                for b in bilans
            ],
        )
        raw = new.raw
    if db.engine is not None:
        db.engine.dispose()
    return raw, ids, codes


# --- gunicorn ------------------------------------------------------------------------------


class Server:
    """gunicorn in production mode on ``bench.bench_api:make_wsgi_app()``."""

    def __init__(self, args: argparse.Namespace, db_url: str, tmp: Path):
        self.port = bench_web.free_port()
        cmd = [
            sys.executable, "-m", "gunicorn", "--bind", f"{HOST}:{self.port}",
            "--workers", str(args.workers), "--worker-class", "gthread",
            "--threads", str(args.threads), "--keep-alive", "5", "--backlog", "2048",
            "--log-level", "warning", "--chdir", str(ROOT), "bench.bench_api:make_wsgi_app()",
        ]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith("BOUSSOLE_")}
        env.update(
            {
                "BOUSSOLE_ENV_NAME": "production",
                "BOUSSOLE_SECRET_KEY": secrets.token_hex(32),
                "BOUSSOLE_DATA_KEYS": os.environ["BOUSSOLE_DATA_KEYS"],
                "BOUSSOLE_DATABASE_URL": db_url,
                "BOUSSOLE_MAIL_FOLDER": str(tmp / "mail"),
                "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
            }
        )
        self.log_path = tmp / "gunicorn.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with code {self.proc.returncode}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
                conn.request("GET", bench_web.CONFIG_PATH)
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            time.sleep(0.1)
        raise RuntimeError("gunicorn did not answer")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # the master ends its own workers
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._log.close()


# --- the load --------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, ms: float, status: int, ok: bool) -> None:
        with self.lock:
            self.latencies.append(ms)
            if not ok:
                self.errors[status] = self.errors.get(status, 0) + 1

    def pct(self, p: float) -> float:
        data = sorted(self.latencies)
        if not data:
            return float("nan")
        return data[min(len(data) - 1, max(0, round(p / 100 * len(data)) - 1))]

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


Request = Callable[[http.client.HTTPConnection], tuple[int, bool] | None]


def run_phase(
    args: argparse.Namespace, port: int, name: str, make: Callable[[int], Request]
) -> Phase:
    """``--clients`` threads sending ``make(client)``'s request in a loop: a warm-up, then
    ``--duration`` measured seconds. A request returning None means: nothing left."""
    phase = Phase(name)
    start = time.monotonic()
    measure_from = start + args.warmup
    stop_at = measure_from + args.duration

    def client(index: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        send = make(index)
        while time.monotonic() < stop_at:
            t = time.perf_counter()
            try:
                outcome = send(conn)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
                outcome = (599, False)
            if outcome is None:
                break
            ms = (time.perf_counter() - t) * 1000
            if time.monotonic() >= measure_from:
                phase.record(ms, *outcome)
            if args.think_ms:
                time.sleep(args.think_ms / 1000)
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    phase.seconds = max(0.001, min(time.monotonic(), stop_at) - measure_from)
    return phase


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--think-ms", type=float, default=0.0)
    parser.add_argument("--instrument", default="riasec-60")
    parser.add_argument("--assignments", type=int, default=4000)
    parser.add_argument("--bilans", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    args.scratch_database = False

    with tempfile.TemporaryDirectory(prefix="boussole-bench-api-") as folder:
        tmp = Path(folder)
        handle = bench_web.prepare_database(args, tmp)
        server: Server | None = None
        try:
            t = time.perf_counter()
            token, fresh, codes = seed(handle.url, tmp, args)
            print(f"# seeded {len(fresh)} assignments in {time.perf_counter() - t:.1f} s")
            server = Server(args, handle.url, tmp)
            server.wait_ready()
            return measure(args, server.port, token, fresh, codes)
        except RuntimeError as exc:
            print(f"# run failed: {exc}", file=sys.stderr)
            if server is not None:
                print(server.log_path.read_text(errors="replace")[-3000:], file=sys.stderr)
            return 1
        finally:
            if server is not None:
                server.stop()
            handle.close()


def _route_exists(port: int, path: str, headers: dict[str, str]) -> bool:
    probe = http.client.HTTPConnection(HOST, port, timeout=30)
    probe.request("GET", path, headers=headers)
    status = probe.getresponse().status
    probe.close()
    return status != 404


def summary(phases: list[Phase]) -> None:
    """The figures of each phase, and its ratios to the bare route (the first phase)."""
    bare_phase = phases[0]
    for ph in phases:
        print(
            f"{ph.name}_requests={len(ph.latencies)} {ph.name}_rps={ph.throughput:.1f}"
            f" {ph.name}_p50_ms={ph.pct(50):.1f} {ph.name}_p95_ms={ph.pct(95):.1f}"
            f" {ph.name}_p99_ms={ph.pct(99):.1f}"
            f" {ph.name}_max_ms={max(ph.latencies or [float('nan')]):.1f}"
            f" {ph.name}_errors={sum(ph.errors.values())} {dict(sorted(ph.errors.items()))}"
        )
        if ph is not bare_phase and bare_phase.throughput:
            print(
                f"{ph.name}_vs_bare_throughput={ph.throughput / bare_phase.throughput:.2f}"
                f" {ph.name}_vs_bare_p95={ph.pct(95) / bare_phase.pct(95):.1f}"
                f" {ph.name}_target_p95_met={ph.pct(95) < TARGET_P95_MS}"
            )


def _bodies(args: argparse.Namespace, codes: dict[str, Any]) -> dict[int, bytes]:
    """One submission body per client, drawn once in the coding (the same size always)."""
    rng = random.Random(args.seed)
    return {
        i: json.dumps(
            {"answers": {item: rng.choice(allowed) for item, allowed in codes.items()}}
        ).encode()
        for i in range(args.clients)
    }


def measure(
    args: argparse.Namespace, port: int, token: str, fresh: list[int], codes: dict[str, Any]
) -> int:
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Connection": "keep-alive",
    }
    pool = list(fresh)
    pool_lock = threading.Lock()
    completed: list[int] = []
    body_of = _bodies(args, codes)

    def bare(index: int) -> Request:
        def send(conn: http.client.HTTPConnection) -> tuple[int, bool]:
            conn.request("POST", bench_web.BARE_PATH, body=body_of[index], headers=headers)
            resp = conn.getresponse()
            resp.read()
            return resp.status, resp.status == 200

        return send

    def answers(index: int) -> Request:
        def send(conn: http.client.HTTPConnection) -> tuple[int, bool] | None:
            with pool_lock:
                if not pool:
                    return None
                aid = pool.pop(0)
            conn.request("POST", ANSWERS_PATH.format(id=aid), body=body_of[index], headers=headers)
            resp = conn.getresponse()
            resp.read()
            if resp.status == 201:
                with pool_lock:
                    completed.append(aid)
            return resp.status, resp.status == 201

        return send

    def scores(index: int) -> Request:
        mine = completed[index :: args.clients] or completed[:1]
        cursor = [0]

        def send(conn: http.client.HTTPConnection) -> tuple[int, bool]:
            aid = mine[cursor[0] % len(mine)]
            cursor[0] += 1
            conn.request("GET", SCORES_PATH.format(id=aid), headers=headers)
            resp = conn.getresponse()
            resp.read()
            return resp.status, resp.status == 200

        return send

    phases = [run_phase(args, port, "bare", bare), run_phase(args, port, "answers", answers)]
    if not completed:
        print("# run failed: no answer submission succeeded", file=sys.stderr)
        return 1
    if _route_exists(port, SCORES_PATH.format(id=completed[0]), headers):
        phases.append(run_phase(args, port, "scores", scores))
    else:
        print(
            "# note: GET /api/v1/assignments/{id}/scores answers 404 (the route is not built"
            " in this tree yet): the scores phase is skipped"
        )
    if len(pool) == 0:
        print("# note: every fresh assignment was used: raise --assignments for a full phase")
    print(f"clients={args.clients} think_ms={args.think_ms:g} instrument={args.instrument}")
    print(f"items={len(codes)} workers={args.workers} threads={args.threads}")
    summary(phases)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
