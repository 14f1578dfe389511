"""The house rules, read from the code with `ast` (docs/architecture.md):

- the domain (tsunagi/domain) imports no web framework, no forms and no audience;
- the web floor (tsunagi/web) imports no audience;
- the audiences (kiosk, outreach, inbox, api) never import each other;
- only the app factory (tsunagi/__init__.py) imports the audiences;
- no import cycle among the modules of tsunagi/.

Every import counts, also one inside a function: a lazy import is still a dependency.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

AUDIENCES = ("kiosk", "outreach", "inbox", "api")
WEB_FRAMEWORKS = ("flask", "werkzeug", "wtforms", "jinja2", "markupsafe", "babel", "flask_babel", "flask_wtf",
                  "flask_login", "flask_limiter")
PACKAGES = ("tsunagi", "forms", *AUDIENCES)


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(root: Path, path: Path) -> set[str]:
    """The modules `path` imports, absolute, at any depth of the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(root, path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                prefix = ".".join(base)
                module = f"{prefix}.{node.module}" if node.module else prefix
            else:
                module = node.module or ""
            found.add(module)
            # `from tsunagi.domain import intakes` imports the module tsunagi.domain.intakes
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def graph(root: Path) -> dict[str, set[str]]:
    """Each project module and the project modules it imports."""
    files = [p for package in PACKAGES if (root / package).exists()
             for p in sorted((root / package).rglob("*.py"))]
    modules = {module_name(root, p): p for p in files}
    return {name: {m for m in imports_of(root, path) if m in modules and m != name}
            for name, path in modules.items()} | {
        f"{name}!external": {m for m in imports_of(root, path)} for name, path in modules.items()}


def _top(module: str) -> str:
    return module.split(".")[0]


def breaches(root: Path) -> list[str]:
    edges = graph(root)
    found = []
    for name, imported in edges.items():
        if not name.endswith("!external"):
            continue
        module = name.removesuffix("!external")
        for target in sorted(imported):
            top = _top(target)
            if module.startswith("tsunagi.domain"):
                if top in WEB_FRAMEWORKS or top in AUDIENCES or top == "forms" \
                        or target.startswith("tsunagi.web") or target == "tsunagi":
                    found.append(f"domain module {module} imports {target}")
            elif module.startswith("tsunagi.web"):
                if top in AUDIENCES or target == "tsunagi":
                    found.append(f"web module {module} imports {target}")
            elif _top(module) in AUDIENCES:
                if top in AUDIENCES and top != _top(module):
                    found.append(f"audience module {module} imports {target}")
            elif _top(module) == "forms" and top in AUDIENCES:
                found.append(f"forms module {module} imports {target}")
            if module != "tsunagi" and _top(module) == "tsunagi" and top in AUDIENCES:
                found.append(f"{module} imports the audience {target} (only create_app may)")
    return sorted(set(found))


def cycles(root: Path) -> list[list[str]]:
    """Import cycles among the modules of tsunagi/ (each found once)."""
    edges = {k: {m for m in v if _top(m) == "tsunagi"} for k, v in graph(root).items()
             if not k.endswith("!external") and _top(k) == "tsunagi"}
    found, state, stack = [], {}, []

    def visit(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


def test_the_floors_keep_their_rules():
    assert breaches(ROOT) == []


def test_no_import_cycle_in_the_core():
    assert cycles(ROOT) == []


def _copy_tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            target = root / path.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    return root


@pytest.mark.parametrize("path, line, breach", [
    ("tsunagi/domain/intakes.py", "from flask import current_app", "domain module tsunagi.domain.intakes imports flask"),
    ("tsunagi/domain/triage/decide.py", "    from tsunagi.web.context import policy",
     "domain module tsunagi.domain.triage.decide imports tsunagi.web.context"),
    ("tsunagi/web/present.py", "from inbox import views", "web module tsunagi.web.present imports inbox"),
    ("api/provider.py", "from inbox.views import summary", "audience module api.provider imports inbox.views"),
])
def test_a_forbidden_import_is_found(tmp_path, path, line, breach):
    root = _copy_tree(tmp_path)
    target = root / path
    target.write_text(target.read_text(encoding="utf-8") + f"\n\ndef _added():\n{line if line.startswith(' ') else '    ' + line}\n")
    assert breach in breaches(root)


def test_a_cycle_is_found(tmp_path):
    root = _copy_tree(tmp_path)
    vocabulary = root / "tsunagi/domain/vocabulary.py"
    vocabulary.write_text(vocabulary.read_text(encoding="utf-8") + "\nfrom tsunagi.domain import lifecycle  # noqa\n")
    assert any("tsunagi.domain.vocabulary" in c and "tsunagi.domain.lifecycle" in c for c in cycles(root))
