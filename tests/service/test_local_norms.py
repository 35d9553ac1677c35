"""Local norms (issue 11): built from the centre's completed questionnaires, compared with
the shipped norms, chosen per instrument; every score records the norms that produced it.

The planted sample: ``N_IN`` people of the world's centre completed the BFI with answers
drawn at random (seeded), consented, assigned by a counsellor. Each of the following also
completed it and must be left out:

- a person with no consent recorded, one who refused, one who accepted then withdrew;
- a BFI completed at the follow-up (``purpose="followup"``);
- a BFI in progress (answers stored, not completed);
- a person of another centre;
- the earlier of two BFIs of one person (their latest counts, once).

The expected means and SDs are computed here by hand with NumPy from the planted answers
(reverse keying 7 - x on the 1-6 scale, item means, sample SD), never with the scoring code.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from service.cli import main
from service.dates import format_day, paris_today
from tests.service.conftest import World, helpers, sign_in_beneficiary, sign_in_staff
from tests.service.test_counsellor import complete

BFI = "ipip-bfi-25"
SAT = "satisfaction-fin-bilan"
N_IN = 32
SHIPPED_BFI = "2026.11-bfi-adults"


# --- planting questionnaires --------------------------------------------------------------


def random_answers(app: Flask, rng: np.random.Generator) -> dict[str, int]:
    inst = app.extensions["boussole.instruments"][BFI]
    # A person-level tendency, so that the local means differ from the shipped ones.
    centre = int(rng.integers(2, 6))
    return {it.id: int(np.clip(centre + rng.integers(-2, 3), 1, 6)) for it in inst.numeric_items}


def plant(
    app: Flask,
    centre_id: int,
    answers: dict[str, int],
    *,
    consent: tuple[bool, ...] = (True,),
    consent_version: str | None = None,
    status: str = "completed",
    purpose: str | None = None,
    person: int | None = None,
    completed_at: dt.datetime | None = None,
    instrument_id: str = BFI,
) -> tuple[int, int]:
    """One BFI (by default) of a new person (or of ``person``) with ``answers``; consent
    decisions recorded in order. Returns (beneficiary id, assignment id)."""
    from service.extensions import db
    from service.features.journey.consent import CONSENT_VERSION
    from service.models import Answer, Assignment, Beneficiary, Bilan, Consent

    inst = app.extensions["boussole.instruments"][instrument_id]
    base = completed_at or dt.datetime(2026, 11, 1, 10, tzinfo=dt.UTC)
    with app.app_context(), db.standalone() as s:
        if person is None:
            b = Beneficiary(centre_id=centre_id, first_name="Témoin", last_name="Norme")
            s.add(b)
            s.flush()
            person = b.id
        bilan = Bilan(centre_id=centre_id, beneficiary_id=person)
        s.add(bilan)
        s.flush()
        for k, accepted in enumerate(consent):
            s.add(
                Consent(
                    bilan_id=bilan.id,
                    beneficiary_id=person,
                    text_version=consent_version or CONSENT_VERSION,
                    accepted=accepted,
                    recorded_at=base - dt.timedelta(days=10 - k),
                )
            )
        a = Assignment(
            bilan_id=bilan.id,
            instrument_id=instrument_id,
            instrument_version=inst.version,
            status=status,
            purpose=purpose,
            completed_at=base if status == "completed" else None,
        )
        s.add(a)
        s.flush()
        s.add_all(Answer(assignment_id=a.id, item_id=k, value=v) for k, v in answers.items())
        return person, a.id


def hand_scale_means(app: Flask, answers: list[dict[str, int]]) -> dict[str, np.ndarray]:
    """Each person's scale score, by hand: 7 - x for reverse-keyed items, then the mean."""
    inst = app.extensions["boussole.instruments"][BFI]
    out = {}
    for sc in inst.scales:
        cols = []
        for m in sc.members:
            x = np.array([a[m.item] for a in answers], dtype=float)
            cols.append(7.0 - x if m.key < 0 else x)
        out[sc.id] = np.column_stack(cols).mean(axis=1)
    return out


def shipped_overall(app: Flask) -> dict[str, Any]:
    import json

    inst = app.extensions["boussole.instruments"][BFI]
    path = inst.norms_path()
    assert path is not None
    table = json.loads(path.read_text(encoding="utf-8"))
    return next(g for g in table["groups"] if not g["key"])


@pytest.fixture
def sample(db_app: Flask, world: World) -> dict[str, Any]:
    """The planted sample (see the module docstring); returns the included answers and
    the id of the other centre."""
    rng = np.random.default_rng(11)
    included, ids = [], []
    for _ in range(N_IN):
        answers = random_answers(db_app, rng)
        ids.append(plant(db_app, world.centre, answers)[1])
        included.append(answers)
    extreme = dict.fromkeys(included[0], 6)  # would move every mean if it were counted
    plant(db_app, world.centre, extreme, consent=())
    plant(db_app, world.centre, extreme, consent=(False,))
    plant(db_app, world.centre, extreme, consent=(True, False))
    plant(db_app, world.centre, extreme, purpose="followup")
    plant(db_app, world.centre, extreme, status="in_progress")
    other_id = helpers.other_centre(db_app).centre
    for _ in range(3):
        plant(db_app, other_id, extreme)
    # One person twice: the earlier BFI (extreme) is left out, the later one counts.
    person, _ = plant(
        db_app, world.centre, extreme, completed_at=dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    )
    later = random_answers(db_app, rng)
    ids.append(plant(db_app, world.centre, later, person=person)[1])
    included.append(later)
    return {"included": included, "ids": ids, "other_centre": other_id}


def build(app: Flask, centre_id: int, **options: Any) -> list[Any]:
    from service.extensions import db
    from service.features.norms import service as local_norms
    from service.models import Centre

    inst = app.extensions["boussole.instruments"][BFI]
    with app.app_context(), db.standalone() as s:
        centre = s.get(Centre, centre_id)
        drafts = local_norms.build_local_norms(s, centre, [inst], **options)
        return [
            (d.n, d.table.data if d.table else None, d.record.id if d.record else None)
            for d in drafts
        ]


def local_rows(app: Flask) -> list[Any]:
    from service.extensions import db
    from service.models import LocalNorm

    with app.app_context(), db.standalone() as s:
        return [
            (r.id, r.centre_id, r.instrument_id, r.instrument_version, r.n, r.norm_version, r.table)
            for r in s.scalars(select(LocalNorm).order_by(LocalNorm.id))
        ]


# --- building -----------------------------------------------------------------------------


def test_build_gives_the_mean_and_sd_of_the_included_questionnaires(
    db_app: Flask, world: World, sample: dict[str, Any]
) -> None:
    ((n, table, record_id),) = build(db_app, world.centre)
    included = sample["included"]
    assert n == len(included) == N_IN + 1
    by_hand = hand_scale_means(db_app, included)
    (overall,) = table["groups"]  # one group: the whole sample
    assert overall["key"] == {} and overall["n"] == n and overall["usable"] is True
    for sid, x in by_hand.items():
        stats = overall["scales"][sid]
        assert stats["n"] == n
        assert stats["mean"] == pytest.approx(x.mean(), abs=1e-12)
        assert stats["sd"] == pytest.approx(x.std(ddof=1), abs=1e-12)
        assert stats["percentiles"]["50"] == pytest.approx(np.percentile(x, 50), abs=1e-12)
        assert sum(stats["distribution"]["counts"]) == n
    # stored, with its provenance, under a version naming it
    ((rid, centre, iid, version, stored_n, norm_version, stored),) = local_rows(db_app)
    today = paris_today().isoformat()
    assert (rid, centre, iid, stored_n) == (record_id, world.centre, BFI, n)
    assert version == db_app.extensions["boussole.instruments"][BFI].version
    assert norm_version == f"local:{rid}:{today}:{n}" == stored["norm_version"]
    prov = stored["provenance"]
    assert prov["source"] == "local" and prov["centre"] == "Centre test"
    assert prov["built"] == today and prov["n_per_group"] == {"all": n}
    assert stored["instrument_version"] == version and stored["format"] == "boussole-norms/1"


def test_a_group_below_the_minimum_is_refused_and_nothing_is_stored(
    db_app: Flask, world: World, sample: dict[str, Any]
) -> None:
    from service.features.norms.service import BuildRefused, NormsRefused

    with pytest.raises(BuildRefused) as refused:
        build(db_app, world.centre, min_n=40)
    message = str(refused.value)
    assert "ensemble des bénéficiaires du centre" in message
    assert f"{N_IN + 1} questionnaires utilisables" in message and "minimum de 40" in message
    with pytest.raises(NormsRefused, match="au moins 10"):
        build(db_app, world.centre, min_n=5)
    # the other centre has 3 BFIs: refused at the default minimum (30)
    with pytest.raises(BuildRefused, match=r"3 questionnaires utilisables.*minimum de 30"):
        build(db_app, sample["other_centre"])
    assert local_rows(db_app) == []
    # a dry run computes and stores nothing
    ((n, table, record_id),) = build(db_app, world.centre, dry_run=True)
    assert n == N_IN + 1 and table is not None and record_id is None
    assert local_rows(db_app) == []


def test_only_consented_non_anonymous_completed_questionnaires_count(
    db_app: Flask, world: World, sample: dict[str, Any]
) -> None:
    from service.extensions import db
    from service.features.norms import service as local_norms
    from service.models import Assignment

    instruments = db_app.extensions["boussole.instruments"]
    # an anonymous questionnaire completed (and consented) is never normed
    plant(db_app, world.centre, {"SAT01": 4}, instrument_id=SAT)
    normed = [i.id for i in local_norms.normed_instruments(instruments)]
    assert SAT not in normed and BFI in normed
    with db_app.app_context(), db.standalone() as s:
        ids = local_norms.eligible_assignments(s, world.centre, instruments[BFI])
        assert local_norms.eligible_assignments(s, world.centre, instruments[SAT]) == []
        completed = s.scalar(
            select(func.count())
            .select_from(Assignment)
            .where(Assignment.instrument_id == BFI, Assignment.status == "completed")
        )
    # exactly the planted included ones, out of 33 + 8 completed BFIs
    assert ids == sorted(sample["ids"]) and completed == N_IN + 1 + 8
    ((n, table, _),) = build(db_app, world.centre)
    # the all-6 answers of the people left out would raise the neuroticism mean
    by_hand = hand_scale_means(db_app, sample["included"])
    assert n == len(ids)
    assert table["groups"][0]["scales"]["neuroticism"]["mean"] == pytest.approx(
        by_hand["neuroticism"].mean(), abs=1e-12
    )


def test_a_consent_to_a_text_that_did_not_mention_the_norms_keeps_them_out(
    db_app: Flask, world: World
) -> None:
    from service import access
    from service.extensions import db
    from service.features.journey.consent import CONSENT_VERSION
    from service.features.norms import service as local_norms

    # The text shown today tells the person; the November 2026 text did not.
    assert CONSENT_VERSION in access.LOCAL_NORMS_CONSENT_VERSIONS
    assert "2026-11-v1" not in access.LOCAL_NORMS_CONSENT_VERSIONS
    instruments = db_app.extensions["boussole.instruments"]
    inst = instruments[BFI]
    answers = {it.id: 3 for it in inst.numeric_items}
    _, told = plant(db_app, world.centre, answers)
    _, not_told = plant(db_app, world.centre, answers, consent_version="2026-11-v1")
    with db_app.app_context(), db.standalone() as s:
        ids = local_norms.eligible_assignments(s, world.centre, inst)
    assert told in ids and not_told not in ids


# --- choosing, and the scores it produces -------------------------------------------------


def admin_client(app: Flask, email: str = "admin@test.fr") -> FlaskClient:
    client = app.test_client()
    sign_in_staff(client, email)
    return client


def score_record(app: Flask, aid: int) -> tuple[str | None, dict[str, Any]]:
    from service.extensions import db
    from service.models import ScoreRecord

    with app.app_context(), db.standalone() as s:
        r = s.scalars(select(ScoreRecord).where(ScoreRecord.assignment_id == aid)).one()
        return r.norm_version, dict(r.scores)


def test_the_choice_changes_new_t_scores_and_the_recorded_norm_version(
    db_app: Flask, world: World, sample: dict[str, Any]
) -> None:
    ((_, table, local_id),) = build(db_app, world.centre)
    admin = admin_client(db_app)
    mine = {f"{it.id}": 2 for it in db_app.extensions["boussole.instruments"][BFI].numeric_items}
    x = {sid: v[0] for sid, v in hand_scale_means(db_app, [mine]).items()}

    # before the choice: the shipped norms
    complete(db_app, world.other_assignment, mine)
    before, shipped_scores = score_record(db_app, world.other_assignment)
    ship = shipped_overall(db_app)["scales"]
    assert before == SHIPPED_BFI
    for sid in x:
        expected = 50 + 10 * (x[sid] - ship[sid]["mean"]) / ship[sid]["sd"]
        assert shipped_scores[f"{sid}.t"] == pytest.approx(expected)

    response = admin.post(f"/admin/normes/{BFI}/choix", data={"norms": str(local_id)})
    assert response.status_code == 302
    complete(db_app, world.assignments[BFI], mine)
    after, local_scores = score_record(db_app, world.assignments[BFI])
    assert after is not None and after.startswith(f"local:{local_id}:")
    assert after == local_rows(db_app)[0][5] == table["norm_version"]
    by_hand = hand_scale_means(db_app, sample["included"])
    for sid in x:
        expected = 50 + 10 * (x[sid] - by_hand[sid].mean()) / by_hand[sid].std(ddof=1)
        assert local_scores[f"{sid}.t"] == pytest.approx(expected)
        assert local_scores[f"{sid}.t"] != pytest.approx(shipped_scores[f"{sid}.t"], abs=0.5)
    # the score produced earlier keeps the norms that produced it
    assert score_record(db_app, world.other_assignment) == (before, shipped_scores)

    # back to the shipped norms
    assert admin.post(f"/admin/normes/{BFI}/choix", data={"norms": "shipped"}).status_code == 302
    from service.extensions import db
    from service.features.norms import service as local_norms

    with db_app.app_context(), db.standalone() as s:
        inst = db_app.extensions["boussole.instruments"][BFI]
        assert local_norms.chosen_table(s, world.centre, inst) is None


def test_profiles_and_reports_say_which_norms_were_used(
    db_app: Flask, world: World, sample: dict[str, Any]
) -> None:
    from service.models import Assignment
    from tests.service.test_counsellor import set_values

    ((n, _, local_id),) = build(db_app, world.centre)
    complete(db_app, world.other_assignment)  # before the choice: the shipped norms
    admin_client(db_app).post(f"/admin/normes/{BFI}/choix", data={"norms": str(local_id)})
    complete(db_app, world.assignments[BFI])
    aid = world.assignments[BFI]
    claire = db_app.test_client()
    sign_in_staff(claire, "claire@test.fr")
    day = format_day(paris_today(), "fr")
    line = f"normes locales du centre, version du {day}, n\u00a0=\u00a0{n}"
    profile = claire.get(f"/conseil/questionnaires/{aid}/profil").get_data(as_text=True)
    said = re.compile(rf"Groupe de référence\s?: bénéficiaires du centre \({re.escape(line)}\)\.")
    assert said.search(profile)
    report = claire.get(f"/conseil/bilans/{world.bilan}/rapport").get_data(as_text=True)
    assert f"bénéficiaires du centre ({line})" in report
    claire.post("/langue", data={"lang": "en"})
    english = claire.get(f"/conseil/questionnaires/{aid}/profil").get_data(as_text=True)
    day_en = format_day(paris_today(), "en")
    assert (
        f"Reference group: the centre’s beneficiaries (norms of the centre, version of {day_en},"
        f" n\u00a0=\u00a0{n})." in english
    )
    set_values(db_app, Assignment, aid, show_results_now=True)
    person = db_app.test_client()
    sign_in_beneficiary(person, db_app, world.beneficiary)
    consent_all(db_app, world)
    results = person.get(f"/espace/questionnaires/{aid}/resultats").get_data(as_text=True)
    assert f"bénéficiaires du centre ({line})" in results
    # the score produced with the shipped norms still says so
    paul = db_app.test_client()
    sign_in_staff(paul, "paul@test.fr")
    other = paul.get(f"/conseil/questionnaires/{world.other_assignment}/profil").get_data(
        as_text=True
    )
    assert f"normes {SHIPPED_BFI}" in other and "normes locales" not in other


def consent_all(app: Flask, world: World) -> None:
    from service.extensions import db
    from service.features.journey.consent import CONSENT_VERSION
    from service.models import Consent

    with app.app_context(), db.standalone() as s:
        for bilan, person in (
            (world.bilan, world.beneficiary),
            (world.other_bilan, world.other_beneficiary),
        ):
            s.add(
                Consent(
                    bilan_id=bilan,
                    beneficiary_id=person,
                    text_version=CONSENT_VERSION,
                    accepted=True,
                )
            )


# --- the admin page -----------------------------------------------------------------------


def test_the_page_shows_shipped_and_local_norms_side_by_side(
    db_app: Flask, world: World, sample: dict[str, Any]
) -> None:
    admin = admin_client(db_app)
    index = admin.get("/admin/normes")
    assert index.status_code == 200
    html = index.get_data(as_text=True)
    assert "Normes fournies (2026.11-bfi-adults)" in html and "/admin/normes/spi-135" in html
    page = admin.get(f"/admin/normes/{BFI}").get_data(as_text=True)
    assert "n’a pas encore construit de normes locales" in page
    assert f"{N_IN + 1} questionnaires utilisables aujourd’hui." in page
    # build from the page: the same function as the command line
    built = admin.post(f"/admin/normes/{BFI}/construire", data={"min_n": "30"})
    assert built.status_code == 302
    ((*_rest, table),) = local_rows(db_app)
    assert table["provenance"]["built_by"] == "admin"
    page = admin.get(built.headers["Location"]).get_data(as_text=True)
    by_hand = hand_scale_means(db_app, sample["included"])
    ship = shipped_overall(db_app)["scales"]
    local_mean = by_hand["neuroticism"].mean()
    diff = local_mean - ship["neuroticism"]["mean"]
    row = page[page.index("Névrosisme (sensibilité émotionnelle)</th>") :]
    row = row[: row.index("</tr>")]
    cells = [c.split("</td>")[0] for c in row.split('<td class="num">')[1:]]

    def fr(v: float) -> str:  # always two decimals, halves up, decimal comma
        text = str(Decimal(repr(float(v))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
        return text.replace(".", ",")

    assert cells[3] == str(N_IN + 1) and cells[4] == fr(local_mean)
    assert cells[5] == fr(by_hand["neuroticism"].std(ddof=1))
    assert cells[1] == fr(ship["neuroticism"]["mean"])
    sign = "+" if diff > 0 else "\u2212"
    assert cells[6] == sign + fr(abs(diff))
    assert cells[7] == sign + fr(abs(diff) / ship["neuroticism"]["sd"])
    # still the shipped norms until chosen
    assert "Les nouveaux scores utilisent les normes fournies" in page


def test_bad_input_on_the_page_is_a_clear_422_and_changes_nothing(
    db_app: Flask, world: World, sample: dict[str, Any]
) -> None:
    admin = admin_client(db_app)
    for value, message in (
        ("", "Indiquez un nombre entier de personnes"),
        ("trente", "Indiquez un nombre entier de personnes"),
        ("3", "au moins 10 personnes"),
    ):
        response = admin.post(f"/admin/normes/{BFI}/construire", data={"min_n": value})
        assert response.status_code == 422, value
        html = response.get_data(as_text=True)
        assert "Effectif minimum du groupe" in html and message in html
    too_few = admin.post(f"/admin/normes/{BFI}/construire", data={"min_n": "50"})
    assert too_few.status_code == 422
    assert "minimum de 50" in too_few.get_data(as_text=True)
    assert local_rows(db_app) == []
    for value in ("", "abc", "12345"):
        response = admin.post(f"/admin/normes/{BFI}/choix", data={"norms": value})
        assert response.status_code in (404, 422), value
    assert admin.post(f"/admin/normes/{BFI}/choix", data={}).status_code == 422


# --- access -------------------------------------------------------------------------------


def test_only_the_centres_admins_reach_the_norms(
    db_app: Flask, world: World, sample: dict[str, Any]
) -> None:
    ((_, _, local_id),) = build(db_app, world.centre)
    urls = ("/admin/normes", f"/admin/normes/{BFI}")
    posts = (
        (f"/admin/normes/{BFI}/construire", {"min_n": "30"}),
        (f"/admin/normes/{BFI}/choix", {"norms": str(local_id)}),
    )
    visitor = db_app.test_client()
    for url in urls:
        assert visitor.get(url).status_code == 302  # to the sign-in page
    counsellor = db_app.test_client()
    sign_in_staff(counsellor, "claire@test.fr")
    person = db_app.test_client()
    sign_in_beneficiary(person, db_app, world.beneficiary)
    for client in (counsellor, person):
        for url in urls:
            assert client.get(url).status_code == 403, url
        for url, data in posts:
            assert client.post(url, data=data).status_code == 403, url
    # another centre's admin: our local version is not theirs to see or choose
    other = admin_client(db_app, "admin@autre.fr")
    assert other.get(f"/admin/normes/{BFI}").status_code == 200
    assert other.get(f"/admin/normes/{BFI}?version={local_id}").status_code == 404
    assert (
        other.post(f"/admin/normes/{BFI}/choix", data={"norms": str(local_id)}).status_code == 404
    )
    page = other.get(f"/admin/normes/{BFI}").get_data(as_text=True)
    assert "Versions locales" not in page and "3 questionnaires utilisables" in page
    # unknown or unnormed instruments
    admin = admin_client(db_app)
    assert admin.get("/admin/normes/inconnu").status_code == 404
    assert admin.get(f"/admin/normes/{SAT}").status_code == 404
    assert admin.post(f"/admin/normes/{SAT}/construire", data={"min_n": "30"}).status_code == 404
    # nothing was chosen or built by the refused requests
    from service.extensions import db
    from service.models import NormChoice

    with db_app.app_context(), db.standalone() as s:
        assert s.scalars(select(NormChoice)).all() == []
    assert len(local_rows(db_app)) == 1


# --- the command line ---------------------------------------------------------------------


@pytest.fixture
def cli_env(db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("BOUSSOLE_DATABASE_URL", db_url)
    monkeypatch.setenv("BOUSSOLE_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("BOUSSOLE_MAIL_FOLDER", str(tmp_path / "mail"))
    return db_url


def test_cli_builds_from_the_database_with_clear_exit_codes(
    db_app: Flask, world: World, sample: dict[str, Any], cli_env: str
) -> None:
    runner = CliRunner()
    base = ["norms", "build", "--from-database"]
    # two centres: which one must be said
    ambiguous = runner.invoke(main, [*base, "--instrument", BFI])
    assert ambiguous.exit_code == 1 and "--centre" in ambiguous.output
    dry = runner.invoke(main, [*base, "--instrument", BFI, "--centre", "Centre test", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"n = {N_IN + 1}" in dry.output and "rien n’a été enregistré" in dry.output
    assert local_rows(db_app) == []
    refused = runner.invoke(main, [*base, "-i", BFI, "--centre", "Centre test", "--min-n", "40"])
    assert refused.exit_code == 1
    assert f"{N_IN + 1} questionnaires utilisables" in refused.output
    assert "minimum de 40" in refused.output and "Rien n’a été enregistré" in refused.output
    assert local_rows(db_app) == []
    # every normed instrument at once: the SPI has none, so nothing at all is stored
    everything = runner.invoke(main, [*base, "--centre", "Centre test"])
    assert everything.exit_code == 1 and "aucun questionnaire utilisable" in everything.output
    assert local_rows(db_app) == []
    unknown = runner.invoke(main, [*base, "-i", SAT, "--centre", "Centre test"])
    assert (
        unknown.exit_code == 1 and "pas un questionnaire installé avec des normes" in unknown.output
    )
    mixed = runner.invoke(main, [*base, "-i", BFI, "--output", "x.json"])
    assert mixed.exit_code == 2 and "--output" in mixed.output
    done = runner.invoke(main, [*base, "-i", BFI, "--centre", str(world.centre)])
    assert done.exit_code == 0, done.output
    ((*_rest, norm_version, table),) = local_rows(db_app)
    assert norm_version in done.output
    assert table["provenance"]["tool"] == "boussole norms build --from-database"
    assert table["provenance"]["built_by"] is None
    by_hand = hand_scale_means(db_app, sample["included"])
    assert table["groups"][0]["scales"]["openness"]["sd"] == pytest.approx(
        by_hand["openness"].std(ddof=1)
    )


def test_a_local_version_built_for_another_instrument_version_is_not_used(
    db_app: Flask, world: World, sample: dict[str, Any]
) -> None:
    from service.models import LocalNorm
    from tests.service.test_counsellor import set_values

    ((_, _, local_id),) = build(db_app, world.centre)
    admin = admin_client(db_app)
    assert (
        admin.post(f"/admin/normes/{BFI}/choix", data={"norms": str(local_id)}).status_code == 302
    )
    # as if the instrument had moved to a new version since the table was built
    set_values(db_app, LocalNorm, local_id, instrument_version="0.9.0")
    complete(db_app, world.assignments[BFI])
    assert score_record(db_app, world.assignments[BFI])[0] == SHIPPED_BFI
    page = admin.get(f"/admin/normes/{BFI}").get_data(as_text=True)
    assert "avaient été construites pour la version 0.9.0" in page
    refused = admin.post(f"/admin/normes/{BFI}/choix", data={"norms": str(local_id)})
    assert refused.status_code == 422
    assert "construites pour la version 0.9.0" in refused.get_data(as_text=True)
