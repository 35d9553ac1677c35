"""The longer fuzz run: every URL rule, every role, every payload class of
``tests/service/fuzz.py`` on every id variant, PDF documents included, on a temporary
migrated SQLite database (PostgreSQL too when ``BOUSSOLE_TEST_DATABASE_URL`` is set, as for
the test suite). Prints the requests sent and every 5xx found; exit status 1 if any.

    python bench/bench_fuzz.py
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    import pytest

    parser = argparse.ArgumentParser(description=__doc__)
    parser.parse_args()
    os.environ["FUZZ_EVERY_PAYLOAD"] = "1"  # read by tests/service/test_fuzz.py
    test = "tests/service/test_fuzz.py::test_every_rule_and_role_survives_the_payload_classes"
    code = pytest.main([str(ROOT / test), "-q", "-s", "-p", "no:cacheprovider"])
    return int(code)


if __name__ == "__main__":
    raise SystemExit(main())
