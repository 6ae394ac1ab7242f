"""A seccomp filter, installed by a process on itself, that takes away its network.

Why seccomp: it is the wall that needs no user namespace. Docker's and
Podman's default profiles, Kubernetes pods and many CI sandboxes refuse
``unshare(CLONE_NEWUSER)``, but all of them let an unprivileged process add a
filter to itself once it has set ``PR_SET_NO_NEW_PRIVS`` (filters only ever take
rights away, and a process cannot remove one). Landlock (ABI 4+) was the other
candidate; it governs TCP ``connect``/``bind`` only, so UDP (DNS lookups to
exfiltrate data), raw and netlink sockets would stay open, and it is missing
from many container kernels' LSM list; see docs/security.md.

The filter (classic BPF, checked by the kernel on every system call):

- a system call of another architecture than the one this process runs
  (i386 ``int 0x80`` on x86_64, the x32 ABI) fails with EACCES: a 64-bit Python
  never makes one, and they would bypass the number checks below;
- ``socket()`` fails with EACCES, for every address family (IPv4, IPv6,
  packet, netlink, vsock...) and AF_UNIX too: the worker only talks to its
  parent over the socket pair it inherited, and a new AF_UNIX socket could reach
  a local daemon that goes out for it: glibc's name lookups ask nscd or
  systemd-resolved over AF_UNIX, and a lookup of ``secret.attacker.example`` is
  a DNS query leaving the host (path-named AF_UNIX sockets ignore network
  namespaces, so this wall closes a hole the namespace leaves open);
  ``socketpair()`` stays allowed (it connects nothing new);
- ``io_uring_setup`` fails with EPERM: io_uring can open sockets without the
  ``socket`` system call;
- everything else is allowed.

Only x86_64 and aarch64 are known; elsewhere :func:`deny_network` says the
mechanism is unavailable rather than install a filter with wrong numbers.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct

_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2

_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000

# classic BPF opcodes
_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_JSET_K = 0x45  # BPF_JMP | BPF_JSET | BPF_K
_RET_K = 0x06  # BPF_RET | BPF_K

# offsets in struct seccomp_data {int nr; u32 arch; u64 ip; u64 args[6];} (little endian)
_OFF_NR = 0
_OFF_ARCH = 4


def _off_arg(index: int) -> int:
    return 16 + 8 * index  # the low 32 bits of args[index]


AF_UNIX = 1
CLONE_NEWUSER = 0x10000000
_X32_SYSCALL_BIT = 0x40000000


#: AUDIT_ARCH value and the system call numbers used here, per machine.
ARCHES = {
    "x86_64": {
        "audit_arch": 0xC000003E,
        "x32_bit": True,
        "socket": 41, "io_uring_setup": 425, "unshare": 272, "clone": 56, "clone3": 435,
        "seccomp": 317, "prctl": 157,
    },
    "aarch64": {
        "audit_arch": 0xC00000B7,
        "x32_bit": False,
        "socket": 198, "io_uring_setup": 425, "unshare": 97, "clone": 220, "clone3": 435,
        "seccomp": 277, "prctl": 167,
    },
}


def current_arch() -> dict | None:
    machine = platform.machine().lower()
    return ARCHES.get({"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine))


class Rule:
    """Fail system call ``name`` with ``error`` when argument ``arg`` (low 32 bits)
    ``equals`` a value, ``is_not`` a value, or ``has_bits`` set; always when no condition."""

    def __init__(self, name: str, error: int, *, arg: int = 0, equals: int | None = None,
                 is_not: int | None = None, has_bits: int | None = None):
        self.name, self.error, self.arg = name, error, arg
        self.equals, self.is_not, self.has_bits = equals, is_not, has_bits


def _program(arch: dict, rules: list[Rule]) -> list[tuple[int, int, int, int]]:
    """The filter as (code, jt, jf, k) instructions; jumps are relative to the next one."""
    deny_foreign = _RET_ERRNO | errno.EACCES
    prog: list[tuple[int, int, int, int]] = [
        (_LD_W_ABS, 0, 0, _OFF_ARCH),
        (_JEQ_K, 1, 0, arch["audit_arch"]),
        (_RET_K, 0, 0, deny_foreign),
        (_LD_W_ABS, 0, 0, _OFF_NR),
    ]
    if arch["x32_bit"]:
        prog += [(_JGE_K, 0, 1, _X32_SYSCALL_BIT), (_RET_K, 0, 0, deny_foreign)]
    for rule in rules:
        # Each rule is a self-contained block that ends with the number reloaded in A.
        block: list[tuple[int, int, int, int]] = []
        deny = (_RET_K, 0, 0, _RET_ERRNO | rule.error)
        if rule.equals is None and rule.is_not is None and rule.has_bits is None:
            block = [deny]
        else:
            block.append((_LD_W_ABS, 0, 0, _off_arg(rule.arg)))
            if rule.equals is not None:
                block.append((_JEQ_K, 0, 1, rule.equals))  # equal: fall into deny; else skip it
            elif rule.is_not is not None:
                block.append((_JEQ_K, 1, 0, rule.is_not))  # equal: skip deny
            else:
                block.append((_JSET_K, 0, 1, rule.has_bits))
            block.append(deny)
            block.append((_LD_W_ABS, 0, 0, _OFF_NR))
        prog.append((_JEQ_K, 0, len(block), arch[rule.name]))
        prog += block
    prog.append((_RET_K, 0, 0, _RET_ALLOW))
    return prog


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install(rules: list[Rule]) -> str | None:
    """Install a filter failing the system calls ``rules`` name; None if done, else why not."""
    arch = current_arch()
    if arch is None or struct.calcsize("P") != 8:  # a 32-bit process would make only "foreign" calls
        return f"seccomp: unknown architecture {platform.machine()} ({struct.calcsize('P') * 8}-bit process)"
    try:
        threads = len(os.listdir("/proc/self/task"))
    except OSError:
        threads = 1
    if threads > 1:  # a filter set with prctl covers the calling thread and its future children only
        return f"seccomp: the process already runs {threads} threads, which the filter would not cover"
    program = _program(arch, rules)
    raw = b"".join(struct.pack("=HBBI", *insn) for insn in program)
    buffer = ctypes.create_string_buffer(raw, len(raw))
    fprog = _SockFprog(len(program), ctypes.cast(buffer, ctypes.c_void_p))
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError as exc:
        return f"seccomp: no C library ({exc})"
    ulong = ctypes.c_ulong
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, ulong(1), ulong(0), ulong(0), ulong(0)) != 0:
        return f"seccomp: PR_SET_NO_NEW_PRIVS refused ({os.strerror(ctypes.get_errno())})"
    if libc.prctl(_PR_SET_SECCOMP, ulong(_SECCOMP_MODE_FILTER), ctypes.byref(fprog), ulong(0), ulong(0)) != 0:
        return f"seccomp: filter refused ({os.strerror(ctypes.get_errno())})"
    return None


NETWORK_RULES = [
    Rule("socket", errno.EACCES),
    Rule("io_uring_setup", errno.EPERM),
]


def deny_network() -> str | None:
    """Take this process's network away for good; None if done, else the reason it could not."""
    return install(NETWORK_RULES)
