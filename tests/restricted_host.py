"""Run a command on a simulated host that forbids what containers often forbid.

``python tests/restricted_host.py userns[,seccomp] -- COMMAND ARGS...`` installs a
seccomp filter on itself, then execs COMMAND, which inherits the filter (and
every process it starts does too; a filter cannot be removed):

- ``userns``: ``unshare`` and ``clone`` with CLONE_NEWUSER fail with EPERM and
  ``clone3`` with ENOSYS (glibc then falls back to ``clone``), as under Docker's
  default seccomp profile;
- ``seccomp``: ``prctl(PR_SET_SECCOMP)`` and the ``seccomp`` system call fail with
  EPERM, as on hosts that give no way to add filters.

The filter is built by :mod:`scograph.store.seccomp` (the same BPF builder the
query workers use), with rules that are this file's own.
"""

from __future__ import annotations

import errno
import os
import sys

from scograph.store import seccomp

PR_SET_SECCOMP = 22


def rules_for(forbidden: set[str]) -> list[seccomp.Rule]:
    rules: list[seccomp.Rule] = []
    if "userns" in forbidden:
        rules += [
            seccomp.Rule("unshare", errno.EPERM, arg=0, has_bits=seccomp.CLONE_NEWUSER),
            seccomp.Rule("clone", errno.EPERM, arg=0, has_bits=seccomp.CLONE_NEWUSER),
            seccomp.Rule("clone3", errno.ENOSYS),
        ]
    if "seccomp" in forbidden:
        rules += [
            seccomp.Rule("prctl", errno.EPERM, arg=0, equals=PR_SET_SECCOMP),
            seccomp.Rule("seccomp", errno.EPERM),
        ]
    return rules


def main(argv: list[str]) -> None:
    if len(argv) < 4 or argv[2] != "--":
        sys.exit("usage: restricted_host.py userns[,seccomp] -- COMMAND ARGS...")
    forbidden = set(argv[1].split(","))
    unknown = forbidden - {"userns", "seccomp"}
    if unknown:
        sys.exit(f"restricted_host.py: unknown restriction {', '.join(sorted(unknown))}")
    failure = seccomp.install(rules_for(forbidden))
    if failure:
        sys.exit(f"restricted_host.py: could not restrict this process: {failure}")
    os.execv(argv[3], argv[3:])


if __name__ == "__main__":
    main(sys.argv)
