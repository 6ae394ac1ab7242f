"""Where things are: sources, build directory, base IRI.

Settings come from (in order) command-line options, ``SCOGRAPH_*`` environment
variables, then defaults. Nothing else in the package reads the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from scograph.namespaces import DEFAULT_BASE_IRI

_PACKAGE_DIR = Path(__file__).resolve().parent
_SOURCE_DIRS = ("ontology", "data", "shapes")


def default_source_root() -> Path:
    """The directory holding ``ontology/``, ``data/`` and ``shapes/``.

    A checkout (editable install) uses the repository itself; an installed wheel
    uses the copy bundled under ``scograph/_sources``.
    """
    for candidate in (Path.cwd(), _PACKAGE_DIR.parent.parent, _PACKAGE_DIR / "_sources"):
        if all((candidate / d).is_dir() for d in _SOURCE_DIRS):
            return candidate
    raise FileNotFoundError(
        "cannot find the scograph sources (ontology/, data/, shapes/); "
        "run from a checkout or set SCOGRAPH_SOURCES"
    )


def normalise_base_iri(base_iri: str) -> str:
    if not base_iri.startswith(("http://", "https://")):
        raise ValueError(f"base IRI must be an http(s) IRI, got {base_iri!r}")
    return base_iri if base_iri.endswith("/") else base_iri + "/"


@dataclass(frozen=True)
class Settings:
    """Build-time settings."""

    source_root: Path = field(default_factory=lambda: Path(os.environ["SCOGRAPH_SOURCES"]) if "SCOGRAPH_SOURCES" in os.environ else default_source_root())
    build_dir: Path = field(default_factory=lambda: Path(os.environ.get("SCOGRAPH_BUILD_DIR", "build")))
    base_iri: str = field(default_factory=lambda: normalise_base_iri(os.environ.get("SCOGRAPH_BASE_IRI", DEFAULT_BASE_IRI)))

    @property
    def ontology_dir(self) -> Path:
        return self.source_root / "ontology"

    @property
    def data_dir(self) -> Path:
        return self.source_root / "data"

    @property
    def shapes_dir(self) -> Path:
        return self.source_root / "shapes"
