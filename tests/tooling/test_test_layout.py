"""The test tree's layout: shared code in ``tests/support``, fixtures in conftests, nothing else.

- no module under ``tests/`` imports a conftest or a ``test_*.py`` module (at any depth,
  absolute or relative), so every test module can be read, run and moved on its own;
- ``tests/support`` defines no pytest fixture: what it holds is imported, never injected;
- a conftest defines fixtures and pytest hooks only (helpers live in ``tests/support``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def _module_name(path: Path, root: Path) -> list[str]:
    """The dotted name of ``path`` under ``root``'s parent (``tests/a/b.py`` -> tests.a.b)."""
    return [*path.relative_to(root.parent).with_suffix("").parts]


def _imported(node: ast.Import | ast.ImportFrom, here: list[str]) -> Iterator[str]:
    """Every module ``node`` may import, resolved to an absolute dotted name."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    if node.level:
        package = here[: len(here) - node.level]  # ``here`` names the module, not its package
        base = ".".join([*package, *([node.module] if node.module else [])])
    else:
        base = node.module or ""
    yield base
    yield from (f"{base}.{alias.name}" for alias in node.names)  # ``from pkg import test_x``


def _is_test_or_conftest(module: str, root_package: str) -> bool:
    parts = module.split(".")
    if parts[0] != root_package:
        return False
    return parts[-1] == "conftest" or parts[-1].startswith("test_")


def forbidden_imports(root: Path) -> list[str]:
    """``file: module`` for every import of a conftest or a test module under ``root``."""
    found: list[str] = []
    for path in sorted(root.rglob("*.py")):
        here = _module_name(path, root)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.extend(
                    f"{path.relative_to(root.parent)}: {module}"
                    for module in _imported(node, here)
                    if _is_test_or_conftest(module, root.name)
                )
    return found


def _is_fixture(decorator: ast.expr) -> bool:
    """``@fixture``, ``@pytest.fixture``, ``@pytest_asyncio.fixture``, called or not."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    if isinstance(target, ast.Attribute):
        return target.attr == "fixture"
    return isinstance(target, ast.Name) and target.id == "fixture"


def _functions(tree: ast.Module) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def fixtures_in_support(root: Path) -> list[str]:
    """``file: name`` for every fixture defined under ``root/support``."""
    return [
        f"{path.relative_to(root.parent)}: {function.name}"
        for path in sorted((root / "support").rglob("*.py"))
        for function in _functions(ast.parse(path.read_text(encoding="utf-8")))
        if any(_is_fixture(d) for d in function.decorator_list)
    ]


def conftest_helpers(root: Path) -> list[str]:
    """``file: name`` for every top-level function or class of a conftest that is neither a
    fixture nor a pytest hook."""
    found: list[str] = []
    for path in sorted(root.rglob("conftest.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) or (
                isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                and not node.name.startswith("pytest_")
                and not any(_is_fixture(d) for d in node.decorator_list)
            ):
                found.append(f"{path.relative_to(root.parent)}: {node.name}")
    return found


def test_no_module_imports_a_conftest_or_a_test_module() -> None:
    assert forbidden_imports(TESTS) == []


def test_support_defines_no_fixture() -> None:
    assert fixtures_in_support(TESTS) == []


def test_conftests_hold_fixtures_and_hooks_only() -> None:
    assert conftest_helpers(TESTS) == []


def _plant(root: Path, files: dict[str, str]) -> Path:
    """A ``tests`` tree under ``root`` holding ``files`` (path -> source)."""
    tests = root / "tests"
    for name, source in files.items():
        path = tests / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return tests


def test_the_import_check_sees_every_way_of_importing_a_test_module(tmp_path: Path) -> None:
    tests = _plant(
        tmp_path,
        {
            "__init__.py": "",
            "conftest.py": "from tests.contract.test_a import X\n",
            "contract/__init__.py": "",
            "contract/test_a.py": "from tests.conftest import empty_tables\nX = 1\n",
            "contract/test_b.py": "from . import test_a\nfrom .test_a import X\n",
            "contract/test_c.py": "def test_c():\n    import tests.cli.conftest\n",
            "contract/test_d.py": "from tests.contract import test_a\n",
            "contract/test_ok.py": "from tests.support.database import require\nimport test\n",
        },
    )
    assert forbidden_imports(tests) == [
        "tests/conftest.py: tests.contract.test_a",
        "tests/contract/test_a.py: tests.conftest",
        "tests/contract/test_b.py: tests.contract.test_a",
        "tests/contract/test_b.py: tests.contract.test_a",
        "tests/contract/test_c.py: tests.cli.conftest",
        "tests/contract/test_d.py: tests.contract.test_a",
    ]


def test_the_fixture_check_sees_a_fixture_in_support(tmp_path: Path) -> None:
    tests = _plant(
        tmp_path,
        {
            "support/db.py": (
                "import pytest\nfrom pytest import fixture\n"
                "@pytest.fixture\ndef a(): ...\n"
                "@pytest.fixture(scope='session')\nasync def b(): ...\n"
                "@fixture\ndef c(): ...\n"
                "def plain(): ...\n"
            ),
        },
    )
    assert fixtures_in_support(tests) == [
        "tests/support/db.py: a",
        "tests/support/db.py: b",
        "tests/support/db.py: c",
    ]


def test_the_conftest_check_sees_a_helper(tmp_path: Path) -> None:
    tests = _plant(
        tmp_path,
        {
            "conftest.py": (
                "import pytest\n"
                "def pytest_addoption(parser): ...\n"
                "@pytest.fixture\ndef store(): ...\n"
                "def require(target): ...\n"
                "class Result: ...\n"
            ),
        },
    )
    assert conftest_helpers(tests) == ["tests/conftest.py: require", "tests/conftest.py: Result"]
