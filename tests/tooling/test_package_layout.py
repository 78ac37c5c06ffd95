"""The package's layout rules, checked on its source (each checker is shown to fail too).

- no import cycle between locus_store's modules, counting imports inside functions
  (imports under ``if TYPE_CHECKING:`` are not run, so they do not count; importing
  a submodule runs its parent packages first, which is not an edge either);
- no module imports a private name (``_x``) from another package, nor a module under
  a private path component from outside the package that owns it;
- repositories never branch on the dialect name: no dialect name appears in them;
- every package opens with a docstring naming its job.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = "locus_store"
DIALECTS = {"oracle", "postgresql", "sqlite"}
#: The modules that bind and run a contract's statements.
REPOSITORIES = (
    "locus_store.latest.checkpointer",
    "locus_store.versioned.saver",
    "locus_store.versioned.checkpointer",
    "locus_store.langgraph.saver",
)


def modules(root: Path, package: str = PACKAGE) -> dict[str, Path]:
    """Every module under ``root/package``, by dotted name (a package by its own name)."""
    found: dict[str, Path] = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _run_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that runs (anywhere, functions included), but not under
    ``if TYPE_CHECKING:``."""
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            pending.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        pending.extend(ast.iter_child_nodes(node))


def _absolute(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports(root: Path, package: str = PACKAGE) -> dict[str, set[tuple[str, str]]]:
    """``{module: {(imported module, imported name or "")}}`` for imports that run."""
    known = modules(root, package)
    found: dict[str, set[tuple[str, str]]] = {}
    for name, path in known.items():
        tree = ast.parse(path.read_text(), str(path))
        is_package = path.name == "__init__.py"
        edges: set[tuple[str, str]] = set()
        for node in _run_imports(tree):
            if isinstance(node, ast.Import):
                edges.update((alias.name, "") for alias in node.names)
                continue
            source = _absolute(node, name, is_package)
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                edges.add((submodule, "") if submodule in known else (source, alias.name))
        found[name] = {e for e in edges if e[0] == package or e[0].startswith(package + ".")}
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (or a self-import)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def import_graph(root: Path, package: str = PACKAGE) -> dict[str, set[str]]:
    """Module → modules it imports, without the implicit edges to its parent packages."""
    graph: dict[str, set[str]] = {}
    for name, edges in imports(root, package).items():
        targets = {target for target, _ in edges}
        graph[name] = {t for t in targets if not name.startswith(t + ".")}
    return graph


def private_imports(root: Path, package: str = PACKAGE) -> list[str]:
    """Imports of a private name, or of a private module path, from outside its owner.

    A private name belongs to the package of the module defining it; a private path
    component (``pkg._engine``) to the package above it.
    """
    known = modules(root, package)

    def package_of(module: str) -> str:
        is_package = module in known and known[module].name == "__init__.py"
        return module if is_package else module.rsplit(".", 1)[0]

    def inside(importer: str, owner: str) -> bool:
        return importer == owner or importer.startswith(owner + ".")

    found: list[str] = []
    for importer, edges in imports(root, package).items():
        for module, name in sorted(edges):
            parts = module.split(".")
            for depth, part in enumerate(parts):
                private = part.startswith("_") and not part.startswith("__")
                if private and not inside(importer, ".".join(parts[:depth])):
                    found.append(f"{importer} imports {module}")
            private = name.startswith("_") and not name.startswith("__")
            if private and package_of(importer) != package_of(module):
                found.append(f"{importer} imports {name} from {module}")
    return sorted(found)


def dialect_names_in(path: Path) -> list[int]:
    """Lines of ``path`` with a dialect name as a string constant (docstrings aside)."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return sorted(
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and id(node) not in docstrings
        and isinstance(node.value, str)
        and node.value.lower() in DIALECTS
    )


# -- the package ----------------------------------------------------------------------
def test_no_import_cycle_between_the_packages_modules() -> None:
    assert cycles(import_graph(SRC)) == []


def test_no_module_imports_a_private_name_of_another_package() -> None:
    assert private_imports(SRC) == []


@pytest.mark.parametrize("module", REPOSITORIES)
def test_repositories_never_name_a_dialect(module: str) -> None:
    assert dialect_names_in(modules(SRC)[module]) == []


def test_every_package_opens_with_a_docstring() -> None:
    missing = [
        name
        for name, path in modules(SRC).items()
        if path.name == "__init__.py" and not ast.get_docstring(ast.parse(path.read_text()))
    ]
    assert missing == []


# -- the checkers fail on what they look for --------------------------------------------
def _plant(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_cycle_through_a_function_level_import_is_found(tmp_path: Path) -> None:
    root = _plant(
        tmp_path,
        {
            "pkg/__init__.py": '"""p."""\n',
            "pkg/a.py": "from pkg.b import thing\n",
            "pkg/b.py": "def thing():\n    from pkg import a\n    return a\n",
            "pkg/c.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n"
            ),
        },
    )
    assert cycles(import_graph(root, "pkg")) == [["pkg.a", "pkg.b"]]


def test_a_private_import_across_packages_is_found(tmp_path: Path) -> None:
    root = _plant(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/one/__init__.py": "",
            "pkg/one/mod.py": "def _helper(): ...\n",
            "pkg/one/near.py": "from pkg.one.mod import _helper\n",
            "pkg/one/_inner.py": "",
            "pkg/two/__init__.py": "",
            "pkg/two/far.py": "from pkg.one.mod import _helper\nfrom pkg.one import _inner\n",
        },
    )
    assert private_imports(root, "pkg") == [
        "pkg.two.far imports _helper from pkg.one.mod",
        "pkg.two.far imports pkg.one._inner",
    ]


def test_a_dialect_name_in_code_is_found_and_one_in_a_docstring_is_not(tmp_path: Path) -> None:
    path = tmp_path / "repo.py"
    path.write_text(
        '"""Runs on oracle."""\n\ndef f(store):\n    return store.dialect == "oracle"\n'
    )
    assert dialect_names_in(path) == [4]
