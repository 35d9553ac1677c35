"""The ``boussole`` command line.

``boussole instruments check FILE...`` / ``instruments list``, ``boussole score``,
``boussole norms build`` (from a file, or ``--from-database``: the centre's local norms),
``boussole demo``, ``boussole run`` and ``boussole keys generate`` / ``keys rotate`` (the
data keys of the encrypted columns). Errors are printed as
plain sentences on stderr and exit with code 1 (2 for a wrong option); nothing is written
when the input is invalid.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from instruments import (
    Instrument,
    InstrumentError,
    builtin_files,
    check_instrument_file,
    resolve_instrument,
)
from scoring.errors import NormsError, ScoringInputError
from service.cli.batch import (
    CHUNK,
    COLUMN_GROUPS,
    BatchError,
    build_norms_file,
    parse_columns,
    score_file,
)
from service.cli.keys import keys
from service.cli.metiers import metiers

if TYPE_CHECKING:
    from collections.abc import Sequence

    from flask import Flask
    from sqlalchemy.orm import Session

    from service.features.norms.service import Draft
    from service.models import Centre


def _fr_word(count: int, one: str, many: str) -> str:
    """The French words for ``count`` things: singular for 0 and 1, as French says."""
    return one if count <= 1 else many


def _fr(count: int, one: str, many: str) -> str:
    """``count`` and its French words: "1 problème", "2 problèmes", "0 autre"."""
    return f"{count} {_fr_word(count, one, many)}"


def _fail(message: str) -> NoReturn:
    click.echo(f"Erreur / Error: {message}", err=True)
    sys.exit(1)


def _instrument(id_or_file: str, *, check_norms: bool = True) -> Instrument:
    try:
        return resolve_instrument(id_or_file, check_norms=check_norms)
    except InstrumentError as exc:
        _fail(str(exc))
        raise  # unreachable: _fail exits


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="boussole")
def main() -> None:
    """Boussole : questionnaires et scoring psychométrique pour les bilans de compétences."""


@main.group()
def instruments() -> None:
    """Check and list instrument definitions."""


@instruments.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def instruments_check(files: tuple[Path, ...]) -> None:
    """Validate instrument FILES; report every problem, exit 1 if any."""
    bad = 0
    for f in files:
        inst, problems = check_instrument_file(f)
        if problems or inst is None:
            bad += 1
            click.echo(f"ÉCHEC {f}: {_fr(len(problems), 'problème', 'problèmes')}", err=True)
            for p in problems:
                click.echo(f"  - {p}", err=True)
        else:
            n_scales = len(inst.scales)
            click.echo(f"OK    {f}: {inst.key}, {len(inst.items)} items, {n_scales} échelles")
    if bad:
        sys.exit(1)


@instruments.command("list")
def instruments_list() -> None:
    """List the built-in instruments with item counts and estimated minutes."""
    rows = []
    for f in builtin_files():
        inst, problems = check_instrument_file(f)
        if inst is None:
            rows.append(
                (f.stem, "?", "?", "?", f"invalide ({_fr(len(problems), 'problème', 'problèmes')})")
            )
            continue
        rows.append(
            (inst.id, inst.version, str(len(inst.items)), f"{inst.minutes:g}", inst.name.fr)
        )
    header = ("id", "version", "items", "minutes", "nom")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    for r in [header, *rows]:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)) + "  " + r[4])


@main.command("score")
@click.option(
    "--instrument", "-i", "instrument_id", required=True, help="Built-in id or YAML file."
)
@click.option(
    "--input",
    "input_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Wide CSV or XLSX: an id column, one column per item id.",
)
@click.option(
    "--output",
    "output_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Output .csv, .xlsx, .json or .parquet (written atomically).",
)
@click.option("--id-column", default="id", show_default=True)
@click.option("--keep", multiple=True, help="Extra column to copy to the output (repeatable).")
@click.option(
    "--invalid",
    type=click.Choice(["error", "missing"]),
    default="error",
    show_default=True,
    help="What to do with cells outside the coding: stop, or treat as missing and report.",
)
@click.option("--ignore-unknown", is_flag=True, help="Ignore columns that are not items.")
@click.option("--no-norms", is_flag=True, help="Raw scores only.")
@click.option(
    "--columns",
    "columns",
    multiple=True,
    metavar="GROUPS",
    help="Groups of columns to write, comma-separated: " + ", ".join(COLUMN_GROUPS) + ".",
)
@click.option(
    "--full-precision", is_flag=True, help="Write every number at full precision (no rounding)."
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on stderr (default: if a terminal).",
)
@click.option("--chunk-rows", type=click.IntRange(min=1), default=CHUNK, hidden=True)
def score_cmd(
    instrument_id: str,
    input_path: Path,
    output_path: Path,
    id_column: str,
    keep: tuple[str, ...],
    invalid: str,
    ignore_unknown: bool,
    no_norms: bool,
    columns: tuple[str, ...],
    full_precision: bool,
    progress: bool | None,
    chunk_rows: int,
) -> None:
    """Score a file of answers (see docs/cli.md)."""
    try:
        groups = parse_columns(columns)
    except BatchError as exc:
        _fail(f"{exc}\nRien n’a été écrit / nothing was written.")
    inst = _instrument(instrument_id)
    try:
        report = score_file(
            inst,
            input_path,
            output_path,
            id_column=id_column,
            keep=keep,
            invalid="raise" if invalid == "error" else "missing",
            ignore_unknown=ignore_unknown,
            use_norms=not no_norms,
            progress=progress,
            columns=groups,
            full_precision=full_precision,
            chunk_rows=chunk_rows,
        )
    except (BatchError, ScoringInputError, NormsError) as exc:
        _fail(f"{exc}\nRien n’a été écrit / nothing was written.")
        return
    for cell in report.invalid[:20]:
        click.echo(f"  valeur traitée comme manquante / set to missing: {cell}", err=True)
    if len(report.invalid) > 20:
        click.echo(f"  ... {_fr(len(report.invalid) - 20, 'autre', 'autres')}", err=True)
    norms = f", normes {report.norm_version}" if report.norm_version else ", sans normes"
    click.echo(
        f"{_fr(report.rows, 'répondant scoré', 'répondants scorés')} avec {inst.key}{norms}"
        f" -> {output_path}"
    )


@main.group()
def norms() -> None:
    """Norm tables."""


@norms.command("build")
@click.option(
    "--from-database",
    is_flag=True,
    help="Normes locales : à partir des questionnaires remplis du centre (base de données),"
    " enregistrées comme nouvelle version locale.",
)
@click.option("--instrument", "-i", "instrument_id", default=None)
@click.option("--input", "input_path", default=None, type=click.Path(path_type=Path))
@click.option("--output", "output_path", default=None, type=click.Path(path_type=Path))
@click.option("--group-by", default="", help="Comma-separated grouping columns, e.g. sex,age_band.")
@click.option("--bands", multiple=True, help="Derived bands, e.g. age:18-24,25-34,35-44,45-54,55-")
@click.option("--filter", "query", default=None, help="pandas query kept rows, e.g. 'age >= 18'.")
@click.option(
    "--min-n",
    type=int,
    default=None,
    help="Smallest usable group (default: 100 from a file, 30 from the database).",
)
@click.option("--source", default="", help="Provenance text recorded in the table.")
@click.option("--id-column", default="id", show_default=True)
@click.option("--norm-version", default=None, help="Version label (default: today's date).")
@click.option(
    "--centre",
    "centre_name",
    default=None,
    help="Avec --from-database : nom ou numéro du centre (s’il y en a plusieurs).",
)
@click.option(
    "--dry-run", is_flag=True, help="Avec --from-database : calculer et afficher, sans enregistrer."
)
def norms_build(
    from_database: bool,
    instrument_id: str | None,
    input_path: Path | None,
    output_path: Path | None,
    group_by: str,
    bands: tuple[str, ...],
    query: str | None,
    min_n: int | None,
    source: str,
    id_column: str,
    norm_version: str | None,
    centre_name: str | None,
    dry_run: bool,
) -> None:
    """Build norm tables (n, mean, SD, percentiles per scale and group): from a file of
    answers (--input, --output), or the centre's local norms (--from-database)."""
    if from_database:
        file_only = {
            "--input": input_path,
            "--output": output_path,
            "--group-by": group_by,
            "--bands": bands,
            "--filter": query,
            "--source": source,
            "--norm-version": norm_version,
        }
        given = [name for name, value in file_only.items() if value]
        if given:
            raise click.UsageError(
                f"--from-database ne se combine pas avec {', '.join(given)}"
                " (la table est enregistrée dans la base de données, avec un seul groupe :"
                " l’ensemble des bénéficiaires du centre)."
            )
        _norms_from_database(instrument_id, centre_name, min_n, dry_run)
        return
    if dry_run or centre_name:
        raise click.UsageError("--dry-run et --centre vont avec --from-database.")
    if not (instrument_id and input_path and output_path):
        raise click.UsageError("indiquez --instrument, --input et --output (ou --from-database).")
    inst = _instrument(instrument_id, check_norms=False)
    groups = [g.strip() for g in group_by.split(",") if g.strip()]
    try:
        table = build_norms_file(
            inst,
            input_path,
            output_path,
            group_by=groups,
            bands=bands,
            query=query,
            min_n=100 if min_n is None else min_n,
            source=source,
            id_column=id_column,
            norm_version=norm_version,
        )
    except (BatchError, ScoringInputError, NormsError) as exc:
        _fail(f"{exc}\nRien n’a été écrit / nothing was written.")
        return
    for g in table.groups:
        mark = "" if g["usable"] else "  (trop petit : non utilisé / too small: not used)"
        click.echo(f"  {table.describe_group(g['key']):<30} n = {g['n']}{mark}")
    click.echo(f"Normes {table.version} écrites dans {output_path}")


def _pick_centre(session: Session, name_or_id: str | None) -> Centre:
    """The centre named (or numbered) ``name_or_id``; the only one when not given."""
    from sqlalchemy import select

    from service.models import Centre

    centres = list(session.scalars(select(Centre).order_by(Centre.id)))
    if name_or_id:
        wanted = " ".join(name_or_id.split())
        for c in centres:
            if c.name == wanted or str(c.id) == wanted:
                return c
        _fail(f"aucun centre « {wanted} ».")
    if len(centres) == 1:
        return centres[0]
    if not centres:
        _fail("aucun centre dans la base de données (boussole users create --centre ...).")
    names = ", ".join(f"« {c.name} » ({c.id})" for c in centres)
    _fail(f"plusieurs centres ({names}) : indiquez lequel avec --centre.")


def _norms_from_database(
    instrument_id: str | None, centre_name: str | None, min_n: int | None, dry_run: bool
) -> None:
    """``norms build --from-database``: one new local version per normed instrument (or
    ``instrument_id``) of the centre, all or nothing."""
    from service.extensions import db as database
    from service.features.norms import service as local_norms

    app = _app()
    normed = local_norms.normed_instruments(app.extensions["boussole.instruments"])
    if instrument_id is not None:
        normed = [i for i in normed if i.id == instrument_id]
        if not normed:
            known = ", ".join(
                i.id for i in local_norms.normed_instruments(app.extensions["boussole.instruments"])
            )
            _fail(
                f"« {instrument_id} » n’est pas un questionnaire installé avec des normes"
                f" (questionnaires normés : {known})."
            )
    with app.app_context(), database.standalone() as session:
        centre = _pick_centre(session, centre_name)
        try:
            drafts = local_norms.build_local_norms(
                session,
                centre,
                normed,
                min_n=local_norms.DEFAULT_MIN_N if min_n is None else min_n,
                dry_run=dry_run,
            )
        except local_norms.BuildRefused as exc:
            _print_drafts(exc.drafts)
            _fail(f"{exc}\nRien n’a été enregistré / nothing was stored.")
        except local_norms.NormsRefused as exc:
            _fail(f"{exc}\nRien n’a été enregistré / nothing was stored.")
        click.echo(f"Centre « {centre.name} »")
        _print_drafts(drafts)
        if dry_run:
            click.echo("Simulation (--dry-run) : rien n’a été enregistré / nothing was stored.")
        else:
            click.echo(
                "Normes locales enregistrées ; elles ne servent qu’une fois choisies sur la page"
                " Administration > Normes des questionnaires."
            )


def _print_drafts(drafts: Sequence[Draft]) -> None:
    for d in drafts:
        mark = "" if d.usable else f"  (moins de {d.min_n} : refusé / too few: refused)"
        version = f"  -> {d.record.norm_version}" if d.record is not None else ""
        click.echo(
            f"  {d.instrument.key:<24} ensemble des bénéficiaires / whole sample"
            f"  n = {d.n}{mark}{version}"
        )


@main.group()
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the latest version (Alembic)."""
    from service.migrate import upgrade

    app = _app()
    upgrade(app.config["DATABASE_URL"], keys=app.config["DATA_KEYS"])
    click.echo(f"Base de données à jour : {_safe_url(app.config['DATABASE_URL'])}")
    _rome_snapshot(app)


def _rome_snapshot(app: Flask) -> None:
    """Load the shipped ROME snapshot into a database without any release yet."""
    from service.extensions import db as database
    from service.features.metiers.importer import ensure_snapshot

    try:
        with app.app_context(), database.standalone() as session:
            loaded = ensure_snapshot(session)
    finally:
        if database.engine is not None:
            database.engine.dispose()
    if loaded is not None:
        click.echo(
            f"Base de métiers : ROME 4.0 version {loaded.version} chargée"
            f" ({loaded.fiches} fiches, {loaded.appellations} appellations)"
        )


def _safe_url(url: str) -> str:
    """The database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@main.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--no-serve", is_flag=True, help="Prepare the demo and stop.")
def demo(host: str, port: int, no_serve: bool) -> None:
    """Demo: score the bundled sample, create demo accounts, print an invitation, serve."""
    import tempfile

    from instruments import BUILTIN_DIR
    from service.demo import seed_demo
    from service.migrate import upgrade

    inst = _instrument("ipip-bfi-25")
    sample = BUILTIN_DIR / "sample" / "ipip-bfi-25-sample.csv"
    out = Path(tempfile.mkdtemp(prefix="boussole-demo-")) / "scores.csv"
    report = score_file(inst, sample, out, progress=False)
    click.echo(f"Scoring : {report.rows} répondants fictifs scorés avec {inst.key} -> {out}")
    app = _app(jobs=not no_serve)
    upgrade(app.config["DATABASE_URL"], keys=app.config["DATA_KEYS"])
    _rome_snapshot(app)
    access = seed_demo(app)
    base = f"http://{host}:{port}"
    click.echo("")
    click.echo("Comptes de démonstration / demo accounts")
    click.echo(f"  Bénéficiaire : ouvrez {base}/invitation/{access.invitation_token}")
    for label, email in (
        ("Conseillère  ", access.counsellor_email),
        ("Administration", access.admin_email),
    ):
        click.echo(f"  {label} : {email}", nl=False)
        if access.counsellor_password:  # the two demo staff accounts share one password
            click.echo(f" / mot de passe : {access.counsellor_password}")
        else:
            click.echo(" (mot de passe déjà créé lors d’une démo précédente)")
    click.echo("")
    if not no_serve:
        _serve(app, host, port)


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def run(host: str, port: int) -> None:
    """Start the development server (for production, see docs/deployment.md)."""
    _serve(_app(jobs=True), host, port)


def _app(*, jobs: bool = False) -> Flask:
    """The app; its in-process job runner only when it serves (``jobs``)."""
    from service.app import create_app
    from service.config import ConfigError

    try:
        return create_app(None if jobs else {"JOBS_IN_PROCESS": False})
    except (InstrumentError, ConfigError) as exc:
        _fail(f"le service ne démarre pas / the service refuses to start:\n{exc}")


def _serve(app: Flask, host: str, port: int) -> None:
    click.echo(f"Boussole est servi sur http://{host}:{port}/  (Ctrl+C pour arrêter)")
    sys.stdout.flush()
    app.run(host=host, port=port, debug=False, use_reloader=False)


@main.command("suivi")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Jour traité (AAAA-MM-JJ) ; par défaut aujourd’hui, heure de Paris.",
)
@click.option(
    "--base-url",
    default=None,
    help="Adresse publique du site pour les liens envoyés (défaut : BOUSSOLE_PUBLIC_URL).",
)
def suivi(day: object, base_url: str | None) -> None:
    """Suivi à 6 mois et relances des questionnaires de satisfaction (à lancer chaque jour)."""
    import datetime as dt

    from service.dates import paris_today
    from service.extensions import db as database
    from service.features.followup.service import MAX_REMINDERS, run_followups
    from service.mail import MailError, current_mailer

    app = _app()
    base = base_url or app.config.get("PUBLIC_URL")
    if not base:
        _fail("indiquez --base-url ou BOUSSOLE_PUBLIC_URL : les liens envoyés en ont besoin.")
    today = day.date() if isinstance(day, dt.datetime) else paris_today()
    try:
        with app.app_context():
            mailer = current_mailer()
    except MailError as exc:
        _fail(f"envoi des e-mails impossible : {exc}")
    try:
        with app.app_context(), database.standalone() as session:
            summary = run_followups(
                session,
                app.extensions["boussole.instruments"],
                mailer,
                today=today,
                base_url=str(base),
                invitation_days=int(app.config["INVITATION_DAYS"]),
            )
    finally:
        if database.engine is not None:
            database.engine.dispose()  # close pooled connections before the process ends
    click.echo(f"Suivi du {today:%d/%m/%Y}")
    click.echo(f"  bilans passés en suivi à 6 mois : {summary.followups_started}")
    click.echo(f"  questionnaires assignés : {summary.questionnaires_assigned}")
    click.echo(f"  liens de suivi envoyés par e-mail : {summary.links_sent}")
    click.echo(
        f"  relances envoyées : {summary.reminders_sent}"
        f" ({_fr(summary.questionnaires_reminded, 'questionnaire', 'questionnaires')})"
    )
    exhausted = summary.reminders_exhausted
    click.echo(f"  questionnaires non remplis après {MAX_REMINDERS} relances : {exhausted}")
    click.echo(f"  personnes sans adresse e-mail : {summary.without_email}")
    problems = []
    if summary.missing_instruments:
        names = ", ".join(summary.missing_instruments)
        problems.append(
            _fr_word(
                len(summary.missing_instruments),
                "questionnaire non installé",
                "questionnaires non installés",
            )
            + f" : {names} ; les suivis concernés attendent leur installation."
        )
    if summary.mail_failures:
        problems.append(
            _fr(
                summary.mail_failures,
                "e-mail n’a pas pu être envoyé",
                "e-mails n’ont pas pu être envoyés",
            )
            + " (voir le journal) ; le reste est enregistré."
        )
    if problems:
        _fail("\n".join(problems))


@main.command("purge")
@click.option("--dry-run", is_flag=True, help="Dire ce qui serait détruit, sans rien détruire.")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Jour traité (AAAA-MM-JJ) ; par défaut aujourd’hui, heure de Paris.",
)
def purge_cmd(dry_run: bool, day: object) -> None:
    """Détruit le contenu des bilans arrivés à échéance (à lancer chaque jour)."""
    import datetime as dt

    from service.dates import paris_today, utcnow
    from service.extensions import db as database
    from service.features.api import idempotency
    from service.features.lifecycle.service import purge, send_notices, total_by_kind
    from service.features.webhooks.service import purge_deliveries

    app = _app()
    today = day.date() if isinstance(day, dt.datetime) else paris_today()
    try:
        with app.app_context(), database.standalone() as session:
            done = purge(session, today=today, now=utcnow(), dry_run=dry_run)
            if dry_run:
                session.rollback()
                sent = failed = keys = hooks = 0
            else:
                days = int(app.config["DESTRUCTION_NOTICE_DAYS"])
                sent, failed = send_notices(session, today, days, now=utcnow())
                # the API's Idempotency-Key responses, kept 24 hours
                keys = idempotency.purge(session, utcnow())
                hooks = purge_deliveries(session, utcnow())
        if not dry_run and database.engine is not None:
            _checkpoint(database.engine)
    finally:
        if database.engine is not None:
            database.engine.dispose()
    verb = "serait détruit" if dry_run else "détruit"
    click.echo(f"Destruction du {today:%d/%m/%Y}" + (" (simulation)" if dry_run else ""))
    if not dry_run:
        click.echo(f"  avis de destruction envoyés par e-mail : {sent}")
        click.echo(f"  clés d’idempotence de l’API effacées (plus de 24 h) : {keys}")
        if failed:
            click.echo(f"  avis non envoyés (voir le journal) : {failed}")
        click.echo(f"  livraisons de webhooks effacées (30 jours après livraison) : {hooks}")
    if not done:
        click.echo("  rien à détruire")
        return
    for d in done:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(d.counts.items()))
        click.echo(f"  bilan {d.bilan_id} ({d.reason}) : {kinds}")
    totals = total_by_kind(done)
    click.echo(
        f"  {verb} : "
        + _fr(len(done), "bilan", "bilans")
        + ", "
        + ", ".join(f"{kind} {n}" for kind, n in sorted(totals.items()))
    )


def _checkpoint(engine: object) -> None:
    """SQLite: write the WAL back into the file and empty it, so that destroyed rows do
    not linger in the journal (``secure_delete`` already zeroes the freed pages)."""
    from sqlalchemy import Engine, text

    if isinstance(engine, Engine) and engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


main.add_command(metiers)
main.add_command(keys)

if __name__ == "__main__":  # pragma: no cover
    main()


# --- staff accounts ---------------------------------------------------------------------------


@main.group()
def users() -> None:
    """Comptes du centre (conseillers, administration) / staff accounts."""


@users.command("create")
@click.option("--role", type=click.Choice(["admin", "counsellor"]), required=True)
@click.option("--email", required=True, help="Adresse e-mail, identifiant de connexion.")
@click.option("--name", required=True, help="Nom et prénom.")
@click.option(
    "--centre",
    "centre_name",
    default=None,
    help="Nom du centre (obligatoire pour le premier compte d’une installation neuve).",
)
@click.option(
    "--password",
    "ask_password",
    is_flag=True,
    help="Saisir le mot de passe ici (terminal) au lieu d’afficher un lien à usage unique.",
)
@click.option(
    "--base-url", default=None, help="Adresse publique du site (défaut : BOUSSOLE_PUBLIC_URL)."
)
def users_create(
    role: str,
    email: str,
    name: str,
    centre_name: str | None,
    ask_password: bool,
    base_url: str | None,
) -> None:
    """Créer un compte du centre : affiche un lien à usage unique pour choisir le mot de passe
    (ou le demande sur le terminal avec --password)."""
    from sqlalchemy import select

    from service.extensions import db as database
    from service.features.accounts import staff as staff_accounts
    from service.mail import links
    from service.models import Centre

    app = _app()
    with app.app_context(), database.standalone() as session:
        centres = list(session.scalars(select(Centre).order_by(Centre.id)))
        if centre_name:
            centre = next((c for c in centres if c.name == centre_name), None)
            if centre is None:
                centre = Centre(name=" ".join(centre_name.split()))
                session.add(centre)
                session.flush()
        elif len(centres) == 1:
            centre = centres[0]
        elif not centres:
            _fail('aucun centre : indiquez --centre "Nom du centre" pour le premier compte.')
        else:
            names = ", ".join(f"« {c.name} »" for c in centres)
            _fail(f"plusieurs centres ({names}) : indiquez lequel avec --centre.")
        try:
            staff = staff_accounts.create_staff(
                session, centre.id, role=role, email=email, name=name
            )
        except staff_accounts.StaffError as exc:
            _fail(str(exc))
        if ask_password:
            password = click.prompt(
                "Mot de passe", hide_input=True, confirmation_prompt="Confirmez le mot de passe"
            )
            try:
                staff_accounts.check_password(password, staff)
            except staff_accounts.StaffError as exc:
                _fail(str(exc))
            from service.security import hash_password

            staff.password_hash = hash_password(password)
            link = None
        else:
            token = staff_accounts.issue_token(session, staff, "invite")
            base = base_url or app.config.get("PUBLIC_URL") or "http://127.0.0.1:5000"
            link = links.public_url("auth.staff_password", token=token, base=base)
        label = staff_accounts.role_label(role).lower()
        click.echo(
            f"Compte créé : {staff.name} <{staff.email}>, {label}, centre « {centre.name} »."
        )
        if link:
            days = staff_accounts.INVITE_HOURS // 24
            click.echo(f"Lien pour choisir le mot de passe (valable {days} jours, une fois) :")
            click.echo(f"  {link}")


@users.command("list")
def users_list() -> None:
    """Lister les comptes du centre (tous les centres)."""
    from sqlalchemy import select

    from service.extensions import db as database
    from service.features.accounts import staff as staff_accounts
    from service.models import Centre

    app = _app()
    with app.app_context(), database.standalone() as session:
        centres = list(session.scalars(select(Centre).order_by(Centre.id)))
        if not centres:
            click.echo("Aucun centre, aucun compte (boussole users create --centre ...).")
        for centre in centres:
            click.echo(f"{centre.name}")
            for s in staff_accounts.staff_of(session, centre.id):
                state = (
                    "désactivé"
                    if not s.active
                    else "actif"
                    if staff_accounts.has_password(s)
                    else "invitation en attente"
                )
                click.echo(f"  {s.id:>4}  {s.email:<40} {s.role:<10} {state:<22} {s.name}")


@users.command("deactivate")
@click.argument("email")
@click.option(
    "--successor",
    default=None,
    help="Adresse du conseiller ou de la conseillère qui reprend les bilans en cours.",
)
def users_deactivate(email: str, successor: str | None) -> None:
    """Désactiver un compte ; ses bilans en cours passent à --successor."""
    from service.extensions import db as database
    from service.features.accounts import staff as staff_accounts
    from service.features.accounts.service import find_staff

    app = _app()
    with app.app_context(), database.standalone() as session:
        staff = find_staff(session, email.strip().lower())
        if staff is None:
            _fail(f"aucun compte du centre pour {email}.")
        other = find_staff(session, successor.strip().lower()) if successor else None
        if successor and other is None:
            _fail(f"aucun compte du centre pour {successor}.")
        try:
            moved = staff_accounts.deactivate(session, staff, by=None, successor=other)
        except staff_accounts.StaffError as exc:
            _fail(str(exc))
        click.echo(f"Compte désactivé : {staff.email}.")
        if moved and other is not None:
            click.echo(f"Bilans en cours confiés à {other.email} : {moved}.")


# --- webhooks ---------------------------------------------------------------------------------


@main.group()
def webhooks() -> None:
    """Webhooks du centre / webhooks."""


@webhooks.command("deliver")
def webhooks_deliver() -> None:
    """Envoie une fois les livraisons de webhooks arrivées à échéance (cron, tests)."""
    from service.extensions import db as database
    from service.features.webhooks import delivery

    app = _app()
    try:
        with app.app_context():
            sent = delivery.job(app)
    finally:
        if database.engine is not None:
            database.engine.dispose()
    click.echo(f"Webhooks : {_fr(sent, 'envoi', 'envois')}")
