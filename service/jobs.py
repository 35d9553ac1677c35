"""Background jobs: a small runner interface and its in-process implementation.

A feature registers a *periodic job* (:func:`register`): a function taking the app and
returning how much it did, e.g. the webhooks' "send the deliveries that are due". Code
that has just committed work for a job calls :func:`wake` (the webhooks do it after each
commit that added deliveries). The :class:`Runner` decides where the job runs:

- :class:`InProcessRunner` (the embedded default): one daemon thread per process, started
  by the app's first request (a command that only creates the app starts none), that runs
  every job when woken and every ``JOBS_INTERVAL_SECONDS``. With
  several gunicorn workers each has its thread; the jobs themselves must be safe to run
  concurrently (the webhooks claim each delivery with a conditional UPDATE).
- ``boussole webhooks deliver`` runs the jobs once (:func:`run_due`): for cron, or tests.

The state of every job lives in the database (the delivery rows), never in the runner, so
a queue runner (RQ on Redis, issue 15) can replace this one by implementing
:class:`Runner` (``wake`` enqueues the job, a worker process calls :func:`run_due`),
without touching the features. Under ``TESTING`` (and with ``JOBS_IN_PROCESS=False``) no
thread is started: tests call :func:`run_due` themselves, with their own clock.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Protocol

from flask import Flask, current_app, has_app_context, has_request_context

log = logging.getLogger(__name__)

Job = Callable[[Flask], int]

_JOBS: dict[str, Job] = {}


def register(name: str, job: Job) -> None:
    """Declare a job (at import time of the feature's module; idempotent)."""
    _JOBS[name] = job


def run_due(app: Flask, names: tuple[str, ...] | None = None) -> dict[str, int]:
    """Run each registered job (or those named) once; returns what each did. A job that
    raises is logged and does not stop the others."""
    done: dict[str, int] = {}
    for name, job in list(_JOBS.items()):
        if names is not None and name not in names:
            continue
        try:
            with app.app_context():
                done[name] = job(app)
        except Exception:
            log.exception("job %s failed", name)
            done[name] = 0
    return done


class Runner(Protocol):
    """Where jobs run: ``wake`` says there is work now; ``start``/``stop`` the machinery."""

    def wake(self, name: str) -> None: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


class NoRunner:
    """Nothing runs by itself (tests, the CLI): :func:`run_due` is called explicitly."""

    def wake(self, name: str) -> None:
        return None

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None


class InProcessRunner:
    """A daemon thread that runs the jobs when woken and every ``interval`` seconds."""

    def __init__(self, app: Flask, interval: float) -> None:
        self.app = app
        self.interval = interval
        self._event = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def wake(self, name: str) -> None:
        if has_request_context():
            self.start()
        self._event.set()  # no thread yet (a command, a script): the server's tick sends it

    def start(self) -> None:
        """Start the thread (at the first request of each process, so a command that only
        creates the app starts none; again in a forked gunicorn worker)."""
        if self._thread is None or self._pid != os.getpid():
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._loop, name="boussole-jobs", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._event.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _loop(self) -> None:
        while not self._stopped.is_set():
            self._event.wait(self.interval)
            self._event.clear()
            if self._stopped.is_set():
                break
            run_due(self.app)


def init_app(app: Flask) -> None:
    """The app's runner: in-process unless testing or ``JOBS_IN_PROCESS`` is off."""
    runner: Runner
    if app.config.get("JOBS_IN_PROCESS") and not app.testing:
        runner = InProcessRunner(app, float(app.config.get("JOBS_INTERVAL_SECONDS", 30)))
        app.before_request(runner.start)  # cheap once started: checks the thread and the pid
    else:
        runner = NoRunner()
    app.extensions["boussole.jobs"] = runner


def wake(name: str) -> None:
    """Tell the current app's runner that job ``name`` has work (no-op outside an app)."""
    if not has_app_context():
        return
    runner: Runner | None = current_app.extensions.get("boussole.jobs")
    if runner is not None:
        runner.wake(name)
