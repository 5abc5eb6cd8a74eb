"""Startup: what importing the engine and the server costs a new process.

Each run is a fresh interpreter (``sys.executable -c``) that times its own
import with ``time.process_time`` and prints it, so the interpreter's own
start is left out and every run starts cold (no module cached in the
process).  The bytecode is cached on disk, as in an installed package (pip
compiles it at install): the runs share a cache directory of their own
(``-X pycache_prefix``), written by a first run of each side, whatever
``PYTHONDONTWRITEBYTECODE`` says and whether or not the source tree is
writable (without a cache, compiling the engine's modules from source costs
about as much again).  The sides run interleaved round by round:

- ``import imap_sansio`` (the package: its names are loaded on first use);
- ``from imap_sansio import ConnectionState`` (the engine: parser, events,
  encoder, view);
- ``from imap_sansio.server import IMAPServer`` (the server layer and the
  in-memory store);
- pymap's parser (``from pymap.parsing.commands import Commands``), the peer
  of the engine row, when pymap is installed.

Issue 16 asks for the engine's import under 80 ms.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from ._harness import Result, _result

__all__ = ["run"]

_SIDES = (
    ("startup: import imap_sansio", "import imap_sansio"),
    ("startup: from imap_sansio import ConnectionState", "from imap_sansio import ConnectionState"),
    (
        "startup: from imap_sansio.server import IMAPServer",
        "from imap_sansio.server import IMAPServer",
    ),
)
_PEER = (
    "startup: pymap's parser (from pymap.parsing.commands import Commands)",
    "from pymap.parsing.commands import Commands",
)


def _cpu_seconds(statement: str, cache: str) -> float:
    """The CPU time of ``statement`` in a new interpreter that reads and
    writes its bytecode in ``cache``."""
    code = f"import time\nt = time.process_time()\n{statement}\nprint(time.process_time() - t)"
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    out = subprocess.run(
        [sys.executable, "-X", f"pycache_prefix={cache}", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=env,
    )
    return float(out.stdout.strip())


def run(quick: bool = False) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="imap-sansio-bytecode-") as cache:
        sides = list(_SIDES)
        try:
            _cpu_seconds(_PEER[1], cache)
        except subprocess.CalledProcessError:
            pass  # pymap not installed: no peer row
        else:
            sides.append(_PEER)
        for _, statement in sides:  # the bytecode caches written once
            _cpu_seconds(statement, cache)
        rounds = 3 if quick else 11
        times: list[list[float]] = [[] for _ in sides]
        for round_ in range(rounds):
            for offset in range(len(sides)):
                index = (round_ + offset) % len(sides)
                times[index].append(_cpu_seconds(sides[index][1], cache))
    results = [
        _result(name, samples, 1, "import") for (name, _), samples in zip(sides, times, strict=True)
    ]
    if len(sides) > len(_SIDES):
        peer = results[-1]
        engine = results[1]
        engine.extra["peer"] = peer.name
        engine.extra["ratio_vs_peer"] = peer.median / engine.median
    return results
