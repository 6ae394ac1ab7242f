"""The ``scograph`` command line: one sub-command per job, mirroring the app.

    scograph validate      SHACL-validate the sources, print a readable report
    scograph build         validate, then write a new release (dumps, description, store)
    scograph serve         serve the current release (builds it first if there is none)
    scograph publish       push a release to a SPARQL 1.1 Graph Store Protocol server
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from scograph import __version__
from scograph.config import Settings, normalise_base_iri


def _settings(source_root: Path | None, build_dir: Path | None, base_iri: str | None) -> Settings:
    kwargs = {}
    if source_root is not None:
        kwargs["source_root"] = source_root
    if build_dir is not None:
        kwargs["build_dir"] = build_dir
    if base_iri is not None:
        try:
            kwargs["base_iri"] = normalise_base_iri(base_iri)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--base-iri") from None
    try:
        return Settings(**kwargs)
    except FileNotFoundError as exc:
        raise click.UsageError(str(exc)) from None


source_option = click.option(
    "--sources",
    "source_root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory holding ontology/, data/ and shapes/ [env SCOGRAPH_SOURCES; default: this checkout].",
)
build_dir_option = click.option(
    "--build-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where releases are written and read [env SCOGRAPH_BUILD_DIR; default: ./build].",
)
base_iri_option = click.option(
    "--base-iri",
    help="Canonical base IRI of every resource [env SCOGRAPH_BASE_IRI; default: https://w3id.org/scograph/].",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="scograph")
def main() -> None:
    """Publish policy documents as validated linked data."""


@main.command()
@source_option
@base_iri_option
def validate(source_root: Path | None, base_iri: str | None) -> None:
    """Validate the sources against the SHACL shapes; exit 1 on any violation."""
    from scograph.build import load_sources, validate_sources
    from scograph.sources import SourceError
    from scograph.validate import ShapesError

    settings = _settings(source_root, None, base_iri)
    try:
        outcome = validate_sources(load_sources(settings))
    except (SourceError, ShapesError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(outcome.format())
    sys.exit(0 if outcome.conforms else 1)


@main.command()
@source_option
@build_dir_option
@base_iri_option
@click.option("--force", is_flag=True, help="Rebuild even if a release of the same sources exists.")
def build(source_root: Path | None, build_dir: Path | None, base_iri: str | None, force: bool) -> None:
    """Validate the sources and write a new release; the previous one stays if anything fails."""
    from scograph.build import BuildError
    from scograph.build import build as run_build

    settings = _settings(source_root, build_dir, base_iri)
    try:
        release = run_build(settings, force=force, log=lambda msg: click.echo(msg, err=True))
    except BuildError as exc:
        click.echo(f"build failed: {exc}", err=True)
        sys.exit(1)
    click.echo(release.path)


if __name__ == "__main__":  # pragma: no cover
    main()
