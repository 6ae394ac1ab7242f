"""An Atom feed (RFC 4287) of the releases in a build directory, as ELI pillar IV asks of publishers.

One entry per release, newest first: its IRI (``dataset/release/{version}``)
as the id, the time its manifest was written as ``updated`` (the only clock
in scograph, and it is the file system's, read when the feed is served: the
release files themselves carry none), and one ``enclosure`` link per dump
with its media type and length, plus ``SHA256SUMS`` and the manifest.
"""

from __future__ import annotations

from datetime import datetime, timezone
from xml.sax.saxutils import escape, quoteattr

from scograph.release import MANIFEST, Release

ATOM_TYPE = "application/atom+xml"


def _time(release: Release) -> str:
    mtime = (release.path / MANIFEST).stat().st_mtime
    return datetime.fromtimestamp(mtime, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def releases_of(current: Release) -> list[Release]:
    """Every complete release beside ``current`` (the directories of ``build/releases/``), newest first."""
    found = []
    for path in sorted(current.path.parent.iterdir()):
        if path.is_dir() and not path.name.startswith(".") and (path / MANIFEST).is_file():
            found.append(Release.open(path))
    return sorted(found, key=lambda r: ((r.path / MANIFEST).stat().st_mtime, r.version), reverse=True)


def file_url(root: str, release: Release, current: Release, name: str) -> str:
    """Where a file of ``release`` is downloaded: ``/download/{name}`` for the current one."""
    if release.version == current.version:
        return f"{root}download/{name}"
    return f"{root}release/{release.version}/download/{name}"


def atom(current: Release, root: str, feed_url: str) -> bytes:
    releases = releases_of(current)
    base = current.base_iri
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">',
        f"  <id>{escape(base)}dataset/releases</id>",
        "  <title>scograph releases</title>",
        "  <subtitle>Every release of the dataset, with its dumps and their SHA-256 sums.</subtitle>",
        f"  <updated>{_time(releases[0]) if releases else _time(current)}</updated>",
        f"  <link rel=\"self\" type=\"{ATOM_TYPE}\" href={quoteattr(feed_url)}/>",
        f"  <link rel=\"alternate\" type=\"text/html\" href={quoteattr(root + 'downloads')}/>",
        "  <author><name>scograph</name></author>",
        '  <generator uri="https://w3id.org/scograph/">scograph</generator>',
    ]
    for newer, older in zip(releases, [*releases[1:], None]):
        lines += _entry(newer, current, root, changes(newer, older))
    lines += ["</feed>", ""]
    return "\n".join(lines).encode("utf-8")


def changes(release: Release, previous: Release | None) -> dict[str, list[str]]:
    """Documents added, changed and removed since ``previous`` (by the digests in the manifests)."""
    now = release.manifest.get("documents", {})
    before = previous.manifest.get("documents", {}) if previous else {}
    return {
        "added": sorted(set(now) - set(before)),
        "changed": sorted(iri for iri in set(now) & set(before) if now[iri] != before[iri]),
        "removed": sorted(set(before) - set(now)),
    }


def _page(root: str, base: str, iri: str) -> str:
    return root + "doc/" + iri[len(base) + 3 :] if iri.startswith(base + "id/") else iri


def _entry(release: Release, current: Release, root: str, changed: dict[str, list[str]]) -> list[str]:
    iri = f"{release.base_iri}dataset/release/{release.version}"
    is_current = release.version == current.version
    summary = (
        f"Release {release.version}: {release.manifest.get('triples', 0):,} triples, "
        f"{len(release.files)} files{' (current)' if is_current else ''}. SHA-256 of each file:\n"
        + "".join(f"{f.sha256}  {f.name}\n" for f in release.files)
        + "".join(f"Documents {kind} since the previous release: {', '.join(iris)}\n" for kind, iris in changed.items() if iris)
    )
    lines = [
        "  <entry>",
        f"    <id>{escape(iri)}</id>",
        f"    <title>scograph release {escape(release.version)}{' (current)' if is_current else ''}</title>",
        f"    <updated>{_time(release)}</updated>",
        f"    <link rel=\"alternate\" type=\"text/html\" href={quoteattr(root + 'downloads' if is_current else file_url(root, release, current, MANIFEST))}/>",
        f"    <link rel=\"related\" type=\"text/plain\" title=\"SHA256SUMS\" href={quoteattr(file_url(root, release, current, 'SHA256SUMS'))}/>",
        f"    <link rel=\"describedby\" type=\"application/json\" title=\"manifest.json\" href={quoteattr(file_url(root, release, current, MANIFEST))}/>",
    ]
    for f in release.files:
        lines.append(
            f"    <link rel=\"enclosure\" type={quoteattr(f.media_type.split(';')[0])} length=\"{f.bytes}\""
            f" title={quoteattr(f.name + ' sha256:' + f.sha256)} href={quoteattr(file_url(root, release, current, f.name))}/>"
        )
    for kind in ("added", "changed"):  # removed documents have no page to link
        for iri in changed[kind]:
            lines.append(f"    <link rel=\"related\" type=\"text/html\" title={quoteattr(kind + ': ' + iri)} href={quoteattr(_page(root, release.base_iri, iri))}/>")
    for kind, iris in changed.items():
        if iris:
            lines.append(f"    <category term=\"{kind}\" label={quoteattr(f'{len(iris)} document(s) {kind}')}/>")
    lines += [f"    <summary type=\"text\">{escape(summary)}</summary>", "  </entry>"]
    return lines
