"""Real triplestores for the tests: an Oxigraph server and Virtuoso open source, on 127.0.0.1.

Each is started in a temporary directory on free ports and stopped afterwards.
A missing binary fails the test (CI installs them): ``oxigraph`` comes from
PyPI (the ``test`` extra), ``virtuoso-t`` / ``isql-vt`` from the Debian package
``virtuoso-opensource``.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


from scograph.publish import Target
from tests.processes import free_port, require_binary, stop, wait_until_ready

VIRTUOSO_USER = "scograph"
VIRTUOSO_PASSWORD = "scograph-test"


@dataclass(frozen=True)
class RunningStore:
    kind: str  # "oxigraph" or "virtuoso"
    root_url: str
    query_url: str
    target: Target
    pid: int = 0  # the server process (benchmarks read its peak memory)


@contextlib.contextmanager
def oxigraph_server(directory: Path) -> Iterator[RunningStore]:
    binary = require_binary("oxigraph", "pip install 'scograph[test]' (the oxigraph server from PyPI)")
    port = free_port()
    log = directory / "oxigraph.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, "serve", "--location", str(directory / "data"), "--bind", f"127.0.0.1:{port}", "--timeout-s", "20"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        root = f"http://127.0.0.1:{port}"
        wait_until_ready(root + "/query", process, seconds=30, log=log, params={"query": "ASK {}"})
        yield RunningStore("oxigraph", root, root + "/query", Target.from_preset(root, "oxigraph"), process.pid)
    finally:
        stop(process)


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
CheckpointInterval = 0
DirsAllowed = ., {dir}
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
ServerThreads = 8
[SPARQL]
; high enough that no test result is silently cut by the server (unless a test lowers it)
ResultSetMaxRows = {max_rows}
MaxQueryExecutionTime = 30
"""

# A user that may write graphs through /sparql-graph-crud-auth and /sparql-auth (digest auth).
VIRTUOSO_SETUP = f"""
DB.DBA.USER_CREATE('{VIRTUOSO_USER}', '{VIRTUOSO_PASSWORD}');
GRANT SPARQL_UPDATE TO "{VIRTUOSO_USER}";
DB.DBA.RDF_DEFAULT_USER_PERMS_SET('{VIRTUOSO_USER}', 7);
"""


@contextlib.contextmanager
def virtuoso_server(directory: Path, *, result_set_max_rows: int = 10_000_000) -> Iterator[RunningStore]:
    hint = "apt-get install virtuoso-opensource"
    binary = require_binary("virtuoso-t", hint)
    isql = require_binary("isql-vt", hint)
    sql_port, http_port = free_port(), free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(
        VIRTUOSO_INI.format(dir=directory, sql_port=sql_port, http_port=http_port, max_rows=result_set_max_rows)
    )
    log = directory / "virtuoso.out"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, "+foreground", "+configfile", str(ini)], cwd=directory, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        root = f"http://127.0.0.1:{http_port}"
        # A fresh database is created on first start: allow a generous, bounded wait.
        wait_until_ready(root + "/sparql", process, seconds=90, log=log, params={"query": "ASK {}"})
        setup = subprocess.run(
            [isql, f"127.0.0.1:{sql_port}", "dba", "dba", f"exec={VIRTUOSO_SETUP}"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert setup.returncode == 0 and "Error" not in setup.stdout + setup.stderr, setup.stdout + setup.stderr
        target = Target.from_preset(root, "virtuoso", user=VIRTUOSO_USER, password=VIRTUOSO_PASSWORD)
        yield RunningStore("virtuoso", root, root + "/sparql", target, process.pid)
    finally:
        stop(process)
