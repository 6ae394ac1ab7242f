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
