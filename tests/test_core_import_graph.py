"""The modules of imap_sansio import each other in layers, never in a circle.

Read from the source (the AST), not from ``sys.modules``: an import inside a
function hides a circle at start-up and still makes one, so no function of
the pure package imports a module of the package at all.  The adapters
(installed as ``imap_sansio.adapters``) may import optional dependencies
late, but their package imports form no circle either.
"""

from __future__ import annotations

import ast
import functools
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOURCES = {"imap_sansio": ROOT / "imap_sansio", "imap_sansio.adapters": ROOT / "adapters"}


def _modules() -> dict[str, pathlib.Path]:
    """Every module of the package by dotted name (``pkg.__init__`` as ``pkg``)."""
    found: dict[str, pathlib.Path] = {}
    for prefix, folder in SOURCES.items():
        for path in sorted(folder.rglob("*.py")):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join((prefix, *parts))] = path
    return found


MODULES = _modules()


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _imports(name: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The package modules an import statement of module ``name`` loads."""
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = name if _is_package(name) else name.rpartition(".")[0]
            for _ in range(node.level - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{base}" if base else package
        # ``from pkg import mod`` loads pkg.mod when it is a module.
        targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
    return [target for target in targets if target in MODULES]


@functools.cache
def _graph() -> tuple[dict[str, set[str]], list[str]]:
    """Import edges (module level and inside functions), and the imports
    found inside functions."""
    edges: dict[str, set[str]] = {name: set() for name in MODULES}
    late: list[str] = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for parent in ast.walk(tree):
            if not isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(parent):
                if isinstance(node, ast.Import | ast.ImportFrom) and _imports(name, node):
                    late.append(f"{name}:{node.lineno}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                edges[name].update(t for t in _imports(name, node) if t != name)
    return edges, late


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One circle of the graph, or None (depth-first search, white-grey-black)."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(node: str) -> list[str] | None:
        path.append(node)
        on_path.add(node)
        for target in sorted(edges[node]):
            if target in on_path:
                return [*path[path.index(target) :], target]
            if target not in done:
                found = visit(target)
                if found is not None:
                    return found
        path.pop()
        on_path.discard(node)
        done.add(node)
        return None

    for start in sorted(edges):
        if start not in done:
            found = visit(start)
            if found is not None:
                return found
    return None


def _without_parent_packages(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    """Drop a module's edges to the packages that contain it: importing
    ``imap_sansio.server._session`` runs ``imap_sansio.server`` first by
    Python's rules, which is the package's ``__init__`` gathering its own
    modules, not a dependency of the module on its siblings."""
    return {
        name: {t for t in targets if not name.startswith(t + ".")}
        for name, targets in edges.items()
    }


def test_the_package_is_found() -> None:
    assert "imap_sansio.server._session" in MODULES
    assert "imap_sansio.adapters.cli" in MODULES
    node = ast.parse("from . import _cmd_mailbox").body[0]
    assert isinstance(node, ast.ImportFrom)
    assert _imports("imap_sansio.server._server", node) == [
        "imap_sansio.server",
        "imap_sansio.server._cmd_mailbox",
    ]


def test_module_imports_form_no_circle() -> None:
    edges, _ = _graph()
    assert _cycle(_without_parent_packages(edges)) is None


def test_the_checker_finds_a_circle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycle(edges) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_function_of_the_pure_package_imports_a_package_module() -> None:
    _, late = _graph()
    assert [where for where in late if not where.startswith("imap_sansio.adapters")] == []


def test_the_server_layers_point_down() -> None:
    """The session is below the handlers, IMAPServer above them."""
    edges, _ = _graph()
    server = "imap_sansio.server."
    handlers = {name for name in MODULES if name.startswith(server + "_cmd_")}
    assert handlers >= {server + "_cmd_session", server + "_cmd_search", server + "_cmd_thread"}
    assert handlers <= edges[server + "_server"]
    below = {server + name for name in ("_session", "_search", "_condstore", "_contexts")}
    for name in below:
        assert not edges[name] & handlers, name
        assert server + "_server" not in edges[name], name
    for name in handlers:
        assert not edges[name] & (handlers - {name}), name
