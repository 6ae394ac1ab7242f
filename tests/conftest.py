"""Shared fixtures: one release built from the repository's sources per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from scograph.build import build
from scograph.config import Settings
from scograph.release import Release

REPO = Path(__file__).resolve().parent.parent
#: The Initiative's bilingual source text, kept in the repository (data/sources/README.md says whence).
SEED = REPO / "data" / "sources" / "green-development-initiative.txt"


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    return Settings(source_root=REPO, build_dir=tmp_path_factory.mktemp("build"))


@pytest.fixture(scope="session")
def release(settings) -> Release:
    """The release built from the repository's own sources (built once per session)."""
    return build(settings)


@pytest.fixture(scope="session")
def store(release):
    from scograph.store.embedded import EmbeddedStore

    s = EmbeddedStore(release)
    yield s
    s.close()
