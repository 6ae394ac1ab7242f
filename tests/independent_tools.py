"""Run tools that share no code with scograph (Apache Jena, the OWL API, HermiT, jsonld.js).

They are installed by ``scripts/test.sh`` (Debian packages and ``tests/node``'s npm
packages); when one is missing the helper raises :class:`ToolMissing` with the command that
installs it, so the test fails with that sentence instead of being skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import zipfile
from functools import lru_cache
from pathlib import Path

import rdflib
from rdflib.namespace import RDF, SH

NODE_DIR = Path(__file__).resolve().parent / "node"
JAVA_DIR = Path(__file__).resolve().parent / "java"
DEBIAN_JARS = Path("/usr/share/java")
INSTALL = "run `bash scripts/test.sh` (it installs the independent validators)"

# slf4j ships several bindings and bridges; more than one on the class path aborts start-up.
_SLF4J_KEEP = {"slf4j-api.jar", "slf4j-nop.jar"}


class ToolMissing(AssertionError):
    """An independent tool the suite needs is not installed."""


def _java_dependencies(root: str) -> list[str]:
    """``root`` and every Java library package it depends on, transitively (from dpkg's records)."""
    seen, todo = set(), [root]
    while todo:
        package = todo.pop()
        if package in seen:
            continue
        seen.add(package)
        query = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}|${Depends}", package], capture_output=True, text=True)
        status, _, depends = query.stdout.partition("|")
        if not status.startswith("ii"):
            if package == root:
                raise ToolMissing(f"Debian package {package} is not installed: {INSTALL}")
            seen.discard(package)  # an alternative apt did not choose ("a | b")
            continue
        for clause in depends.split(","):
            for alternative in clause.split("|"):
                name = alternative.strip().split(" ")[0].split(":")[0]
                if name.startswith("lib") and name.endswith("-java"):
                    todo.append(name)
    return sorted(seen)


def _package_jars(packages: list[str]) -> list[str]:
    jars: set[str] = set()
    for package in packages:
        listing = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True)
        if listing.returncode != 0:
            raise ToolMissing(f"Debian package {package} is not installed: {INSTALL}")
        for line in listing.stdout.splitlines():
            path = Path(line)
            if path.parent == DEBIAN_JARS and path.suffix == ".jar":
                name = path.resolve().name
                if ("slf4j" in name or "log4j" in name) and name not in _SLF4J_KEEP:
                    continue
                jars.add(str(path.resolve()))
    return sorted(jars)


@lru_cache(maxsize=1)
def _xerces_messages_jar() -> str:
    """Debian's jena-core renames Jena's bundled Xerces to ``xerces.*`` but keeps its message
    files under ``org/apache/jena/ext/xerces``; without them Jena fails at start-up with
    "internal error". Copy them to where the classes look (no download, only a rename)."""
    source = DEBIAN_JARS / "jena-core.jar"
    handle, partial = tempfile.mkstemp(prefix="scograph-jena-xerces-messages-", suffix=".jar")
    os.close(handle)
    with zipfile.ZipFile(source) as jar, zipfile.ZipFile(partial, "w") as out:
        prefix = "org/apache/jena/ext/xerces/"
        for name in jar.namelist():
            if name.startswith(prefix) and name.endswith(".properties"):
                out.writestr("xerces/" + name[len(prefix):], jar.read(name))
    return partial


@lru_cache(maxsize=1)
def jena_classpath() -> str:
    if shutil.which("java") is None:
        raise ToolMissing(f"java is not installed: {INSTALL}")
    return ":".join(_package_jars(_java_dependencies("libapache-jena-java")) + [_xerces_messages_jar()])


def jena_shacl(data: Path, shapes: Path) -> rdflib.Graph:
    """Jena SHACL's validation report (``shacl validate``, Turtle) for ``data`` against ``shapes``."""
    done = subprocess.run(
        ["java", "-cp", jena_classpath(), "shacl.shacl", "validate", "--shapes", str(shapes), "--data", str(data)],
        capture_output=True, text=True, timeout=240,
    )
    assert done.returncode == 0, f"Jena SHACL failed on {shapes.name}: {done.stderr[-2000:]}"
    return rdflib.Graph().parse(data=done.stdout, format="turtle")


def _name(graph: rdflib.Graph, term) -> str:
    """A term as a comparable string: blank nodes by what they are, not their labels."""
    if term is None:
        return ""
    if isinstance(term, rdflib.BNode):
        inverse = graph.value(term, SH.inversePath)
        if inverse is not None:
            return "^" + _name(graph, inverse)
        return "_:blank"
    return term.n3()


def top_results(report: rdflib.Graph) -> list:
    """The report's results (``sh:result``), not the nested ``sh:detail`` ones pyshacl adds."""
    return [r for node in report.subjects(RDF.type, SH.ValidationReport) for r in report.objects(node, SH.result)]


def result_keys(report: rdflib.Graph) -> list[tuple[str, str, str, str]]:
    """(focus node, path, constraint component, severity) of every result, sorted, with repeats."""
    keys = []
    for result in top_results(report):
        keys.append(tuple(
            _name(report, report.value(result, p))
            for p in (SH.focusNode, SH.resultPath, SH.sourceConstraintComponent, SH.resultSeverity)
        ))
    return sorted(keys)


def report_conforms(report: rdflib.Graph) -> bool:
    node = next(report.subjects(RDF.type, SH.ValidationReport))
    return bool(report.value(node, SH.conforms).toPython())


def jsonld_js_to_nquads(path: Path) -> str:
    """jsonld.js's N-Quads for a JSON-LD file (remote contexts refused: the file must stand alone)."""
    if shutil.which("node") is None:
        raise ToolMissing(f"node is not installed: {INSTALL}")
    if not (NODE_DIR / "node_modules" / "jsonld").is_dir():
        raise ToolMissing(f"jsonld.js is not installed in tests/node: {INSTALL}")
    done = subprocess.run(
        ["node", str(NODE_DIR / "jsonld-to-nquads.mjs"), str(path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"jsonld.js failed on {path.name}: {done.stderr[-2000:]}"
    return done.stdout


@lru_cache(maxsize=1)
def _owlapi_checker() -> tuple[str, str]:
    """Compile tests/java/OwlDlProfileCheck.java against Debian's OWL API; (class dir, class path)."""
    if shutil.which("javac") is None:
        raise ToolMissing(f"javac is not installed: {INSTALL}")
    classpath = ":".join(_package_jars(_java_dependencies("libowlapi-java")))
    classes = Path(tempfile.mkdtemp(prefix="scograph-owlapi-"))
    done = subprocess.run(
        ["javac", "-d", str(classes), "-cp", classpath, str(JAVA_DIR / "OwlDlProfileCheck.java")],
        capture_output=True, text=True, timeout=240,
    )
    assert done.returncode == 0, f"OwlDlProfileCheck.java does not compile: {done.stderr[-2000:]}"
    return str(classes), classpath


def owl2_dl_profile_violations(ontology: Path) -> list[str]:
    """The OWL API's OWL 2 DL profile violations of an ontology file (empty: it is OWL 2 DL)."""
    classes, classpath = _owlapi_checker()
    done = subprocess.run(
        ["java", "-cp", f"{classes}:{classpath}", "OwlDlProfileCheck", str(ontology)],
        capture_output=True, text=True, timeout=240,
    )
    violations = [line for line in done.stdout.splitlines() if line.strip()]
    assert done.returncode in (0, 1), f"the OWL API could not load {ontology.name}: {done.stderr[-2000:]}"
    assert (done.returncode == 0) == (not violations), done.stderr[-500:]
    return violations


def hermit(ontology: Path, *options: str) -> subprocess.CompletedProcess:
    """HermiT's command line (the jar owlready2 ships, with its own OWL API) on an ontology file."""
    import owlready2

    jar = Path(owlready2.__file__).parent / "hermit" / "HermiT.jar"
    if not jar.is_file():
        raise ToolMissing(f"owlready2 without HermiT.jar: {INSTALL}")
    return subprocess.run(
        ["java", "-cp", str(jar), "org.semanticweb.HermiT.cli.CommandLine", *options, ontology.resolve().as_uri()],
        capture_output=True, text=True, timeout=240,
    )
