"""How long the query guard takes on adversarial input, and where the engine's stack ends.

    python benchmarks/guard_bench.py                       # 8 KB .. 1 MB, every input kind
    python benchmarks/guard_bench.py --sizes 8,16,32 --guard old_guard.py   # another guard file
    python benchmarks/guard_bench.py --depth               # stack-overflow depths, fresh processes

The guard runs in the web process before any time limit applies, so its cost
must grow linearly with the input: the table shows microseconds per KB, which
should stay flat from 8 KB to 1 MB (the endpoint accepts 64 KB). ``tokens``
times the lexer alone; ``check`` the whole guard, which may stop early (a
nesting limit, an unterminated string): both are shown.

``--depth`` finds, by bisection in fresh Python processes running pyoxigraph in
the main thread with the default stack (as a query worker does), the smallest
nesting or chain that kills the process: the numbers behind MAX_NESTING and
MAX_CHAIN in :mod:`scograph.sparql.guard`.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import time
from collections.abc import Callable



def _fill(unit: str, size: int, head: str = "SELECT * WHERE { ?s ?p ", tail: str = " }") -> str:
    return head + unit * max(1, (size - len(head) - len(tail)) // len(unit)) + tail


#: name -> builder(size in bytes) -> query text
INPUTS: dict[str, Callable[[int], str]] = {
    "a.a.a": lambda n: _fill("a.", n),
    "a:a.a.": lambda n: _fill("a:a.a.", n),
    "unterminated \"": lambda n: _fill("a", n, head='SELECT * WHERE { ?s ?p "', tail=""),
    "unterminated <": lambda n: _fill("a", n, head="SELECT * WHERE { ?s ?p <", tail=""),
    '""" runs': lambda n: _fill('""" ', n, head="SELECT * WHERE { ?s ?p "),
    "unterminated \"\"\"": lambda n: _fill('a""', n, head='SELECT * WHERE { ?s ?p """'),
    "\\ runs": lambda n: _fill("\\", n),
    '\\\"\"\" runs': lambda n: _fill('\\"""', n, head='SELECT * WHERE { ?s ?p """'),
    "< runs": lambda n: _fill("<", n),
    "deep {": lambda n: _fill("{", n, head="SELECT * WHERE ", tail=""),
    "deep (": lambda n: _fill("(", n, head="SELECT * WHERE { FILTER", tail=""),
    "# comments": lambda n: _fill("# SERVICE <x>\n", n),
    "long pname": lambda n: "PREFIX ex: <http://e/> " + _fill("a", n, head="SELECT * WHERE { ?s ?p ex:", tail=" }"),
    "long prefix": lambda n: _fill("a", n, head="SELECT * WHERE { ?s ?p ", tail=": }"),
    "unicode": lambda n: _fill("é·\u0301ĳ", n),
    "a-a-a": lambda n: _fill("a-", n),
    "ex:a%": lambda n: _fill("%4", n, head="SELECT * WHERE { ?s ?p ex:a"),
    "?v runs": lambda n: _fill("?v ", n),
    "real VALUES": lambda n: _fill("<https://w3id.org/scograph/id/x/000001> ", n, head="SELECT ?s WHERE { VALUES ?s { ", tail="} ?s ?p ?o }"),
}


def _load_guard(path: str | None):
    if path is None:
        from scograph.sparql import guard

        return guard
    spec = importlib.util.spec_from_file_location("guard_under_test", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _time(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    try:
        call()
    except Exception:  # QueryError / QueryRefused are answers too
        pass
    return time.perf_counter() - started


def bench(sizes_kb: list[int], guard_path: str | None, kinds: list[str], budget: float) -> list[dict]:
    guard = _load_guard(guard_path)
    tokens = getattr(guard, "tokens", None)  # the new guard imports the lexer's tokens()
    rows = []
    for kind in kinds:
        for size_kb in sizes_kb:
            text = INPUTS[kind](size_kb * 1024)
            check = _time(lambda: guard.check_query(text + f" # {time.perf_counter()}", frozenset()))
            lex = _time(lambda: list(tokens(text))) if tokens else None
            rows.append({"input": kind, "kb": size_kb, "check_s": check, "tokens_s": lex})
            print(
                f"{kind:18} {size_kb:6} KB  check {check * 1000:9.1f} ms {check * 1e6 / size_kb:8.1f} us/KB"
                + (f"   tokens {lex * 1000:9.1f} ms {lex * 1e6 / size_kb:8.1f} us/KB" if lex is not None else ""),
                flush=True,
            )
            if check > budget:  # a super-linear guard: larger sizes would take minutes
                print(f"{kind:18} stopped: {check:.1f} s is over the {budget:.0f} s budget", flush=True)
                break
    return rows


# -- where the stack ends -----------------------------------------------------------------

DEPTH_QUERIES: dict[str, Callable[[int], str]] = {
    "nested { }": lambda n: "SELECT * WHERE " + "{ " * n + "?s ?p ?o " + "} " * n,
    "nested ( )": lambda n: "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * n + "true" + ")" * n + ") }",
    "{} UNION chain": lambda n: "SELECT * WHERE { " + "UNION".join(["{}"] * n) + " }",
    "OPTIONAL{} chain": lambda n: "SELECT * WHERE { ?s ?p ?o " + "OPTIONAL{}" * n + " }",
    "+1 chain": lambda n: "SELECT * WHERE { ?s ?p ?o FILTER(0" + "+1" * n + ">0) }",
    "|| chain": lambda n: "SELECT * WHERE { ?s ?p ?o FILTER(" + "||".join(["true"] * n) + ") }",
}
_RUN = """
import sys, pyoxigraph as ox
store = ox.Store()
store.add(ox.Quad(ox.NamedNode('http://e/s'), ox.NamedNode('http://e/p'), ox.NamedNode('http://e/o')))
result = store.query(sys.stdin.read())
if not isinstance(result, ox.QueryBoolean):
    list(result)
"""


def _survives(query: str) -> bool:
    try:
        run = subprocess.run([sys.executable, "-c", _RUN], input=query, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return True  # slow is not a crash
    return run.returncode == 0 or (run.returncode > 0 and "Error" in run.stderr)


def depth(limit: int = 1 << 15) -> list[dict]:
    rows = []
    for name, build in DEPTH_QUERIES.items():
        low, high = 1, min(256, limit)
        while high <= limit and _survives(build(high)):
            low, high = high, high * 2
        if high > limit:
            print(f"{name:18} no crash up to {low}", flush=True)
            rows.append({"query": name, "survives": low, "crashes": None})
            continue
        while high - low > max(1, low // 64):
            middle = (low + high) // 2
            low, high = (middle, high) if _survives(build(middle)) else (low, middle)
        print(f"{name:18} runs at {low}, kills the process at {high} ({len(build(high)) // 1024} KB)", flush=True)
        rows.append({"query": name, "survives": low, "crashes": high})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="8,16,32,64,128,256,512,1024", help="input sizes in KB, comma-separated")
    parser.add_argument("--inputs", default=",".join(INPUTS), help="input kinds, comma-separated")
    parser.add_argument("--guard", help="a guard.py file to time instead of the installed one (e.g. an old version)")
    parser.add_argument("--budget", type=float, default=10.0, help="stop growing an input past this many seconds")
    parser.add_argument("--depth", action="store_true", help="measure the engine's stack-overflow depths instead")
    parser.add_argument("--depth-max", type=int, default=1 << 15, help="give up looking for a crash past this depth")
    args = parser.parse_args(argv)
    if args.depth:
        depth(args.depth_max)
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    bench(sizes, args.guard, args.inputs.split(","), args.budget)
    return 0


if __name__ == "__main__":
    sys.exit(main())
