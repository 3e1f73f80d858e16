"""The layout stays true: data flows one way, and each package keeps its rule.

Stages, earliest first: the model (model, errors, config), reading, store,
catalog, render, web; the edges (the app factory, cli, check, build) may use
them all. A module may import its own stage and earlier ones, never a later
one. Every import is found in the source, function-level ones included.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import ROOT

PACKAGE = ROOT / "feedsvc"
STAGES = {
    "model": 0,
    "errors": 0,
    "config": 0,
    "reading": 1,
    "store": 2,
    "catalog": 3,
    "render": 4,
    "web": 5,
    "cli": 6,
    "check": 6,
    "build": 6,
    "__init__": 6,
    "__main__": 6,
}
# Third-party imports that only one stage may make, and which stage.
ONLY_IN = {
    "sqlite3": "store",
    "psycopg": "store",
    "flask": "web",
    "feedgen": "render",
    "jinja2": "render",
}
MAX_LINES = 300


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def name_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage_of(module: str) -> str:
    """Return the stage of a feedsvc module name: its first part below feedsvc."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports(path: Path, package: str = "") -> list[tuple[str, list[str], int]]:
    """Return (module, names, line) for every import in PATH, relative ones resolved.

    PACKAGE is the package PATH belongs to; by default, the one it sits in.
    """
    if not package:
        name = name_of(path)
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.append((base, [a.name for a in node.names], node.lineno))
    return found


def targets(module: str, names: list[str]) -> list[str]:
    """Return the feedsvc modules an import of NAMES from MODULE reaches."""
    if module == "feedsvc" and names:  # `from feedsvc import x`: x is a module or a name
        return [f"feedsvc.{n}" if (PACKAGE / n).exists() or (PACKAGE / f"{n}.py").exists()
                else "feedsvc" for n in names]  # fmt: skip
    return [module]


@pytest.mark.parametrize("path", modules(), ids=lambda p: name_of(p))
def test_no_module_imports_a_later_stage(path: Path) -> None:
    own = stage_of(name_of(path))
    for module, names, line in imports(path):
        if not module.startswith("feedsvc"):
            continue
        for target in targets(module, names):
            if target == "feedsvc":  # the package root: only its version is shared
                assert names == ["__version__"] or STAGES[own] == 6, (path, line, names)
                continue
            later = stage_of(target)
            assert STAGES[later] <= STAGES[own], f"{name_of(path)}:{line} imports {target}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: name_of(p))
def test_third_party_imports_stay_in_their_stage(path: Path) -> None:
    own = stage_of(name_of(path))
    for module, _, line in imports(path):
        top = module.split(".")[0]
        if top in ONLY_IN:
            assert own in (ONLY_IN[top], "__init__"), f"{name_of(path)}:{line} imports {module}"


def test_render_never_reaches_the_store_and_reading_never_the_clock() -> None:
    for path in (PACKAGE / "render").rglob("*.py"):
        assert not any(m.startswith("feedsvc.store") for m, _, _ in imports(path)), path
    for path in [*(PACKAGE / "reading").rglob("*.py"), *(PACKAGE / "render").rglob("*.py")]:
        source = path.read_text("utf-8")
        assert ".now(" not in source and "time.time(" not in source, path


def test_only_routes_touches_the_request() -> None:
    for path in modules():
        for module, names, line in imports(path):
            if module == "flask" and "request" in names:
                assert path == PACKAGE / "web" / "routes.py", f"{path}:{line}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: name_of(p))
def test_no_module_is_over_300_lines(path: Path) -> None:
    lines = len(path.read_text("utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name_of(path)} has {lines} lines: split it"


@pytest.mark.parametrize("package", ["reading", "store", "catalog", "render", "web"])
def test_each_stage_states_its_rule(package: str) -> None:
    docstring = ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text()))
    assert docstring and "Rule:" in docstring


def test_the_layout_test_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from ..web.routes import bp\nimport flask\n")
    [(module, names, _), (flask, _, _)] = imports(bad, "feedsvc.reading")
    assert (module, names, flask) == ("feedsvc.web.routes", ["bp"], "flask")
    assert STAGES[stage_of(module)] > STAGES["reading"] and ONLY_IN[flask] != "reading"
