"""``boussole metiers import PATH`` and ``boussole metiers snapshot RELEASE OUT``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from service.features.metiers.release import ReleaseError


def _fail(message: str) -> None:
    click.echo(f"Erreur / Error: {message}", err=True)
    sys.exit(1)


@click.group()
def metiers() -> None:
    """Base de métiers ROME 4.0 (France Travail) / the job database."""


@metiers.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--force", is_flag=True, help="Importer même une version déjà importée ou plus ancienne."
)
def metiers_import(path: Path, force: bool) -> None:
    """Importe une version officielle du ROME 4.0 (le zip de France Travail ou son dossier)."""
    from service.app import create_app
    from service.extensions import db as database
    from service.features.metiers.importer import import_release

    app = create_app()
    started = time.perf_counter()
    try:
        with app.app_context(), database.standalone() as session:
            result = import_release(session, path, force=force)
    except ReleaseError as exc:
        _fail(f"{exc}\nRien n’a été importé.")
        return
    finally:
        if database.engine is not None:
            database.engine.dispose()
    seconds = time.perf_counter() - started
    day = f", {result.published_on:%d/%m/%Y}" if result.published_on else ""
    click.echo(f"ROME 4.0 version {result.version}{day} importée en {seconds:.1f} s")
    click.echo(f"  fiches métier : {result.fiches}")
    click.echo(f"  appellations : {result.appellations}")
    click.echo(f"  compétences : {result.competences}")
    click.echo(f"  liens fiche-référentiel : {result.links}")
    click.echo(
        f"  nouvelles entrées : {result.added}, renommées : {result.renamed},"
        f" retirées : {result.removed}"
    )


@metiers.command("snapshot")
@click.argument("release", type=click.Path(path_type=Path))
@click.argument("out", type=click.Path(path_type=Path))
def metiers_snapshot(release: Path, out: Path) -> None:
    """Écrit l’instantané compact (json.gz) d’une version officielle, livré avec Boussole."""
    from service.features.metiers.importer import write_snapshot
    from service.features.metiers.release import read_release

    try:
        data = read_release(release)
    except ReleaseError as exc:
        _fail(str(exc))
        return
    size = write_snapshot(data, out)
    click.echo(f"Instantané ROME version {data.version} : {out} ({size / 1e6:.2f} Mo)")
