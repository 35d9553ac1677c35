"""Typed errors of the scoring engine."""

from __future__ import annotations


class ScoringInputError(ValueError):
    """Answers or a table that cannot be scored.

    The message says what is wrong, where (row, column, item) and how to fix it;
    ``problems`` holds every problem found (capped), each as a plain sentence.
    """

    def __init__(self, problems: list[str], *, total: int | None = None):
        self.problems = problems
        self.total = total if total is not None else len(problems)
        more = (
            f"\n  ... and {self.total - len(problems)} more" if self.total > len(problems) else ""
        )
        body = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{self.total} problem(s) in the answers:\n{body}{more}")


class NormsError(ValueError):
    """A norm table that is missing, malformed or does not fit the instrument."""
