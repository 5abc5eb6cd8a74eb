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
FORBIDDEN_CALLS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter", "open"}
SOURCES = sorted(PACKAGE.rglob("*.py"))


def _forbidden(module: str) -> bool:
    """``urllib.parse`` is pure; ``urllib.request`` is not."""
    parts = module.split(".")
    return parts[0] in FORBIDDEN_MODULES or ".".join(parts[:2]) in FORBIDDEN_MODULES


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_does_no_io_and_reads_no_clock(path: pathlib.Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert not _forbidden(alias.name), (path, alias.name)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            assert not _forbidden(node.module), (path, node.module)
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            assert name not in FORBIDDEN_CALLS, (path, node.lineno, name)


def test_the_scan_covers_the_core() -> None:
    names = {p.name for p in SOURCES}
    assert {"_connection.py", "_framing.py", "_state.py"} <= names
