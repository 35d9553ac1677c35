"""Load benchmark of the beneficiary's autosave against the production server configuration.

Run it from the project root with the project's virtual environment:

    .venv/bin/python bench/bench_web.py                     # N = 50 users, SQLite
    .venv/bin/python bench/bench_web.py --users 20 --duration 10
    .venv/bin/python bench/bench_web.py --think-ms 500      # people who pause a little
    .venv/bin/python bench/bench_web.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test --scratch-database
    .venv/bin/python bench/bench_web.py --profile           # + py-spy of the autosave phase

What it does (all traffic stays on 127.0.0.1, every loop is bounded in time):

1. A fresh database: an SQLite file in a temporary folder by default; with
   ``--database-url`` a PostgreSQL database whose ``public`` schema is dropped and created
   empty (everything in it is lost), or, with ``--scratch-database`` too, a new database
   ``boussole_bench_<random>`` created on that server and dropped at the end. Then
   ``service.migrate.upgrade(url)`` (what ``boussole db upgrade`` runs).
2. With the app's models: a centre, a counsellor, N beneficiaries, each with a bilan
   followed by the counsellor, ``--assignments`` assignments of ``spi-135`` (127 items,
   6-point likert coded 1-6), a consent row (``--consent db``, the default) and an
   invitation token (``service.features.accounts.invitations.create_invitation``).
3. Starts gunicorn as a subprocess on a free 127.0.0.1 port, as in production
   (``BOUSSOLE_ENV_NAME=production``: the variable ``create_app`` reads, it makes
   the 32+-character secret mandatory and the session cookie Secure; a generated
   64-character secret; the database above; the caller's other ``BOUSSOLE_*`` removed),
   ``-k gthread`` with ``--workers`` and ``--threads`` (default 4 and 4: the command line of
   docs/deployment.md, 2 workers per core on the 2-core machine it targets). The app it
   serves is ``bench.bench_web:make_wsgi_app()``: ``service.app.create_app()`` plus two
   routes of the bench itself, ``/bench/bare`` (returns ``ok``, no database, CSRF-exempt)
   and ``/bench/config`` (what configuration the worker really runs), and a response
   header ``X-Bench-Worker`` (the worker's pid) to show how connections spread.
4. Each simulated beneficiary is a thread with its own keep-alive connection
   (``http.client``) and cookie: ``GET /invitation/<token>`` (session cookie), ``GET
   /espace/`` and the questionnaire page (CSRF token from ``name="csrf_token"`` or
   ``<meta name="csrf-token">``), optionally the consent form (``--consent form``), and a
   first answer that checks the autosave contract. Then two phases, each ``--warmup``
   seconds (discarded) plus ``--duration`` seconds (measured):
   ``bare``: ``POST /bench/bare`` with the same JSON body and headers as an autosave;
   ``autosave``: ``POST /espace/questionnaires/<assignment_id>/reponses`` with
   ``{"item": "q_...", "value": 1-6, "page": p, "seconds": s}`` and ``X-CSRFToken``, as
   ``service/static/js/autosave.js`` sends it (p: the item's page, numbered from 1, from
   ``service.features.journey.paging.paginate``; s: seconds since the previous report, in tenths,
   which the
   server adds to the page's time when > 0), items in order,
   ``--think-ms`` between answers (default 0: maximal load). A user who has answered every
   item of all its assignments starts again at the first (the answers are then updates).
5. Prints a ``key=value`` summary: throughput, p50/p95/p99/max latency, errors, CPU time per
   request (this client, the gunicorn processes, the PostgreSQL server for the bench's
   database, and the rest of the machine), the CPU-bound capacity those imply
   (``cpu_count / CPU per request``), how requests spread over the workers, PostgreSQL
   sessions opened and commits, the ratio autosave/bare and whether the targets are met
   (autosave p95 < 50 ms, autosave throughput >= 40% of the bare route's).

At zero think time the users form a closed loop: by Little's law the mean latency is
N / throughput, so "p95 < 50 ms at 50 users" needs well over 1,000 autosaves per second;
with a think time the users' pace sets the throughput and the ratio is not a capacity
ratio (it is then reported as n/a). On a machine shared with other work,
``*_cpu_ms_per_request_rest_of_machine`` far from 0 says that the figures are disturbed.

``--profile`` samples the gunicorn workers with py-spy (``pip install py-spy``) during the
measured autosave phase and prints the project functions and the leaf functions that take
the most samples. ``--stub-autosave`` serves a minimal autosave of the bench's own when the
project has none yet (to check the harness; those figures are not the project's).

The exit code is 0 whatever the figures (a measurement, not a test); 1 when the run could
not be made (server did not start, sign-in or autosave contract broken).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import html.parser
import http.client
import json
import math
import os
import random
import re
import resource
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# One data key for the whole bench run: the in-process seeding and the gunicorn server must
# encrypt and decrypt with the same key (production refuses to start without one).
if not os.environ.get("BOUSSOLE_DATA_KEYS"):
    from cryptography.fernet import Fernet

    os.environ["BOUSSOLE_DATA_KEYS"] = Fernet.generate_key().decode("ascii")

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"  # the only address this bench ever talks to
INSTRUMENT = "spi-135"
AUTOSAVE_PATH = "/espace/questionnaires/{assignment}/reponses"
BARE_PATH = "/bench/bare"
CONFIG_PATH = "/bench/config"
TARGET_P95_MS = 50.0
TARGET_RATIO = 0.40
WORKER_HEADER = "X-Bench-Worker"


# --- the WSGI app served by gunicorn (imported in the workers) ------------------------------


def make_wsgi_app() -> Any:
    """``create_app()`` from the BOUSSOLE_* environment, plus the bench's own routes.

    gunicorn serves it as ``bench.bench_web:make_wsgi_app()``; no project file is touched.
    """
    from flask import Flask, current_app, jsonify

    from service.app import create_app
    from service.extensions import csrf, db

    app: Flask = create_app()

    def bench_bare() -> str:
        return "ok"

    def bench_config() -> Any:
        engine = db.engine
        return jsonify(
            pid=os.getpid(),
            env_name=current_app.config.get("ENV_NAME"),
            secret_length=len(str(current_app.config.get("SECRET_KEY") or "")),
            session_cookie_secure=current_app.config.get("SESSION_COOKIE_SECURE"),
            csrf_enabled=current_app.config.get("WTF_CSRF_ENABLED", True),
            debug=current_app.debug,
            testing=current_app.testing,
            dialect=engine.dialect.name if engine is not None else None,
            pool=type(engine.pool).__name__ if engine is not None else None,
            autosave_route=any(
                r.rule.endswith("/reponses") and "POST" in (r.methods or ())
                for r in current_app.url_map.iter_rules()
            ),
        )

    app.add_url_rule(BARE_PATH, "bench_bare", bench_bare, methods=["GET", "POST"])
    app.add_url_rule(CONFIG_PATH, "bench_config", bench_config, methods=["GET"])
    csrf.exempt(bench_bare)

    if os.environ.get("BENCH_STUB_AUTOSAVE") == "1" and not any(
        r.rule.endswith("/reponses") for r in app.url_map.iter_rules()
    ):
        _add_stub_autosave(app)

    pid = str(os.getpid())

    @app.after_request
    def _worker_header(response: Any) -> Any:
        response.headers[WORKER_HEADER] = pid
        return response

    return app


def _add_stub_autosave(app: Any) -> None:
    """A minimal autosave of the bench's own (``--stub-autosave``): one upsert per answer."""
    from flask import abort, request
    from flask_login import current_user, login_required
    from sqlalchemy import select

    from service.extensions import db
    from service.models import Answer, Assignment, Bilan

    @login_required  # type: ignore[untyped-decorator]
    def stub_autosave(assignment_id: int) -> Any:
        if getattr(current_user, "kind", "") != "beneficiary":
            abort(403)
        s = db.session
        assignment = s.get(Assignment, assignment_id)
        if assignment is None:
            abort(404)
        bilan = s.get(Bilan, assignment.bilan_id)
        if bilan is None or bilan.beneficiary_id != current_user.id:
            abort(404)
        data = request.get_json(silent=True) or {}
        item, value = data.get("item"), data.get("value")
        if not isinstance(item, str) or value not in (1, 2, 3, 4, 5, 6):
            return {"saved": False, "error": "invalid"}, 422
        answer = s.scalars(
            select(Answer).where(Answer.assignment_id == assignment_id, Answer.item_id == item)
        ).first()
        if answer is None:
            s.add(Answer(assignment_id=assignment_id, item_id=item, value=value))
        else:
            answer.value = value
        s.commit()
        return {"saved": True, "item": item}

    app.add_url_rule(
        "/espace/questionnaires/<int:assignment_id>/reponses",
        "bench_stub_autosave",
        stub_autosave,
        methods=["POST"],
    )


# --- database: fresh, migrated, seeded ------------------------------------------------------


@dataclass
class SimUser:
    """One simulated beneficiary: ids, invitation token, HTTP state, answer cursor."""

    index: int
    beneficiary_id: int
    bilan_id: int
    assignment_ids: list[int]
    token: str
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str | None = None
    conn: http.client.HTTPConnection | None = None
    cursor: int = 0  # position in (assignment, item) order
    reconnects: int = 0
    secure_cookie: bool = False  # the session cookie came with the Secure flag
    last_report: float = 0.0  # perf_counter of the last time report (as autosave.js keeps)
    rng: random.Random = field(default_factory=random.Random)


@dataclass
class DatabaseHandle:
    url: str
    description: str
    cleanup: list[Any] = field(default_factory=list)

    def close(self) -> None:
        for fn in reversed(self.cleanup):
            with contextlib.suppress(Exception):
                fn()
        self.cleanup.clear()


def prepare_database(args: argparse.Namespace, tmp: Path) -> DatabaseHandle:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from service.db import make_engine
    from service.migrate import upgrade

    if not args.database_url:
        path = tmp / "boussole.sqlite"
        handle = DatabaseHandle(f"sqlite:///{path}", f"sqlite file {path}")
    else:
        url = make_url(args.database_url)
        if url.get_backend_name() != "postgresql":
            raise SystemExit(
                "--database-url: only PostgreSQL URLs are supported (SQLite is the default)"
            )
        if url.host not in (None, HOST, "localhost", "::1"):  # None: a Unix socket
            raise SystemExit(
                f"--database-url: the database must be on this machine, not {url.host}"
            )
        if args.scratch_database:
            name = f"boussole_bench_{secrets.token_hex(4)}"
            admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))

            def drop() -> None:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()

            target = url.set(database=name)
            handle = DatabaseHandle(
                target.render_as_string(hide_password=False),
                f"postgresql scratch database {name} (dropped at the end)",
                [drop],
            )
        else:
            engine = make_engine(url.render_as_string(hide_password=False))
            with engine.begin() as conn:  # start from an empty schema
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            engine.dispose()
            handle = DatabaseHandle(
                url.render_as_string(hide_password=False),
                f"postgresql database {url.database} (public schema emptied)",
            )
    t = time.perf_counter()
    upgrade(handle.url)
    print(f"# migrated {handle.description} in {time.perf_counter() - t:.1f} s", flush=True)
    return handle


def seed(
    url: str, tmp: Path, args: argparse.Namespace
) -> tuple[list[SimUser], list[str], dict[str, int]]:
    """Create centre, counsellor, beneficiaries, bilans, assignments, consents, invitations."""
    from service.app import create_app
    from service.extensions import db
    from service.features.accounts.invitations import create_invitation
    from service.models import Assignment, Beneficiary, Bilan, Centre, Consent, StaffUser
    from service.security import hash_password

    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": secrets.token_hex(32),
            "MAIL_FOLDER": str(tmp / "mail"),
        }
    )
    inst = app.extensions["boussole.instruments"][INSTRUMENT]
    items = [it.id for it in inst.items]
    per_page = int(app.config["ITEMS_PER_PAGE"])
    try:  # the page each item is on, numbered from 1 as in the URLs
        from service.features.journey.paging import paginate

        page_of = {it.id: page.number for page in paginate(inst, per_page) for it in page.items}
    except ImportError:
        page_of = {item: i // per_page + 1 for i, item in enumerate(items)}
    try:  # the consent text version the app currently shows
        from service.features.journey.consent import CONSENT_VERSION as consent_version
    except ImportError:
        consent_version = "bench"
    users: list[SimUser] = []
    with app.app_context(), db.standalone() as s:
        centre = Centre(name="Centre du banc d’essai")
        s.add(centre)
        s.flush()
        counsellor = StaffUser(
            centre_id=centre.id,
            email="conseil@bench.boussole.test",
            name="Conseillère du banc",
            role="counsellor",
            password_hash=hash_password(secrets.token_urlsafe(12)),
        )
        s.add(counsellor)
        for i in range(args.users):
            person = Beneficiary(
                centre_id=centre.id, first_name="Bénéficiaire", last_name=f"n°{i + 1}"
            )
            s.add(person)
            s.flush()
            bilan = Bilan(centre_id=centre.id, beneficiary_id=person.id)
            bilan.counsellors.append(counsellor)
            s.add(bilan)
            s.flush()
            assignments = []
            for _ in range(args.assignments):
                a = Assignment(
                    bilan_id=bilan.id,
                    instrument_id=inst.id,
                    instrument_version=inst.version,
                    language="fr",
                )
                s.add(a)
                s.flush()
                assignments.append(a.id)
            if args.consent == "db":
                s.add(
                    Consent(
                        bilan_id=bilan.id,
                        beneficiary_id=person.id,
                        text_version=consent_version,
                        accepted=True,
                    )
                )
            token = create_invitation(s, person, days=1)
            users.append(
                SimUser(
                    index=i,
                    beneficiary_id=person.id,
                    bilan_id=bilan.id,
                    assignment_ids=assignments,
                    token=token,
                    rng=random.Random(args.seed * 1_000_003 + i),
                )
            )
    if db.engine is not None:
        db.engine.dispose()
    return users, items, page_of


# --- gunicorn ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the bench dies, even by SIGKILL (Linux)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Gunicorn:
    """gunicorn in its own process group; ``stop()`` ends it (TERM, then KILL)."""

    def __init__(self, args: argparse.Namespace, db_url: str, tmp: Path):
        self.port = free_port()
        self.cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"{HOST}:{self.port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(args.threads),
            "--keep-alive",
            str(args.keep_alive),
            "--backlog",
            "2048",
            "--log-level",
            "warning",
            "--worker-tmp-dir",
            "/dev/shm" if Path("/dev/shm").is_dir() else str(tmp),
            "--chdir",
            str(ROOT),
            "bench.bench_web:make_wsgi_app()",
        ]
        env = {k: v for k, v in os.environ.items() if not k.startswith("BOUSSOLE_")}
        env.update(
            {
                "BOUSSOLE_ENV_NAME": "production",
                "BOUSSOLE_SECRET_KEY": secrets.token_hex(32),
                # Production refuses to start without data keys: the bench's own key, the
                # one the in-process seeding encrypted with (set at import, below).
                "BOUSSOLE_DATA_KEYS": os.environ["BOUSSOLE_DATA_KEYS"],
                "BOUSSOLE_DATABASE_URL": db_url,
                "BOUSSOLE_MAIL_FOLDER": str(tmp / "mail"),
                "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
            }
        )
        if args.stub_autosave:
            env["BENCH_STUB_AUTOSAVE"] = "1"
        self.log_path = tmp / "gunicorn.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            self.cmd,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )

    def log_tail(self, n: int = 30) -> str:
        with contextlib.suppress(OSError):
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
            return "\n".join(lines[-n:])
        return ""

    def wait_ready(self, workers: int, timeout: float = 60.0) -> dict[str, Any]:
        """Poll /bench/config until every worker has answered once (new connection each)."""
        deadline = time.monotonic() + timeout
        seen: dict[int, dict[str, Any]] = {}
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with code {self.proc.returncode}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
                conn.request("GET", CONFIG_PATH, headers={"Connection": "close"})
                resp = conn.getresponse()
                body = resp.read()
                conn.close()
                if resp.status == 200:
                    info = json.loads(body)
                    seen[int(info["pid"])] = info
                    if len(seen) >= workers:
                        return next(iter(seen.values()))
                    continue
            except (OSError, http.client.HTTPException, ValueError):
                pass
            time.sleep(0.1)
        if seen:
            print(f"# warning: only {len(seen)} of {workers} workers answered", flush=True)
            return next(iter(seen.values()))
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s")

    def pids(self) -> list[int]:
        """The master and its children (the workers)."""
        master = self.proc.pid
        out = [master]
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError):
                    stat = Path(f"/proc/{entry}/stat").read_text()
                    if int(stat.rpartition(")")[2].split()[1]) == master:
                        out.append(int(entry))
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        # workers left behind by a killed master share its process group
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self._log.close()


# --- CPU accounting from /proc --------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLK_TCK


def system_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine, all cores."""
    parts = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in parts]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values[:8])
    return (total - idle) / CLK_TCK, total / CLK_TCK


def database_server_cpu_seconds(dbname: str | None) -> float:
    """CPU of the PostgreSQL server: its shared processes and the backends of ``dbname``
    (other databases' backends, e.g. a test suite running meanwhile, are left out)."""
    if not dbname:
        return 0.0
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                if Path(f"/proc/{entry}/comm").read_text().strip() not in (
                    "postgres",
                    "postmaster",
                ):
                    continue
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                if "(" not in cmdline or f" {dbname} " in cmdline:  # shared, or ours
                    pids.append(int(entry))
    return proc_cpu_seconds(pids)


class PgStats:
    """Counters of pg_stat_database for the bench's database (sessions opened, commits)."""

    def __init__(self, url: str | None):
        self.engine = None
        self.dbname: str | None = None
        if url and url.startswith("postgresql"):
            from sqlalchemy import create_engine
            from sqlalchemy.engine import make_url
            from sqlalchemy.pool import NullPool

            self.dbname = make_url(url).database
            self.engine = create_engine(url, poolclass=NullPool)

    def take(self) -> dict[str, float]:
        if self.engine is None:
            return {}
        from sqlalchemy import text

        with self.engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT sessions, xact_commit, xact_rollback, blks_read, deadlocks"
                    " FROM pg_stat_database WHERE datname = current_database()"
                )
            ).one()
        return {  # (the snapshots' own sessions count too: +-1)
            "sessions": float(row[0]),
            "commits": float(row[1]),
            "rollbacks": float(row[2]),
            "deadlocks": float(row[4]),
        }

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()


def self_cpu_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


@dataclass
class CpuSnapshot:
    client: float
    server: float
    database: float
    busy: float
    total: float

    @classmethod
    def take(cls, server: Gunicorn, dbname: str | None) -> CpuSnapshot:
        busy, total = system_cpu_seconds()
        return cls(
            self_cpu_seconds(),
            proc_cpu_seconds(server.pids()),
            database_server_cpu_seconds(dbname),
            busy,
            total,
        )


# --- HTTP client: one keep-alive connection and cookie jar per user -------------------------


class CsrfFinder(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.token: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if self.token is None:
            if tag == "input" and a.get("name") == "csrf_token" and a.get("value"):
                self.token = a["value"]
            elif tag == "meta" and a.get("name") == "csrf-token" and a.get("content"):
                self.token = a["content"]


class FormFinder(html.parser.HTMLParser):
    """Fields of the first form whose action contains ``needle``."""

    def __init__(self, needle: str) -> None:
        super().__init__()
        self.needle = needle
        self.inside = False
        self.done = False
        self.action: str | None = None
        self.fields: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and not self.done and self.needle in (a.get("action") or ""):
            self.inside, self.action = True, a.get("action")
        elif self.inside and tag in ("input", "button", "select", "textarea"):
            self.fields.append({"tag": tag, **a})

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.inside:
            self.inside, self.done = False, True


class HttpError(RuntimeError):
    pass


def _connect(user: SimUser, port: int, timeout: float) -> http.client.HTTPConnection:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    conn.connect()
    if conn.sock is not None:
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


def request(
    user: SimUser,
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request on the user's keep-alive connection; reconnects once if it was closed."""
    hdrs = {"Host": f"{HOST}:{port}", "User-Agent": "boussole-bench-web", "Accept": "*/*"}
    if user.cookies:
        hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in user.cookies.items())
    if headers:
        hdrs.update(headers)
    for attempt in (0, 1):
        if user.conn is None:
            user.conn = _connect(user, port, timeout)
        try:
            user.conn.request(method, path, body=body, headers=hdrs)
            resp = user.conn.getresponse()
            data = resp.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
            # a keep-alive connection closed by the server while idle: reconnect once
            with contextlib.suppress(Exception):
                user.conn.close()
            user.conn = None
            user.reconnects += 1
            if attempt:
                raise HttpError(f"{method} {path}: {exc!r}") from exc
            continue
        except (OSError, http.client.HTTPException):
            with contextlib.suppress(Exception):
                user.conn.close()
            user.conn = None
            raise
        for cookie in resp.msg.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            lowered = cookie.lower()
            if not value or "max-age=0" in lowered or "expires=thu, 01 jan 1970" in lowered:
                user.cookies.pop(name.strip(), None)
            else:
                user.cookies[name.strip()] = value
        if resp.will_close:
            user.conn.close()
            user.conn = None
        return resp.status, resp.msg, data
    raise AssertionError("unreachable")


def find_csrf(page: bytes) -> str | None:
    finder = CsrfFinder()
    finder.feed(page.decode("utf-8", errors="replace"))
    return finder.token


_YES = r"accept|oui|yes|^1$|true"  # the answer that gives consent, in a field or a button


def consent_form_data(fields: list[dict[str, str | None]]) -> list[tuple[str, str]]:
    """The fields of the consent form filled in to consent: text and hidden fields as they
    are, consent checkboxes ticked, the accepting radio button of each group (else its
    first), and the accepting submit button (else the first one)."""
    data: list[tuple[str, str]] = []
    radios: dict[str, list[str]] = collections.defaultdict(list)
    submit: tuple[str, str] | None = None
    for f in fields:
        name, value, kind = f.get("name"), f.get("value") or "", (f.get("type") or "").lower()
        if not name:
            continue
        if kind == "radio":
            radios[name].append(value)
        elif kind == "checkbox":
            if name.startswith("accept") or "consent" in name:
                data.append((name, value or "y"))
        elif f["tag"] == "button" or kind == "submit":
            if submit is None or re.search(_YES, f"{name} {value}", re.I):
                submit = (name, value)
        elif kind != "file":
            data.append((name, value))
    for name, values in radios.items():
        chosen = next((v for v in values if re.search(_YES, v, re.I)), None)
        data.append((name, chosen or values[0]))
    if submit is not None:
        data.append(submit)
    return data


def submit_consent_form(user: SimUser, port: int) -> None:
    path = f"/espace/bilans/{user.bilan_id}/consentement"
    status, _, page = request(user, port, "GET", path)
    if status != 200:
        raise HttpError(f"GET {path}: {status}")
    form = FormFinder("consentement")
    form.feed(page.decode("utf-8", errors="replace"))
    if form.action is None:
        raise HttpError(f"GET {path}: no consent form found in the page")
    data = consent_form_data(form.fields)
    from urllib.parse import urlencode

    status, _, _ = request(
        user,
        port,
        "POST",
        form.action,
        urlencode(data).encode(),
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"http://{HOST}:{port}{path}",
        },
    )
    if status not in (200, 302, 303):
        raise HttpError(f"POST {form.action}: {status}")


def sign_in(user: SimUser, port: int, args: argparse.Namespace) -> None:
    """The beneficiary's entry: invitation link, home page, consent, questionnaire page."""
    status, hdrs, _ = request(user, port, "GET", f"/invitation/{user.token}")
    if status not in (302, 303) or not user.cookies:
        raise HttpError(f"GET /invitation/<token>: {status}, cookies={sorted(user.cookies)}")
    set_cookie = " ".join(hdrs.get_all("Set-Cookie") or [])
    user.secure_cookie = "secure" in set_cookie.lower()
    status, _, page = request(user, port, "GET", "/espace/")
    if status != 200:
        raise HttpError(f"GET /espace/: {status}")
    user.csrf = find_csrf(page)
    if args.consent == "form":
        submit_consent_form(user, port)
    # the questionnaire page, as a person would open it (its token if it has one)
    status, _, page = request(user, port, "GET", f"/espace/questionnaires/{user.assignment_ids[0]}")
    if status == 200:
        user.csrf = find_csrf(page) or user.csrf
    if not user.csrf:
        raise HttpError("no CSRF token found on /espace/ nor on the questionnaire page")
    user.last_report = time.perf_counter()  # the page is open: its clock starts


def next_answer(user: SimUser, items: list[str], page_of: dict[str, int]) -> tuple[int, bytes]:
    """The next answer in item order, as service/static/js/autosave.js sends it: the item,
    its value, the page, and the seconds since the previous report (tenths)."""
    k = user.cursor % (len(items) * len(user.assignment_ids))
    user.cursor += 1
    assignment = user.assignment_ids[k // len(items)]
    pos = k % len(items)
    now = time.perf_counter()
    seconds = round(max(0.0, now - user.last_report), 1) if user.last_report else 0.0
    user.last_report = now
    body = json.dumps(
        {
            "item": items[pos],
            "value": user.rng.randint(1, 6),
            "page": page_of[items[pos]],
            "seconds": seconds,
        }
    ).encode()
    return assignment, body


def autosave_once(
    user: SimUser, port: int, items: list[str], page_of: dict[str, int]
) -> tuple[bool, int, str]:
    assignment, body = next_answer(user, items, page_of)
    path = AUTOSAVE_PATH.format(assignment=assignment)
    status, hdrs, data = request(
        user,
        port,
        "POST",
        path,
        body,
        {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-CSRFToken": user.csrf or "",
            "Referer": f"http://{HOST}:{port}/espace/questionnaires/{assignment}",
        },
    )
    ok = False
    if status == 200:
        with contextlib.suppress(ValueError):
            ok = json.loads(data).get("saved") is True
    return ok, status, hdrs.get(WORKER_HEADER, "?") + " " + data[:200].decode(errors="replace")


def bare_once(
    user: SimUser, port: int, items: list[str], page_of: dict[str, int]
) -> tuple[bool, int, str]:
    _, body = next_answer(user, items, page_of)
    user.cursor -= 1  # the bare phase answers nothing
    status, hdrs, data = request(
        user,
        port,
        "POST",
        BARE_PATH,
        body,
        {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-CSRFToken": user.csrf or "",
        },
    )
    return (
        status == 200 and data == b"ok",
        status,
        hdrs.get(WORKER_HEADER, "?") + " " + data[:200].decode(errors="replace"),
    )


# --- phases --------------------------------------------------------------------------------


@dataclass
class Sample:
    start: float
    end: float
    ok: bool
    worker: str


@dataclass
class PhaseResult:
    name: str
    duration: float
    samples: list[Sample]
    errors: collections.Counter[str]
    cpu: dict[str, float]
    reconnects: int
    workers: collections.Counter[str]
    pg: dict[str, float] = field(default_factory=dict)
    profile: dict[str, Any] | None = None

    @property
    def latencies_ms(self) -> list[float]:
        return sorted((s.end - s.start) * 1000 for s in self.samples if s.ok)

    @property
    def n_ok(self) -> int:
        return sum(1 for s in self.samples if s.ok)

    @property
    def throughput(self) -> float:
        return self.n_ok / self.duration


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (q in [0, 100])."""
    if not sorted_values:
        return float("nan")
    k = max(0, math.ceil(q / 100 * len(sorted_values)) - 1)
    return sorted_values[k]


def _user_loop(
    user: SimUser,
    once: Callable[[SimUser, int, list[str], dict[str, int]], tuple[bool, int, str]],
    port: int,
    items: list[str],
    page_of: dict[str, int],
    think: float,
    deadline: float,
    out: list[Sample],
    errs: collections.Counter[str],
) -> None:
    """One user's requests until ``deadline``: a sample each, failures counted by message."""
    if think:  # spread the first requests over one think time
        time.sleep(user.rng.uniform(0, think))
    while time.perf_counter() < deadline:
        t0 = time.perf_counter()
        try:
            ok, status, info = once(user, port, items, page_of)
        except (OSError, http.client.HTTPException, HttpError) as exc:
            ok, status, info = False, 0, repr(exc)[:200]
        t1 = time.perf_counter()
        worker_pid = info.split(" ", 1)[0]
        out.append(Sample(t0, t1, ok, worker_pid))
        if not ok:
            errs[f"{status} {info[len(worker_pid) + 1 :][:120] if status else info}"] += 1
        if think:
            time.sleep(think * user.rng.uniform(0.5, 1.5))


def _cpu_delta(cpu0: CpuSnapshot, cpu1: CpuSnapshot) -> dict[str, float]:
    """CPU seconds spent between two snapshots: this client, gunicorn, the database server,
    the whole machine (busy and total) and the rest of the machine (``other``)."""
    cpu = {
        "client": cpu1.client - cpu0.client,
        "server": cpu1.server - cpu0.server,
        "database": cpu1.database - cpu0.database,
        "machine_busy": cpu1.busy - cpu0.busy,
        "machine_total": cpu1.total - cpu0.total,
    }
    cpu["other"] = cpu["machine_busy"] - cpu["client"] - cpu["server"] - cpu["database"]
    return cpu


def run_phase(
    name: str,
    users: list[SimUser],
    port: int,
    server: Gunicorn,
    args: argparse.Namespace,
    items: list[str],
    page_of: dict[str, int],
    pg: PgStats,
) -> PhaseResult:
    once = autosave_once if name == "autosave" else bare_once
    think = args.think_ms / 1000
    per_user: list[list[Sample]] = [[] for _ in users]
    errors: list[collections.Counter[str]] = [collections.Counter() for _ in users]
    barrier = threading.Barrier(len(users) + 1)
    timing: dict[str, float] = {}
    reconnects_before = sum(u.reconnects for u in users)

    def worker(i: int) -> None:
        barrier.wait()
        _user_loop(
            users[i], once, port, items, page_of, think, timing["deadline"], per_user[i], errors[i]
        )

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(len(users))]
    for t in threads:
        t.start()
    start = time.perf_counter()
    timing["measure_from"] = start + args.warmup
    timing["deadline"] = timing["measure_from"] + args.duration
    barrier.wait()
    print(f"# phase {name}: {args.warmup:g} s warm-up + {args.duration:g} s measured", flush=True)
    profiler = None
    time.sleep(max(0.0, timing["measure_from"] - time.perf_counter()))
    pg0 = pg.take()
    cpu0 = CpuSnapshot.take(server, pg.dbname)
    if args.profile and name == "autosave":
        profiler = start_profiler(server, args)
    time.sleep(max(0.0, timing["deadline"] - time.perf_counter()))
    cpu1 = CpuSnapshot.take(server, pg.dbname)
    pg1 = pg.take()
    for t in threads:
        t.join(timeout=60)
    if any(t.is_alive() for t in threads):
        print("# warning: some users were still waiting for a response after 60 s", flush=True)
    samples = [
        s
        for lst in per_user
        for s in lst
        if timing["measure_from"] <= s.start and s.end <= timing["deadline"]
    ]
    err_total: collections.Counter[str] = collections.Counter()
    for e in errors:
        err_total.update(e)
    result = PhaseResult(
        name,
        args.duration,
        samples,
        err_total,
        _cpu_delta(cpu0, cpu1),
        sum(u.reconnects for u in users) - reconnects_before,
        collections.Counter(s.worker for s in samples),
        {k: pg1[k] - pg0[k] for k in pg1},
    )
    if profiler is not None:
        result.profile = stop_profiler(profiler)
    return result


# --- profiling with py-spy -----------------------------------------------------------------


def start_profiler(
    server: Gunicorn, args: argparse.Namespace
) -> tuple[subprocess.Popen[bytes], Path]:
    exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(exe).exists():
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
    out = Path(args.profile_out or tempfile.mktemp(prefix="bench_web_", suffix=".pyspy.txt"))
    cmd = [
        exe,
        "record",
        "--pid",
        str(server.proc.pid),
        "--subprocesses",
        "--rate",
        "250",
        "--format",
        "raw",
        "--duration",
        str(max(1, int(args.duration) - 1)),
        "--output",
        str(out),
        "--nonblocking",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return proc, out


def stop_profiler(profiler: tuple[subprocess.Popen[bytes], Path]) -> dict[str, Any]:
    proc, out = profiler
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    if not out.exists():
        return {"error": err.decode(errors="replace")[-500:]}
    return summarize_raw_profile(out)


FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
PROJECT_PREFIXES = ("service/", "instruments/", "scoring/", "reports/", "bench/", "bench_web.py")
# inclusive shares of a few things every request does (a sample counts once per category)
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("database: driver execute (SQL run, lock waits)", ("do_execute", "do_execute_no_params")),
    ("database: commit", ("do_commit",)),
    ("database: SQLAlchemy session/ORM/core (Python)", ("sqlalchemy/",)),
    ("login: loading the user (user_loader)", ("_load_user", "load_principal")),
    ("CSRF check (flask_wtf)", ("flask_wtf/csrf.py",)),
    ("session cookie (flask/itsdangerous)", ("flask/sessions.py", "itsdangerous/")),
    ("templates (jinja2)", ("jinja2/",)),
    ("instruments/scoring code", ("instruments/", "scoring/")),
    ("babel (locale, gettext)", ("flask_babel/", "babel/")),
)
OUTSIDE_FLASK = "outside the Flask app (gunicorn parsing and I/O, polling, thread pool)"


def summarize_raw_profile(path: Path) -> dict[str, Any]:
    """Inclusive samples of project functions and categories, self samples of leaves."""
    total = 0
    inclusive: collections.Counter[str] = collections.Counter()
    leaf: collections.Counter[str] = collections.Counter()
    categories: collections.Counter[str] = collections.Counter()
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_s = line.rpartition(" ")
        if not count_s.isdigit():
            continue
        count = int(count_s)
        total += count
        parsed = [
            m for f in stack.split(";") if not f.startswith("process ") and (m := FRAME.match(f))
        ]
        if not parsed:
            continue
        seen: set[str] = set()
        in_flask = False
        for m in parsed:
            if m["file"].startswith(PROJECT_PREFIXES):
                key = f"{m['func']} ({m['file']})"
                if key not in seen:
                    inclusive[key] += count
                    seen.add(key)
            in_flask = in_flask or m["func"] == "Flask.__call__"
        hit: set[str] = set()
        for name, patterns in CATEGORIES:
            if any(any(p in f"{m['func']} {m['file']}" for p in patterns) for m in parsed):
                hit.add(name)
        if not in_flask:
            hit.add(OUTSIDE_FLASK)
        for name in hit:
            categories[name] += count
        last = parsed[-1]
        leaf[f"{last['func']} ({last['file']})"] += count
    return {
        "path": str(path),
        "total": total,
        "inclusive": inclusive,
        "leaf": leaf,
        "categories": categories,
    }


# --- report --------------------------------------------------------------------------------


def print_phase(r: PhaseResult) -> None:
    lat = r.latencies_ms
    n = len(r.samples)
    print(f"{r.name}_requests={r.n_ok}")
    print(f"{r.name}_errors={n - r.n_ok}")
    print(f"{r.name}_throughput_rps={r.throughput:.1f}")
    for q in (50, 95, 99):
        print(f"{r.name}_p{q}_ms={percentile(lat, q):.2f}")
    print(f"{r.name}_mean_ms={(sum(lat) / len(lat) if lat else float('nan')):.2f}")
    print(f"{r.name}_max_ms={(lat[-1] if lat else float('nan')):.2f}")
    if r.n_ok:
        per = 1000 / r.n_ok
        print(f"{r.name}_cpu_ms_per_request_gunicorn={r.cpu['server'] * per:.3f}")
        print(f"{r.name}_cpu_ms_per_request_client={r.cpu['client'] * per:.3f}")
        print(f"{r.name}_cpu_ms_per_request_postgres={r.cpu['database'] * per:.3f}")
        print(f"{r.name}_cpu_ms_per_request_rest_of_machine={r.cpu['other'] * per:.3f}")
        # what the machine could serve if this work had all its cores (CPU-bound estimate,
        # robust to other load on a shared machine; lock waits are not counted)
        own = r.cpu["server"] + r.cpu["client"] + r.cpu["database"]
        if own > 0:
            print(f"{r.name}_cpu_bound_capacity_rps={(os.cpu_count() or 1) * r.n_ok / own:.0f}")
    if r.cpu["machine_total"] > 0:
        busy_pct = 100 * r.cpu["machine_busy"] / r.cpu["machine_total"]
        print(f"{r.name}_machine_cpu_busy_pct={busy_pct:.1f}")
    spread = ",".join(str(c) for _, c in r.workers.most_common())
    print(f"{r.name}_requests_per_worker={spread}")
    print(f"{r.name}_reconnects={r.reconnects}")
    if r.pg:
        print(f"{r.name}_postgres_sessions_opened={r.pg['sessions']:.0f}")
        print(f"{r.name}_postgres_commits={r.pg['commits']:.0f}")
        print(f"{r.name}_postgres_rollbacks={r.pg['rollbacks']:.0f}")
    for msg, count in r.errors.most_common(5):
        print(f"# {r.name} error x{count} (whole phase, warm-up included): {msg}")


def print_profile(profile: dict[str, Any], top: int = 20) -> None:
    if "error" in profile:
        print(f"# profile failed: {profile['error']}")
        return
    total = profile["total"] or 1
    print(
        f"# py-spy samples of the gunicorn workers during the autosave phase: {total}"
        f" (raw stacks in {profile['path']})"
    )
    print("# project functions, inclusive share of busy samples:")
    for key, count in profile["inclusive"].most_common(top):
        print(f"#   {100 * count / total:5.1f}%  {key}")
    print("# categories, inclusive share (overlapping):")
    for name in [*(c for c, _ in CATEGORIES), OUTSIDE_FLASK]:
        print(f"#   {100 * profile['categories'][name] / total:5.1f}%  {name}")
    print("# leaf functions (where the time is spent), self share:")
    for key, count in profile["leaf"].most_common(top):
        print(f"#   {100 * count / total:5.1f}%  {key}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--users", "-n", type=int, default=50, help="concurrent simulated beneficiaries (50)"
    )
    p.add_argument("--duration", type=float, default=20.0, help="measured seconds per phase (20)")
    p.add_argument(
        "--warmup", type=float, default=3.0, help="discarded seconds before each phase (3)"
    )
    p.add_argument(
        "--think-ms", type=float, default=0.0, help="pause between answers, ms (0: maximal load)"
    )
    # The defaults are the production command line of docs/deployment.md: keep them equal.
    p.add_argument(
        "--workers", "-w", type=int, default=4, help="gunicorn workers (4, as docs/deployment.md)"
    )
    p.add_argument(
        "--threads", type=int, default=4, help="threads per worker (4, as docs/deployment.md)"
    )
    p.add_argument("--keep-alive", type=int, default=5, help="gunicorn keep-alive seconds (5)")
    p.add_argument(
        "--database-url", help="PostgreSQL URL on this machine (its public schema is emptied)"
    )
    p.add_argument(
        "--scratch-database",
        action="store_true",
        help="with --database-url: create and drop a new database on that server instead",
    )
    p.add_argument(
        "--assignments", type=int, default=2, help="spi-135 assignments per beneficiary (2)"
    )
    p.add_argument(
        "--consent",
        choices=("db", "form"),
        default="db",
        help="consent rows written at setup (db) or through the consent form (form)",
    )
    p.add_argument("--phases", default="bare,autosave", help="phases in order (bare,autosave)")
    p.add_argument("--seed", type=int, default=1, help="seed of the answers")
    p.add_argument(
        "--profile", action="store_true", help="py-spy the workers during the autosave phase"
    )
    p.add_argument("--profile-out", help="file for py-spy's raw stacks")
    p.add_argument(
        "--stub-autosave",
        action="store_true",
        help="serve the bench's own minimal autosave when the project has none",
    )
    p.add_argument(
        "--keep", action="store_true", help="keep the temporary folder (SQLite file, gunicorn log)"
    )
    args = p.parse_args(argv)
    if (
        args.users < 1
        or args.duration <= 0
        or args.warmup < 0
        or args.workers < 1
        or args.threads < 1
    ):
        p.error("users, duration, workers and threads must be positive")
    if args.scratch_database and not args.database_url:
        p.error("--scratch-database needs --database-url")
    if args.duration > 600:
        p.error("--duration is at most 600 s")
    args.phase_list = [x.strip() for x in args.phases.split(",") if x.strip()]
    if not set(args.phase_list) <= {"bare", "autosave"} or not args.phase_list:
        p.error("--phases: a comma-separated list of bare and autosave")
    return args


def git_describe() -> str:
    """The project's commit (``-dirty`` when the work tree has changes), or ``unknown``."""
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty", "--abbrev=12"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out.stdout.strip() or "unknown"


def _raise_interrupt(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def temp_folder(keep: bool) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="boussole-bench-web-"))
    try:
        yield path
    finally:
        if keep:
            print(f"# kept {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)


def set_up_process(argv: list[str] | None) -> str:
    """SIGTERM interrupts, the project root is the working folder and on the path, the
    caller's ``BOUSSOLE_*`` variables are removed; prints and returns the command line."""
    signal.signal(signal.SIGTERM, _raise_interrupt)
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    for key in [k for k in os.environ if k.startswith("BOUSSOLE_")]:
        del os.environ[key]  # the seeding app must not see the caller's configuration
    command = shlex.join([sys.executable, *sys.argv]) if argv is None else shlex.join(argv)
    print(f"# {command}", flush=True)
    return command


def check_server(server: Gunicorn, args: argparse.Namespace) -> bool:
    """Wait for the workers; False (with the reason on stderr) unless the server runs the
    production configuration and has the autosave route the phases need."""
    try:
        info = server.wait_ready(args.workers)
    except RuntimeError as exc:
        print(f"error: {exc}\n{server.log_tail()}", file=sys.stderr)
        return False
    print(f"# gunicorn ready on {HOST}:{server.port}: {json.dumps(info)}", flush=True)
    if info.get("env_name") != "production" or not info.get("session_cookie_secure"):
        print("error: the server is not in the production configuration", file=sys.stderr)
        return False
    if "autosave" in args.phase_list and not info.get("autosave_route"):
        print(
            "error: the app has no POST .../reponses route yet (use --stub-autosave to"
            " check the harness with the bench's own)",
            file=sys.stderr,
        )
        return False
    return True


def sign_in_all(
    users: list[SimUser],
    server: Gunicorn,
    args: argparse.Namespace,
    items: list[str],
    page_of: dict[str, int],
) -> bool:
    """Sign every user in and, before an autosave phase, check the autosave contract with a
    first answer; False (with the reason and the server log on stderr) at the first failure."""
    t = time.perf_counter()
    for user in users:
        try:
            sign_in(user, server.port, args)
            if "autosave" in args.phase_list:
                ok, status, detail = autosave_once(user, server.port, items, page_of)
                if not ok:
                    raise HttpError(f"first autosave: {status} {detail}")
        except (HttpError, OSError, http.client.HTTPException) as exc:
            print(f"error: user {user.index}: {exc}\n{server.log_tail()}", file=sys.stderr)
            return False
    print(
        f"# {len(users)} users signed in, consented ({args.consent}), first answer saved"
        f" in {time.perf_counter() - t:.1f} s",
        flush=True,
    )
    return True


def print_run_info(
    command: str,
    load_start: tuple[float, float, float],
    args: argparse.Namespace,
    database: DatabaseHandle,
    server: Gunicorn,
    secure: bool,
) -> None:
    """The summary's header: machine, load, versions, database, server, client, settings."""
    load1, load5, load15 = os.getloadavg()
    print()
    print("# --- summary ---")
    print(f"command={command}")
    print(f"cpu_count={os.cpu_count()}")
    print("loadavg_before={:.2f},{:.2f},{:.2f}".format(*load_start))
    print(f"loadavg_after={load1:.2f},{load5:.2f},{load15:.2f}")
    print(f"python={sys.version.split()[0]}")
    print(f"project_commit={git_describe()}")
    print(f"database={database.description.split(' (')[0]}")
    print(
        f"server=gunicorn -k gthread --workers {args.workers} --threads {args.threads}"
        f" --keep-alive {args.keep_alive} --bind {HOST}:{server.port}"
    )
    print(f"server_command={shlex.join(server.cmd)}")
    print(
        "server_env=BOUSSOLE_ENV_NAME=production BOUSSOLE_SECRET_KEY=<64 hex chars>"
        " BOUSSOLE_DATABASE_URL=<fresh database>"
    )
    print(f"session_cookie_secure={str(secure).lower()}")
    print(f"users={args.users}")
    print(f"think_ms={args.think_ms:g}")
    print(f"warmup_s={args.warmup:g}")
    print(f"duration_s={args.duration:g}")
    print("client=http.client, one keep-alive connection and thread per user")
    if args.stub_autosave:
        print("autosave_route=STUB (the bench's own, not the project's)")


def print_targets(results: dict[str, PhaseResult], args: argparse.Namespace) -> None:
    """Whether the targets are met: autosave p95, throughput ratio autosave / bare."""
    if "autosave" in results:
        a = results["autosave"]
        p95 = percentile(a.latencies_ms, 95)
        print(f"target_autosave_p95_ms={TARGET_P95_MS:g}")
        print(f"autosave_p95_met={'yes' if p95 < TARGET_P95_MS else 'no'}")
    if "autosave" in results and "bare" in results and results["bare"].throughput > 0:
        ratio = results["autosave"].throughput / results["bare"].throughput
        print(f"throughput_ratio_autosave_over_bare={ratio:.3f}")
        print(f"target_throughput_ratio={TARGET_RATIO:g}")
        if args.think_ms > 0:  # the users' pace sets both throughputs
            print(
                "throughput_ratio_met=n/a (with --think-ms > 0 the users' pace, not"
                " the server, sets the throughput: use --think-ms 0)"
            )
        else:
            print(f"throughput_ratio_met={'yes' if ratio >= TARGET_RATIO else 'no'}")
        a, b = results["autosave"], results["bare"]
        if a.n_ok and b.n_ok and a.cpu["server"] > 0:
            # capacity ratio if gunicorn had the machine to itself (no client, no db)
            cpu_ratio = (b.cpu["server"] / b.n_ok) / (a.cpu["server"] / a.n_ok)
            print(f"gunicorn_cpu_per_request_ratio_bare_over_autosave={cpu_ratio:.3f}")


def print_summary(
    command: str,
    load_start: tuple[float, float, float],
    args: argparse.Namespace,
    database: DatabaseHandle,
    server: Gunicorn,
    users: list[SimUser],
    results: dict[str, PhaseResult],
) -> None:
    """The ``key=value`` summary, the server log when requests failed, and the profile."""
    secure = all(u.secure_cookie for u in users)
    print_run_info(command, load_start, args, database, server, secure)
    for r in results.values():
        print_phase(r)
    print_targets(results, args)
    if any(len(r.samples) > r.n_ok for r in results.values()) and server.log_tail():
        print("# gunicorn log (tail):")
        for line in server.log_tail(40).splitlines():
            print(f"#   {line}")
    profile = results["autosave"].profile if "autosave" in results else None
    if profile is not None:
        print()
        print_profile(profile)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = set_up_process(argv)
    load_start = os.getloadavg()
    with temp_folder(args.keep) as tmp:
        database = prepare_database(args, tmp)
        server: Gunicorn | None = None
        try:
            t = time.perf_counter()
            users, items, page_of = seed(database.url, tmp, args)
            print(
                f"# seeded {len(users)} beneficiaries x {args.assignments} {INSTRUMENT}"
                f" ({len(items)} items) in {time.perf_counter() - t:.1f} s",
                flush=True,
            )
            pg = PgStats(database.url)
            database.cleanup.insert(0, pg.close)
            server = Gunicorn(args, database.url, tmp)
            if not check_server(server, args):
                return 1
            if not sign_in_all(users, server, args, items, page_of):
                return 1
            results = {
                name: run_phase(name, users, server.port, server, args, items, page_of, pg)
                for name in args.phase_list
            }
            print_summary(command, load_start, args, database, server, users, results)
            return 0
        except KeyboardInterrupt:
            print("\n# interrupted: stopping gunicorn", file=sys.stderr)
            return 130
        finally:
            if server is not None:
                server.stop()
                if server.proc.returncode not in (0, -signal.SIGTERM):
                    print(f"# gunicorn ended with code {server.proc.returncode}", file=sys.stderr)
            database.close()


if __name__ == "__main__":
    sys.exit(main())
