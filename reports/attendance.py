"""Attestation of attendance (« attestation d'assiduité et de réalisation ») for the funder.

An administrative proof: who, which centre, the dates of the bilan, the interviews held
(date, duration, mode), the hours of interviews and of personal work, the number of
questionnaires completed and whether the bilan is completed. It carries **no content**:
no result, score, note, objective, synthesis text or interview topic, and no questionnaire
name (the funder may receive attendance proofs, never the content of the bilan). The
dataclasses below have no field that could hold such content; a test renders a bilan full
of distinctive content and checks that none of it reaches the HTML or the PDF.

:func:`render_html` uses the restitution report's template environment and French
typography; :func:`reports.restitution.render_pdf` lays the HTML out on A4.
"""

from __future__ import annotations

import datetime as dt
import gettext
from dataclasses import dataclass

from reports.dates import day_text
from reports.restitution import _environment, _French

__all__ = ["Attendance", "InterviewLine", "duration_text", "render_html"]

MODES = ("presentiel", "distanciel", "hybride")


@dataclass(frozen=True)
class InterviewLine:
    day: dt.date
    minutes: int
    mode: str  # presentiel | distanciel | hybride


@dataclass(frozen=True)
class Attendance:
    centre: str
    beneficiary: str
    start: dt.date | None
    end: dt.date | None  # None: the bilan is not completed yet
    issued_on: dt.date
    interviews: tuple[InterviewLine, ...] = ()
    personal_minutes: int = 0  # personal work logged by the counsellor
    questionnaire_minutes: int = 0  # time measured on the questionnaires' pages
    questionnaires_done: int = 0
    funding: str | None = None
    commanditaire: str | None = None
    counsellors: tuple[str, ...] = ()
    lang: str = "fr"

    @property
    def completed(self) -> bool:
        return self.end is not None

    @property
    def interview_minutes(self) -> int:
        return sum(i.minutes for i in self.interviews)

    @property
    def work_minutes(self) -> int:
        return self.personal_minutes + self.questionnaire_minutes

    @property
    def total_minutes(self) -> int:
        return self.interview_minutes + self.work_minutes


def duration_text(minutes: int) -> str:
    r"""A duration in hours and minutes, the French way (also read as such in English),
    with no-break spaces.

    Examples
    --------
    >>> duration_text(90), duration_text(120), duration_text(45), duration_text(0)
    ('1\xa0h\xa030', '2\xa0h', '45\xa0min', '0\xa0h')
    >>> duration_text(14 * 60 + 5).replace("\xa0", " ")
    '14 h 05'
    """
    hours, rest = divmod(max(0, int(minutes)), 60)
    if hours and rest:
        return f"{hours}\u00a0h\u00a0{rest:02d}"
    if rest:
        return f"{rest}\u00a0min"
    return f"{hours}\u00a0h"


def _date(day: dt.date | None, lang: str) -> str:
    return day_text(day, lang) if day is not None else ""


def render_html(
    attendance: Attendance,
    *,
    translations: gettext.NullTranslations | None = None,
    nonce: str | None = None,
) -> str:
    """The attestation as a complete HTML document (A4 print styles included); ``nonce``
    marks the inline style block for the page's Content-Security-Policy (a web page).

    Examples
    --------
    >>> a = Attendance(centre="Centre Horizon", beneficiary="Léa Roux",
    ...                start=dt.date(2026, 3, 2), end=dt.date(2026, 6, 1),
    ...                issued_on=dt.date(2026, 6, 2),
    ...                interviews=(InterviewLine(dt.date(2026, 3, 2), 120, "presentiel"),))
    >>> html = render_html(a)
    >>> "Léa Roux" in html, "2\u00a0h" in html, "2 mars 2026" in html
    (True, True, True)
    """
    lang = attendance.lang
    tr = _French(translations or gettext.NullTranslations(), lang)
    env = _environment().overlay()
    env.install_gettext_translations(tr, newstyle=True)  # type: ignore[attr-defined]
    template = env.get_template("attendance.html")
    interviews = [
        (_date(i.day, lang), duration_text(i.minutes), i.mode)
        for i in sorted(attendance.interviews, key=lambda i: i.day)
    ]
    return template.render(
        a=attendance,
        interviews=interviews,
        start=_date(attendance.start, lang),
        end=_date(attendance.end, lang),
        issued_on=_date(attendance.issued_on, lang),
        duration=duration_text,
        nonce=nonce,
    )
