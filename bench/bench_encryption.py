"""Cost of the encryption at rest on the autosave (issue 12, section 5).

    .venv/bin/python bench/bench_encryption.py                 # SQLite file, 2000 saves
    .venv/bin/python bench/bench_encryption.py --saves 500 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/boussole_bench

What it does: a fresh migrated database (a temporary SQLite file; with ``--database-url``
a PostgreSQL database whose ``public`` schema is dropped and recreated: everything in it is
lost), one assignment of ``spi-135``, then rounds that alternate two ciphers on the same
engine, so that the baseline runs in the same process, on the same data, at the same time:

- ``fernet``: the real :class:`service.crypto.Cipher` (what production runs);
- ``clear``: a cipher whose encrypt and decrypt return the text unchanged (the same
  column types and statements, minus the cryptography: the cost before this change, up
  to the JSON text being built by our type rather than by SQLAlchemy's JSON type).

Each round: ``--saves`` calls of ``store.record_answer`` (what the autosave request runs)
each followed by a commit, on the 127 items in turn (likert values and, one in ten, a
200-character free text); the 127 answers rewritten, then ``store.stored_answers`` of the
127 items (what a page and the scoring read), once (first read: every token decrypted) and
20 times more (again: the decrypted values come from the cipher's cache). It prints the
median per call of each cipher over the rounds and the difference. Also the raw cost of
one encrypt + decrypt of a 200-character text.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text


class ClearCipher:
    """Same interface as service.crypto.Cipher, no cryptography (the baseline)."""

    keys = ("clear",)

    def encrypt(self, value: str) -> str:
        return value

    def decrypt(self, token: str) -> str:
        return token


def _setup(url: str | None, key: str) -> tuple[Any, int, list[str]]:
    """A fresh migrated database with one spi-135 assignment: (app, its id, the items)."""
    from service.app import create_app
    from service.db import make_engine
    from service.extensions import db
    from service.migrate import upgrade
    from service.models import Assignment, Beneficiary, Bilan, Centre

    folder = Path(tempfile.mkdtemp(prefix="boussole-bench-crypt-"))
    if url:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{folder / 'bench.sqlite'}"
    upgrade(url, keys=[key])
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY": "x" * 40,
            "DATA_KEYS": key,
            "MAIL_FOLDER": str(folder / "mail"),
        }
    )
    instrument = app.extensions["boussole.instruments"]["spi-135"]
    with app.app_context(), db.standalone() as s:
        centre = Centre(name="Bench")
        s.add(centre)
        s.flush()
        person = Beneficiary(centre_id=centre.id, first_name="A", last_name="B")
        s.add(person)
        s.flush()
        bilan = Bilan(centre_id=centre.id, beneficiary_id=person.id)
        s.add(bilan)
        s.flush()
        assignment = Assignment(
            bilan_id=bilan.id, instrument_id="spi-135", instrument_version=instrument.version
        )
        s.add(assignment)
        s.flush()
        return app, assignment.id, [item.id for item in instrument.items]


def _report(results: dict[str, list[tuple[float, float, float]]]) -> None:
    med = {
        name: [statistics.median(row[i] for row in rows) * 1e6 for i in range(3)]
        for name, rows in results.items()
    }
    for name, (save, first, again) in med.items():
        print(
            f"  {name:7} record_answer + commit: {save:8.1f} µs;  read of the 127 answers:"
            f" first {first:8.1f} µs, again {again:8.1f} µs"
        )
    fernet_m, clear_m = med["fernet"], med["clear"]
    print(
        f"  cost of encryption: {fernet_m[0] - clear_m[0]:+.1f} µs per save"
        f" ({(fernet_m[0] / clear_m[0] - 1) * 100:+.1f} %); read of 127 answers:"
        f" first {fernet_m[1] - clear_m[1]:+.1f} µs, again {fernet_m[2] - clear_m[2]:+.1f} µs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--saves", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    from service.crypto import Cipher, attach, generate_key
    from service.extensions import db
    from service.features.journey import store

    key = generate_key()
    app, aid, items = _setup(args.database_url, key)
    assert db.engine is not None
    engine = db.engine
    free_text = "Une réponse libre d'environ deux cents caractères, " * 4

    def one_round(cipher: object) -> tuple[float, float, float]:
        attach(engine, cipher)  # type: ignore[arg-type]
        with app.app_context():
            with db.standalone() as s:  # rewrite every row with this cipher first
                for n, item in enumerate(items):
                    store.upsert_answer(s, aid, item, (n % 6) + 1)
            started = time.perf_counter()
            for n in range(args.saves):
                item = items[n % len(items)]
                value = free_text if n % 10 == 0 else (n % 6) + 1
                with db.standalone() as s:
                    store.record_answer(s, aid, item, value, page=1, seconds=1.0)
            save = (time.perf_counter() - started) / args.saves
            with db.standalone() as s:  # rewritten: new tokens, none read yet
                for n, item in enumerate(items):
                    store.upsert_answer(s, aid, item, (n % 6) + 2)
            started = time.perf_counter()
            with db.standalone() as s:
                assert len(store.stored_answers(s, aid)) == len(items)
            first = time.perf_counter() - started
            started = time.perf_counter()
            reads = 20
            for _ in range(reads):
                with db.standalone() as s:
                    assert len(store.stored_answers(s, aid)) == len(items)
            read = (time.perf_counter() - started) / reads
        return save, first, read

    fernet = Cipher([key])
    results: dict[str, list[tuple[float, float, float]]] = {"clear": [], "fernet": []}
    one_round(fernet)  # warm-up (compiled statements, caches)
    for _ in range(args.rounds):
        results["clear"].append(one_round(ClearCipher()))
        results["fernet"].append(one_round(fernet))
    attach(engine, fernet)
    engine.dispose()

    started = time.perf_counter()
    loops = 20000
    for _ in range(loops):
        fernet.decrypt(fernet.encrypt(free_text))
    raw = (time.perf_counter() - started) / loops

    print(f"database: {engine.dialect.name}, {args.saves} saves x {args.rounds} rounds per cipher")
    _report(results)
    print(f"  one encrypt + decrypt of {len(free_text)} characters: {raw * 1e6:.1f} µs")


if __name__ == "__main__":
    main()
