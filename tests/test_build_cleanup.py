"""A build that dies leaves nothing behind that lives on (issue 9.8).

- ``kill -9`` of a real ``scograph build`` while it writes its staging directory
  keeps ``current`` intact; the next build removes the staging directory;
  a concurrent build's staging directory (the build lock is held) is never removed.
- ``kill -9`` of the build's main process kills its validation processes too.
- An operating-system error (file too large, a file where a directory must be)
  is one line ``build failed: ...``, exit 1, and the last release stays current.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from scograph.build import build
from scograph.config import Settings
from scograph.release import current_release
from tests.conftest import REPO

SCOGRAPH = Path(sys.executable).with_name("scograph")


def _copy_sources(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    for name in ("ontology", "data", "shapes"):
        shutil.copytree(REPO / name, root / name)
    return root


def _change_sources(root: Path) -> None:
    """A different but valid source tree: a new release version."""
    places = root / "data" / "places.ttl"
    places.write_text(places.read_text("utf-8").replace('"Montréal"@en', '"Montreal"@en'), "utf-8")


def _checksums_hold(release_dir: Path) -> bool:
    for line in (release_dir / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        if hashlib.sha256((release_dir / name).read_bytes()).hexdigest() != digest:
            return False
    return True


def _leftovers(build_dir: Path) -> list[str]:
    return sorted(p.name for p in (build_dir / "releases").iterdir() if p.name.startswith("."))


def _build_cli(root: Path, build_dir: Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCOGRAPH), "build", "--sources", str(root), "--build-dir", str(build_dir)],
        capture_output=True, text=True, timeout=300, **kwargs,
    )


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for an init that may never reap it counts as dead)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def test_kill_9_mid_build_keeps_current_and_the_next_build_removes_the_staging_directory(tmp_path):
    root = _copy_sources(tmp_path)
    build_dir = tmp_path / "build"
    good = build(Settings(source_root=root, build_dir=build_dir))
    _change_sources(root)

    process = subprocess.Popen(
        [str(SCOGRAPH), "build", "--sources", str(root), "--build-dir", str(build_dir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    staging: list[Path] = []
    while time.monotonic() < deadline and process.poll() is None:
        staging = [p for p in (build_dir / "releases").glob(".staging-*") if any(p.iterdir())]
        if staging:
            process.send_signal(signal.SIGKILL)  # mid-way: the staging directory is being written
            break
        time.sleep(0.002)
    process.wait(timeout=30)
    assert staging and process.returncode == -signal.SIGKILL, "the build was not caught while writing its release"

    # current is intact: still the good release, every file as its checksums say.
    assert current_release(build_dir).version == good.version
    assert _checksums_hold(good.path)
    assert [p.name for p in staging] == [n for n in _leftovers(build_dir) if n.startswith(".staging-")]

    result = _build_cli(root, build_dir)
    assert result.returncode == 0, result.stderr
    assert f"removed {staging[0].name}" in result.stderr
    assert _leftovers(build_dir) == []
    assert current_release(build_dir).version != good.version


def test_a_running_build_keeps_its_staging_directory(tmp_path):
    """Cleanup happens only under the build lock: the staging of a build holding it is not touched."""
    root = _copy_sources(tmp_path)
    build_dir = tmp_path / "build"
    (build_dir / "releases" / ".staging-abc123-4242").mkdir(parents=True)
    with (build_dir / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a build in progress holds it
        result = _build_cli(root, build_dir)
        assert result.returncode == 1
        assert "another build is running" in result.stderr
        assert _leftovers(build_dir) == [".staging-abc123-4242"]
    result = _build_cli(root, build_dir)  # the lock is free: that staging is stale now
    assert result.returncode == 0, result.stderr
    assert _leftovers(build_dir) == []


def test_an_interrupted_force_rebuild_gets_its_release_back(tmp_path):
    """A --force rebuild moves the release aside before the switch; killed in between, the next build moves it back."""
    build_dir = tmp_path / "build"
    good = build(Settings(source_root=REPO, build_dir=build_dir))
    aside = good.path.parent / f".old-{good.version}-4242"
    os.replace(good.path, aside)  # the state a kill -9 between the two renames leaves
    result = _build_cli(REPO, build_dir)
    assert result.returncode == 0, result.stderr
    assert f"restored release {good.version}" in result.stderr
    assert current_release(build_dir).version == good.version and _checksums_hold(good.path)
    assert _leftovers(build_dir) == []


def test_validation_processes_die_with_the_build(tmp_path):
    """A corpus of several partitions is validated in a process pool; kill -9 of the build kills the pool."""
    corpus = tmp_path / "corpus"
    made = subprocess.run(
        [str(SCOGRAPH), "synthetic", "--triples", "90000", "--out", str(corpus), "--sources", str(REPO)],
        capture_output=True, text=True, timeout=120,
    )
    assert made.returncode == 0, made.stderr
    assert len(list((corpus / "data" / "synthetic").glob("*.ttl"))) >= 2  # partitions: a pool is used
    process = subprocess.Popen(
        [str(SCOGRAPH), "build", "--sources", str(corpus), "--build-dir", str(tmp_path / "build")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        workers: set[int] = set()
        while time.monotonic() < deadline and process.poll() is None and len(workers) < 2:
            workers = {pid for pid in _children(process.pid) if _alive(pid)}
            time.sleep(0.05)
        assert len(workers) >= 2, "the build did not start its validation processes"
        time.sleep(0.5)  # let them get into their partitions
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
            time.sleep(0.05)
        survivors = [pid for pid in workers if _alive(pid)]
        assert survivors == [], f"validation processes {survivors} outlived their build"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pid in workers:  # never leave runaway validations on a shared machine, even when the test fails
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _limit_file_size() -> None:
    # Python ignores SIGXFSZ, so a write past the limit fails with EFBIG ("File too large"):
    # an OSError in the middle of writing the release, as a full disk gives (and root cannot bypass it).
    resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))


def test_an_os_error_mid_build_is_one_line_and_keeps_the_last_release(tmp_path):
    root = _copy_sources(tmp_path)
    build_dir = tmp_path / "build"
    good = build(Settings(source_root=root, build_dir=build_dir))
    _change_sources(root)
    result = _build_cli(root, build_dir, preexec_fn=_limit_file_size)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    [failure] = [line for line in result.stderr.splitlines() if line.startswith("build failed:")]
    assert "File too large" in failure and "previous release" in failure
    assert result.stderr.splitlines()[-1] == failure
    assert current_release(build_dir).version == good.version and _checksums_hold(good.path)
    assert _leftovers(build_dir) == []  # the failed build cleaned up after itself


def test_a_file_where_the_build_directory_must_be_is_one_line(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory\n")
    result = _build_cli(REPO, blocker / "build")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"build failed: Not a directory ({blocker / 'build'}); the previous release, if any, is still current"
    ]
