"""The domain core (instruments, scoring, reports) never loads Flask or SQLAlchemy."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_core_packages_do_not_import_web_or_database_layers():
    code = (
        "import sys, pkgutil, importlib\n"
        "import instruments, scoring, reports\n"
        "for pkg in (instruments, scoring, reports):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "web = ('flask', 'sqlalchemy', 'flask_wtf', 'flask_login', 'flask_babel',"
        " 'werkzeug', 'service')\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in web)\n"
        "print(','.join(bad))\n"
        "print(len([n for n in sys.modules if n.startswith(('scoring.', 'instruments.'))]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout.splitlines()
    assert out[0] == "", f"core imported: {out[0]}"
    assert int(out[1]) >= 10  # the walk really imported the submodules
