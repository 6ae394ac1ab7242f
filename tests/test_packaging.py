"""The package installs what it imports: `pip install .` alone must be enough to run `scograph serve`.

The test extras install more (lxml, for one, was once only there), so a missing runtime
dependency would pass every other test and fail the README's first command on a fresh machine.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "scograph"


def _imported_top_level_modules() -> set[str]:
    names: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n != "scograph"}


def _requirement_name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _installed_closure(names: set[str]) -> set[str]:
    """The declared distributions and everything they require (without extras), as installed here."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requirements = metadata.requires(name) or ()
        except metadata.PackageNotFoundError:  # e.g. a requirement for older Pythons only: it provides nothing here
            continue
        for requirement in requirements:
            if "extra ==" not in requirement:
                todo.append(_requirement_name(requirement))
    return seen


def test_every_third_party_import_comes_with_the_runtime_dependencies():
    declared = {_requirement_name(r) for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    provided = _installed_closure(declared)
    distributions = metadata.packages_distributions()
    missing = {}
    for module in sorted(_imported_top_level_modules()):
        owners = {d.lower().replace("_", "-") for d in distributions.get(module, [])}
        assert owners, f"{module} is imported by scograph but no installed distribution provides it"
        if not owners & provided:
            missing[module] = sorted(owners)
    assert not missing, f"imported by src/scograph but not in [project] dependencies: {missing}"


def test_query_workers_import_no_rdflib_and_their_prefixes_are_the_namespaces():
    """A query worker is a fresh interpreter per process: rdflib would cost each ~100 ms and
    several MiB for nothing. The plain prefix table it uses names the namespaces' own IRIs."""
    import subprocess
    import sys

    from rdflib.namespace import DCAT, DCTERMS, OWL, PROV, RDF, RDFS, SDO, SH, SKOS, TIME, VOID, XSD

    from scograph import namespaces
    from scograph.prefixes import PREFIXES

    done = subprocess.run(
        [sys.executable, "-c", "import sys, scograph.store.query_worker; print('rdflib' in sys.modules)"],
        capture_output=True, text=True, check=True,
    )
    assert done.stdout.strip() == "False", done.stdout
    expected = {"skos": SKOS, "dcterms": DCTERMS, "prov": PROV, "dcat": DCAT, "void": VOID, "time": TIME,
                "schema": SDO, "owl": OWL, "rdf": RDF, "rdfs": RDFS, "xsd": XSD, "sh": SH,
                "scog": namespaces.SCOG, "eli": namespaces.ELI, "org": namespaces.ORG, "foaf": namespaces.FOAF,
                "sdg": namespaces.SDG, "sdgo": namespaces.SDGO, "wd": namespaces.WD, "spdx": namespaces.SPDX}
    assert PREFIXES == {prefix: str(namespace) for prefix, namespace in expected.items()}
    assert namespaces.PREFIXES is PREFIXES
