"""Where things are: sources, build directory, base IRI.

Settings come from (in order) command-line options, ``SCOGRAPH_*`` environment
variables, then defaults. Nothing else in the package reads the environment.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

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
    """``base_iri`` ending in ``/``, or ValueError with one sentence saying what is wrong with it.

    Every IRI the release mints starts with it, so it is checked by the IRI parser
    the store itself uses (pyoxigraph's, RFC 3987) and must have a host and
    neither query nor fragment (paths are appended to it).
    """
    import pyoxigraph as ox

    if not base_iri.startswith(("http://", "https://")):
        raise ValueError(f"the base IRI must start with http:// or https://, got {base_iri!r}")
    try:
        ox.NamedNode(base_iri)
    except ValueError as exc:
        raise ValueError(f"{base_iri!r} is not a valid IRI: {_iri_problem(base_iri, str(exc))}") from None
    parts = urlsplit(base_iri)
    if not parts.hostname:
        raise ValueError(f"{base_iri!r} has no host name after {parts.scheme}://")
    if "?" in base_iri or "#" in base_iri:
        bad = "?" if "?" in base_iri else "#"
        raise ValueError(
            f"{base_iri!r} contains {bad!r} at character {base_iri.index(bad) + 1}: "
            "a base IRI cannot have a query or fragment, since resource paths are appended to it"
        )
    return base_iri if base_iri.endswith("/") else base_iri + "/"


_NEVER_IN_IRI = frozenset(' <>"{}|\\^`')


def _iri_problem(iri: str, message: str) -> str:
    """The parser's message, with where the offending character is (``' '`` spelt out)."""
    quoted = re.search(r"'(.+?)'", message)
    if quoted is None:
        return message
    text = quoted.group(1)
    shown = "a space" if text == " " else repr(text)
    # A character never allowed in an IRI: its first occurrence is the culprit.
    never_allowed = len(text) == 1 and (text in _NEVER_IN_IRI or ord(text) < 0x20)
    where = f" at character {iri.index(text) + 1}" if never_allowed and text in iri else ""
    reason = message[: quoted.start()].strip().rstrip(":").lower().replace("invalid iri code point", "character not allowed in an IRI")
    return f"{shown}{where} ({reason})"


@dataclass(frozen=True)
class Settings:
    """Build-time settings."""

    source_root: Path = field(default_factory=lambda: Path(os.environ["SCOGRAPH_SOURCES"]) if "SCOGRAPH_SOURCES" in os.environ else default_source_root())
    build_dir: Path = field(default_factory=lambda: Path(os.environ.get("SCOGRAPH_BUILD_DIR", "build")))
    base_iri: str = field(default_factory=lambda: normalise_base_iri(os.environ.get("SCOGRAPH_BASE_IRI", DEFAULT_BASE_IRI)))

    def __post_init__(self) -> None:
        # Every IRI of a release starts with the base IRI: a bad one must stop here, whoever made the Settings.
        object.__setattr__(self, "base_iri", normalise_base_iri(self.base_iri))

    @property
    def ontology_dir(self) -> Path:
        return self.source_root / "ontology"

    @property
    def data_dir(self) -> Path:
        return self.source_root / "data"

    @property
    def shapes_dir(self) -> Path:
        return self.source_root / "shapes"
