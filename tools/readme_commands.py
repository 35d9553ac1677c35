"""Print the README's Quick start commands: ``run`` (first ```sh block) or ``test`` (second).

Used by .ci/run so that CI runs the README's test command verbatim.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path


def blocks(readme: Path) -> list[str]:
    text = readme.read_text(encoding="utf-8")
    m = re.search(r"^#+ .*(quick start|démarrage rapide).*$", text, re.I | re.M)
    if not m:
        raise SystemExit("README.md has no 'Quick start' / 'Démarrage rapide' heading")
    rest = text[m.end() :]
    nxt = re.search(r"^#{1,2} ", rest, re.M)
    section = rest[: nxt.start()] if nxt else rest
    found = re.findall(r"```(?:sh|bash|shell)\n(.*?)```", section, re.S)
    if len(found) < 2:
        raise SystemExit("the Quick start section needs two ```sh blocks (run, then test)")
    return found[:2]


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "test"
    run, test = blocks(Path(__file__).resolve().parents[1] / "README.md")
    print(run if which == "run" else test, end="")
