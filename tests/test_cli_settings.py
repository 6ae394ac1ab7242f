"""The settings every command shares: a bad ``--base-iri`` is one sentence and exit 2, and
``serve`` takes ``--sources`` like the other commands (README, "The command line")."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import REPO
from tests.processes import free_port, stop, wait_until_ready

SCOGRAPH = Path(sys.executable).with_name("scograph")

BAD_BASE_IRIS = [
    ("http://exa mple.org/", "a space at character 11"),
    ("http://exa<mple.org/", "'<' at character 11"),
    ('http://exa"mple.org/', "'\"' at character 11"),
    ("http://exa{mple.org/", "'{' at character 11"),
    ("http:///policy/", "no host"),
    ("https://example.org/a#b", "'#' at character 22"),
    ("ftp://example.org/", "must start with http:// or https://"),
]


def _command(name: str, tmp_path: Path) -> list[str]:
    build_dir = ["--build-dir", str(tmp_path / "build")]
    return {
        "validate": ["validate", "--sources", str(REPO)],
        "build": ["build", "--sources", str(REPO), *build_dir],
        "serve": ["serve", "--sources", str(REPO), *build_dir, "--port", str(free_port())],
    }[name]


def _run(args: list[str], env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCOGRAPH), *args], capture_output=True, text=True, timeout=120, env=env)


@pytest.mark.parametrize("command", ["validate", "build", "serve"])
@pytest.mark.parametrize(("base_iri", "named"), BAD_BASE_IRIS)
def test_bad_base_iri_is_one_sentence_naming_the_character(tmp_path, command, base_iri, named):
    result = _run([*_command(command, tmp_path), "--base-iri", base_iri])
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    [error] = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert "--base-iri" in error and repr(base_iri) in error and named in error
    assert len(result.stderr.splitlines()) <= 4  # click's usage line, its hint, a blank line, the error
    assert not (tmp_path / "build" / "current").exists()  # nothing was built or served


@pytest.mark.parametrize("command", ["validate", "build", "serve"])
def test_bad_base_iri_from_the_environment_names_the_variable(tmp_path, command):
    env = dict(os.environ, SCOGRAPH_BASE_IRI="http://exa mple.org/")
    result = _run(_command(command, tmp_path), env=env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "SCOGRAPH_BASE_IRI" in result.stderr and "a space at character 11" in result.stderr


@pytest.mark.parametrize("base_iri", ["https://example.org/policy", "http://127.0.0.1:8080/", "https://例子.测试/数据/"])
def test_good_base_iris_are_accepted(base_iri):
    from scograph.config import normalise_base_iri

    assert normalise_base_iri(base_iri) == base_iri.rstrip("/") + "/"


def test_serve_builds_from_its_sources_option(tmp_path):
    """``serve --sources DIR`` with an empty build directory builds DIR's data and serves it."""
    root = tmp_path / "sources"
    for name in ("ontology", "data", "shapes"):
        shutil.copytree(REPO / name, root / name)
    places = root / "data" / "places.ttl"
    assert '"Montréal"@en' in places.read_text("utf-8")
    places.write_text(places.read_text("utf-8").replace('"Montréal"@en', '"Montreal (served from --sources)"@en'), "utf-8")
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(SCOGRAPH), "serve", "--sources", str(root), "--build-dir", str(tmp_path / "build"),
             "--port", str(port), "--workers", "1", "--max-concurrent-queries", "1"],
            stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path,  # cwd holds no sources: only --sources can
        )
    try:
        wait_until_ready(f"http://127.0.0.1:{port}/healthz", process, seconds=90, log=log)
        answer = requests.get(
            f"http://127.0.0.1:{port}/sparql",
            params={"query": 'ASK { ?place ?label "Montreal (served from --sources)"@en }'},
            headers={"Accept": "application/sparql-results+json"}, timeout=30,
        ).json()
        assert answer["boolean"] is True
    finally:
        stop(process)
    assert (tmp_path / "build" / "current" / "manifest.json").is_file()
