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
    except ValueError as exc:  # only the base IRI from SCOGRAPH_BASE_IRI can be refused here
        raise click.UsageError(f"SCOGRAPH_BASE_IRI: {exc}") from None


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
    sys.exit(0 if outcome.releasable else 1)


@main.command()
@source_option
@build_dir_option
@base_iri_option
@click.option("--force", is_flag=True, help="Rebuild even if a release of the same sources exists.")
def build(source_root: Path | None, build_dir: Path | None, base_iri: str | None, force: bool) -> None:
    """Validate the sources and write a new release; the previous one stays if anything fails."""
    from scograph.build import BuildError
    from scograph.build import build as run_build
    from scograph.progress import Progress

    settings = _settings(source_root, build_dir, base_iri)
    try:
        # Bars on a terminal; one line per phase, with its duration, in a log.
        release = run_build(settings, force=force, progress=Progress.for_stream(sys.stderr))
    except BuildError as exc:
        click.echo(f"build failed: {exc}", err=True)
        sys.exit(1)
    click.echo(release.path)


@main.command()
@click.option("--to", "to_url", required=True, metavar="URL", help="Root URL of the triplestore, e.g. http://127.0.0.1:7878 (Oxigraph) or http://127.0.0.1:8890 (Virtuoso).")
@click.option("--preset", type=click.Choice(["oxigraph", "virtuoso"]), default="oxigraph", show_default=True, help="Endpoint paths and auth scheme of the server kind.")
@click.option("--gsp-url", metavar="URL", help="Graph Store Protocol endpoint, if not the preset's (oxigraph: /store, virtuoso: /sparql-graph-crud-auth).")
@click.option("--query-url", metavar="URL", help="SPARQL query endpoint, if not the preset's (oxigraph: /query, virtuoso: /sparql).")
@click.option("--update-url", metavar="URL", help="SPARQL update endpoint, if not the preset's (oxigraph: /update, virtuoso: /sparql-auth).")
@click.option("--user", help="User name for the server's write endpoints.")
@click.option("--password", envvar="SCOGRAPH_STORE_PASSWORD", help="Password [env SCOGRAPH_STORE_PASSWORD].")
@click.option("--auth", "auth_scheme", type=click.Choice(["basic", "digest"]), help="HTTP auth scheme [default: the preset's: basic for oxigraph, digest for virtuoso].")
@click.option("--release", "release_dir", type=click.Path(file_okay=False, path_type=Path), help="Release directory to publish [default: the current release in --build-dir].")
@build_dir_option
@click.option("--chunk-triples", type=click.IntRange(min=1), default=50_000, show_default=True, help="Triples per upload request.")
@click.option("--grace", type=click.FloatRange(min=0), default=30.0, show_default=True, help="Seconds to wait after the switch before dropping the previous release (readers finishing their queries).")
def publish(
    to_url: str,
    preset: str,
    gsp_url: str | None,
    query_url: str | None,
    update_url: str | None,
    user: str | None,
    password: str | None,
    auth_scheme: str | None,
    release_dir: Path | None,
    build_dir: Path | None,
    chunk_triples: int,
    grace: float,
) -> None:
    """Push a release into a SPARQL 1.1 Graph Store Protocol server, replacing the served one atomically."""
    from scograph.publish import PublishError, Target
    from scograph.publish import publish as run_publish
    from scograph.release import Release, ReleaseNotFound, current_release

    try:
        target = Target.from_preset(
            to_url, preset, gsp_url=gsp_url, query_url=query_url, update_url=update_url,
            user=user, password=password, auth_scheme=auth_scheme,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--to") from None
    try:
        release = Release.open(release_dir) if release_dir else current_release(build_dir or _settings(None, None, None).build_dir)
    except ReleaseNotFound as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    interactive = sys.stderr.isatty()

    def progress(graph: str, done: int, total: int) -> None:
        line = f"  {graph}: {done}/{total} triples ({100 * done // max(total, 1)}%)"
        if interactive:
            click.echo("\r" + line, err=True, nl=done >= total)
        else:
            click.echo(line, err=True)

    try:
        outcome = run_publish(
            release, target, chunk_triples=chunk_triples, grace=grace,
            log=lambda msg: click.echo(msg, err=True), progress=progress,
        )
    except PublishError as exc:
        click.echo(f"publish failed: {exc}", err=True)
        sys.exit(1)
    click.echo(outcome.version)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on (0.0.0.0 to listen on every interface).")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="TCP port to listen on.")
@source_option
@build_dir_option
@base_iri_option
@click.option("--workers", type=click.IntRange(min=1), default=None, help="HTTP worker processes, each owning its share of the query bound [default: one per core, at most --max-concurrent-queries].")
@click.option("--threads", type=click.IntRange(min=1), default=None, help="Threads per worker process [default: running + queued queries + 4].")
@click.option("--query-timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True, help="Seconds a query may run before it is stopped (503).")
@click.option("--max-results", type=click.IntRange(min=1), default=10_000, show_default=True, help="Rows or triples per result; longer results are cut and say so (X-Result-Truncated).")
@click.option("--max-query-bytes", type=click.IntRange(min=64), default=64 * 1024, show_default=True, help="Largest accepted query, in UTF-8 bytes (413 beyond).")
@click.option("--max-concurrent-queries", type=click.IntRange(min=1), default=4, show_default=True, help="Queries running at once (one worker process each).")
@click.option("--queue-timeout", type=click.FloatRange(min=0.1), default=2.0, show_default=True, help="Seconds a query may wait for a free worker before it gets 429.")
@click.option("--max-queued-queries", type=click.IntRange(min=0), default=64, show_default=True, help="Queries waiting for a free worker; beyond that: 429 at once.")
@click.option("--query-memory-mb", type=click.IntRange(min=0), default=2048, show_default=True, help="Address-space cap of each query worker; a query needing more is stopped (503). 0: no cap.")
@click.option("--in-memory-quads", type=click.IntRange(min=0), default=250_000, show_default=True, help="Copy the release into each query worker's memory when it has at most this many quads (the example queries run 2.4-3.2x faster; ~0.5 KB a quad per worker); larger releases are queried on disk. 0: always on disk.")
@click.option("--result-cache-mb", type=click.FloatRange(min=0), default=16.0, show_default=True, help="Memory for cached query results per process, and as much again for replayed answers (a release never changes; with --store, entries are per release version); 0 turns the cache off.")
@click.option("--max-result-bytes", type=click.IntRange(min=1024), default=16 * 1024 * 1024, show_default=True, help="Bytes per answer; longer answers are cut and say so (X-Result-Truncated, X-Result-Byte-Limit).")
@click.option("--pin-cores/--no-pin-cores", default=True, show_default=True, help="Keep each HTTP worker process and its query workers on one core, when there is a process for every core (fewer moves between caches: up to 23 % more uncached queries a second on 2 cores).")
@click.option("--unsafe-allow-network", is_flag=True, help="Serve even when query workers cannot be cut off the network (no user namespaces, no seccomp): the query guard is then the only wall.")
@click.option("--store", "store_url", metavar="URL", help="Answer from this remote SPARQL endpoint instead of the embedded store.")
@click.option("--public-url", metavar="URL", envvar="SCOGRAPH_PUBLIC_URL", help="Where clients reach this server's root, for the URLs that must be absolute (sitemap, robots.txt, sd:endpoint) [env SCOGRAPH_PUBLIC_URL; default: http://HOST:PORT/ on loopback, else the base IRI]. Never taken from the request's Host header.")
@click.option("--trust-forwarded-headers", is_flag=True, default=False, help="A proxy in front of this server sets X-Forwarded-Proto/Host/Port/Prefix: believe them (one proxy), instead of --public-url. Only with a proxy that overwrites them.")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info", show_default=True)
def serve(
    host: str,
    port: int,
    source_root: Path | None,
    build_dir: Path | None,
    base_iri: str | None,
    workers: int | None,
    threads: int | None,
    query_timeout: float,
    max_results: int,
    max_query_bytes: int,
    max_concurrent_queries: int,
    max_queued_queries: int,
    queue_timeout: float,
    query_memory_mb: int,
    in_memory_quads: int,
    result_cache_mb: float,
    max_result_bytes: int,
    pin_cores: bool,
    unsafe_allow_network: bool,
    store_url: str | None,
    public_url: str | None,
    trust_forwarded_headers: bool,
    log_level: str,
) -> None:
    """Serve the current release under granian; without one (or with one for another base IRI), build it first from --sources."""
    from scograph.build import BuildError
    from scograph.serve import PortInUse, ServeError, ServeOptions
    from scograph.serve import serve as run_server
    from scograph.web.app import WebConfig

    if store_url is not None and not store_url.startswith(("http://", "https://")):
        raise click.BadParameter(f"must be an http(s) URL, got {store_url!r}", param_hint="--store")
    if public_url is not None and trust_forwarded_headers:
        click.echo("error: --public-url and --trust-forwarded-headers both say where the site is; give one of them", err=True)
        sys.exit(2)
    if public_url is not None:
        from scograph.web.origin import check_public_url

        try:
            public_url = check_public_url(public_url)
        except ValueError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
    settings = _settings(source_root, build_dir, base_iri)
    web = WebConfig(
        query_timeout=query_timeout,
        max_query_bytes=max_query_bytes,
        max_results=max_results,
        max_concurrent_queries=max_concurrent_queries,
        public_url=public_url,
        trust_forwarded_headers=trust_forwarded_headers,
        max_result_bytes=max_result_bytes,
    )
    options = ServeOptions(
        host=host, port=port, workers=workers, threads=threads, web=web,
        max_queued_queries=max_queued_queries, queue_timeout=queue_timeout, store_url=store_url, log_level=log_level,
        result_cache_mb=result_cache_mb, query_memory_mb=query_memory_mb, in_memory_quads=in_memory_quads,
        unsafe_allow_network=unsafe_allow_network, pin_cores=pin_cores,
    )
    try:
        run_server(options, settings, log_line=lambda msg: click.echo(msg, err=True))
    except BuildError as exc:
        click.echo(f"build failed: {exc}", err=True)
        sys.exit(1)
    except PortInUse as exc:  # the whole message, nothing before it: the check runs first
        click.echo(f"{exc}.", err=True)
        sys.exit(1)
    except ServeError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


@main.command()
@click.option("--triples", type=click.IntRange(min=1), required=True, help="About how many data triples to write (e.g. 10000, 100000, 1000000).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="New directory for the sources tree (ontology/, data/, shapes/).")
@source_option
def synthetic(triples: int, out: Path, source_root: Path | None) -> None:
    """Write a deterministic synthetic corpus shaped like the real data (for tests and benchmarks)."""
    from scograph.sources import SourceError
    from scograph.synthetic import SyntheticError, generate

    settings = _settings(source_root, None, None)
    try:
        corpus = generate(settings.source_root, out, triples, log=lambda msg: click.echo(msg, err=True))
    except (SyntheticError, SourceError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(f"{corpus.data_triples} data triples ({corpus.copies} synthetic documents) in {corpus.out}")


if __name__ == "__main__":  # pragma: no cover
    main()
