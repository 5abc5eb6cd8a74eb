"""Dovecot's imaptest conformance scripts, played against IMAPServer(MemoryBackend).

Each script in ``shared/conformance/imaptest/`` (not ``broken/``) is one test:
it passes, fails with imaptest's own description of the first difference,
or is skipped naming the capabilities the server does not advertise.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from imap_sansio.server import IMAPServer, MemoryBackend
from imap_sansio.testing.imaptest import parse_mbox, parse_script, run_script

SCRIPTS = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "imaptest"
_NOT_SCRIPTS = {"FORMAT.md", "LICENSE.COPYING", "LICENSE.COPYING.MIT", "default.mbox"}


def _script_names() -> list[str]:
    if not SCRIPTS.is_dir():
        return []
    return sorted(
        p.name
        for p in SCRIPTS.iterdir()
        if p.is_file() and p.suffix != ".mbox" and p.name not in _NOT_SCRIPTS
    )


@pytest.mark.parametrize("name", _script_names())
def test_imaptest_script(name: str) -> None:
    path = SCRIPTS / name
    script = parse_script(path.read_bytes(), name=name)
    mbox_path = path.with_name(name + ".mbox")
    if not mbox_path.exists():
        mbox_path = SCRIPTS / "default.mbox"
    mbox = parse_mbox(mbox_path.read_bytes())
    server = IMAPServer(MemoryBackend(users={"testuser": "pass"}))
    result = run_script(script, server.connect, mbox=mbox, username="testuser", password="pass")
    if result.status == "skipped":
        pytest.skip(result.message)
    if result.status == "failed":
        pytest.fail(result.message, pytrace=False)
