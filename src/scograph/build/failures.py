"""How a build fails: its error, the one-line wording of operating-system errors, and the
removal of what killed builds left behind."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from scograph.release import CURRENT, RELEASES

Log = Callable[[str], None]


class BuildError(Exception):
    """The build stopped; the previous release is untouched. ``str()`` says why."""


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def remove_stale_leftovers(build_dir: Path, log: Log) -> None:
    """Remove what interrupted builds left behind: staging directories, old releases moved
    aside by ``--force``, half-made ``current`` links.

    Called with the build lock held: no other build of this directory is running,
    so every such leftover belongs to a build that died (``kill -9``, power loss).
    A release moved aside whose replacement never arrived is moved back, not removed.
    """
    releases = build_dir / RELEASES
    for tmp in build_dir.glob(f".{CURRENT}.*"):
        if tmp.is_symlink():
            tmp.unlink()
    if not releases.is_dir():
        return
    for path in sorted(releases.iterdir()):
        if path.name.startswith(".old-") and path.is_dir():
            version = path.name[len(".old-"):].rsplit("-", 1)[0]
            if not (releases / version).exists():
                os.replace(path, releases / version)
                log(f"restored release {version}, moved aside by an interrupted build")
                continue
        if path.name.startswith((".staging-", ".old-")) and path.is_dir() and not path.is_symlink():
            size = _size(path)
            shutil.rmtree(path)
            log(f"removed {path.name} ({size / 1e6:.1f} MB), left by an interrupted build")


def os_error_message(exc: OSError, build_dir: Path) -> str:
    """One line for a failed file operation: why (disk full, permissions, ...) and where."""
    if exc.filename:
        where = str(exc.filename) + (f" -> {exc.filename2}" if exc.filename2 else "")
    else:  # pyoxigraph's errors name no file
        where = f"writing in {build_dir}"
    return f"{exc.strerror or exc} ({where}); the previous release, if any, is still current"
