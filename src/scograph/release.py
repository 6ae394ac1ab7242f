"""Reading a built release: its manifest, files and store.

Layout of a build directory (``./build`` by default)::

    build/
      current -> releases/<version>     symlink, switched atomically after a good build
      releases/<version>/
        manifest.json                   version, base IRI, graphs, files (bytes, sha256, triples)
        scograph.{ttl,nt,jsonld,rdf}    union of all graphs (+ .gz)
        scograph.{trig,nq}              named graphs (+ .gz)
        context.jsonld                  the JSON-LD context used by scograph.jsonld
        void.ttl                        VoID + DCAT description with sizes and checksums
        validation-report.{ttl,txt}     the SHACL report the release passed
        scograph-aligned.{tmx,csv,jsonl}  clause-aligned zh-en text (scograph.exports.aligned)
        scograph-citations.{csl.json,bib,ris}  citations of every document and clause
        akn-{document}-{zho,eng,mul}.xml  Akoma Ntoso 3.0 per language version and with both
        sparql-examples.ttl             the example queries as SHACL SPARQL executables
        SHA256SUMS
        store/                          Oxigraph store loaded from scograph.nq
        search.sqlite                   full-text and name index (SQLite FTS5), see scograph.search

Everything in a release is immutable; a new build makes a new directory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
CURRENT = "current"
RELEASES = "releases"
STORE_DIR = "store"


class ReleaseNotFound(FileNotFoundError):
    pass


@dataclass(frozen=True)
class ReleaseFile:
    name: str
    media_type: str
    bytes: int
    sha256: str
    triples: int | None
    description: str


@dataclass(frozen=True)
class Release:
    path: Path
    manifest: dict[str, Any]

    @classmethod
    def open(cls, path: Path) -> "Release":
        path = Path(path)
        manifest_path = path / MANIFEST
        if not manifest_path.is_file():
            raise ReleaseNotFound(f"{path} is not a scograph release (no {MANIFEST}); run `scograph build`")
        return cls(path=path.resolve(), manifest=json.loads(manifest_path.read_text("utf-8")))

    @property
    def version(self) -> str:
        return self.manifest["version"]

    @property
    def base_iri(self) -> str:
        return self.manifest["base_iri"]

    @property
    def quads(self) -> int | None:
        """Quads in the release store (None for a release from before the manifest said)."""
        return self.manifest.get("quads")

    @property
    def store_path(self) -> Path:
        return self.path / STORE_DIR

    @property
    def search_index_path(self) -> Path | None:
        """The release's search index, or None for a release built before search existed."""
        entry = self.manifest.get("search")
        return self.path / entry["file"] if entry else None

    @property
    def graphs(self) -> dict[str, int]:
        """Named graph IRI -> triple count."""
        return dict(self.manifest["graphs"])

    @property
    def files(self) -> list[ReleaseFile]:
        return [ReleaseFile(**f) for f in self.manifest["files"]]

    def file(self, name: str) -> ReleaseFile | None:
        return next((f for f in self.files if f.name == name), None)


def current_release(build_dir: Path) -> Release:
    link = Path(build_dir) / CURRENT
    if not link.exists():
        raise ReleaseNotFound(f"no release in {build_dir}; run `scograph build`")
    return Release.open(link)
