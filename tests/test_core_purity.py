"""Nothing under imap_sansio/ does I/O or reads the clock (DESIGN.md)."""

from __future__ import annotations

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "imap_sansio"
FORBIDDEN_MODULES = {
    "socket",
    "ssl",
    "asyncio",
    "anyio",
    "trio",
    "threading",
    "selectors",
    "subprocess",
    "select",
    "multiprocessing",
    "os",
    "io",
    "pathlib",
    "time",
    "random",
    "secrets",
    "shutil",
    "tempfile",
    "urllib.request",
    "http",
    "logging",
}
FORBIDDEN_CALLS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter", "time_ns"}
SOURCES = sorted(PACKAGE.rglob("*.py"))
#: Exceptions to the rule, by file (none: the backend contract suite gets its
#: threads from the adapters' pytest plugin).
ALLOWED: dict[pathlib.Path, set[str]] = {}


#: Objects whose clock-reading methods are forbidden (``datetime.now()``,
#: ``date.today()``, ``time.time()``); an injected ``session.now()`` is fine.
CLOCK_OWNERS = {"datetime", "date", "time"}


def _reads_clock_or_files(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id == "open"
    if isinstance(func, ast.Attribute) and func.attr in FORBIDDEN_CALLS:
        owner = func.value
        name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
        return name in CLOCK_OWNERS
    return False


def _forbidden(module: str) -> bool:
    """``urllib.parse`` is pure; ``urllib.request`` is not."""
    parts = module.split(".")
    return parts[0] in FORBIDDEN_MODULES or ".".join(parts[:2]) in FORBIDDEN_MODULES


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_does_no_io_and_reads_no_clock(path: pathlib.Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    allowed = ALLOWED.get(path, set())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert alias.name in allowed or not _forbidden(alias.name), (path, alias.name)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            assert not _forbidden(node.module), (path, node.module)
        elif isinstance(node, ast.Call):
            assert not _reads_clock_or_files(node.func), (path, node.lineno, ast.unparse(node))


def test_the_scan_covers_the_core() -> None:
    names = {p.name for p in SOURCES}
    assert {"_connection.py", "_framing.py", "_state.py"} <= names


def test_the_clock_check_catches_a_clock_read() -> None:
    tree = ast.parse("datetime.now(UTC)\ndatetime.datetime.now()\ntime.time()\nsession.now()")
    calls = [n.func for n in ast.walk(tree) if isinstance(n, ast.Call)]
    assert [_reads_clock_or_files(f) for f in calls] == [True, True, True, False]


def test_the_contract_suite_is_imported_by_nothing_in_the_package() -> None:
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                module = "." * node.level + (node.module or "")
                assert not module.endswith("testing.backend"), path
                if path.parent.name == "testing":
                    assert module != ".backend", path
