"""Dovecot's imaptest conformance scripts, played against IMAPServer(MemoryBackend).

Each script in ``tests/data/imaptest/`` (not ``broken/``) is one test:
it passes, fails with imaptest's own description of the first difference,
or, for the extensions listed as not implemented, is skipped naming them.
"""

from __future__ import annotations

import paths
import pytest

from imap_sansio.server import IMAPServer, MemoryBackend
from imap_sansio.testing import fixed_clock
from imap_sansio.testing.imaptest import parse_mbox, parse_script, run_script

SCRIPTS = paths.IMAPTEST


#: Scripts where our reading of the script format, not the server, is in
#: doubt.  strict: the test fails the day the script passes, so the entry
#: cannot outlive its reason.
_RUNNER_GAPS = {
    "append-binary": (
        "the runner reads the expected ~{{{ block of the FETCH BINARY[1] reply as 6 bytes "
        "while the same script's BINARY.SIZE[1] says 7 (our server answers 7 and 7): "
        "the trailing-line rule for literal8 blocks in replies is not settled"
    ),
}

#: Scripts for extensions the server does not implement (README, "What is
#: not there yet"): imaptest skips them, as the server does not advertise
#: them.  Any other skip, or one of these passing, fails.
_UNIMPLEMENTED = {
    "catenate": "CATENATE",
    "catenate-multiappend": "CATENATE",
    "urlauth": "URLAUTH",
    "urlauth-binary": "URLAUTH",
    "urlauth2": "URLAUTH",
}


def _params() -> list[object]:
    return [
        pytest.param(n, marks=pytest.mark.xfail(reason=_RUNNER_GAPS[n], strict=True))
        if n in _RUNNER_GAPS
        else n
        for n in paths.imaptest_scripts()
    ]


@pytest.mark.parametrize("name", _params())
def test_imaptest_script(name: str) -> None:
    path = SCRIPTS / name
    script = parse_script(path.read_bytes(), name=name)
    mbox_path = path.with_name(name + ".mbox")
    if not mbox_path.exists():
        mbox_path = SCRIPTS / "default.mbox"
    mbox = parse_mbox(mbox_path.read_bytes())
    server = IMAPServer(MemoryBackend(users={"testuser": "pass"}), clock=fixed_clock())
    result = run_script(script, server.connect, mbox=mbox, username="testuser", password="pass")
    if name in _UNIMPLEMENTED:
        assert result.status == "skipped", f"{_UNIMPLEMENTED[name]} works now: drop the entry"
        pytest.skip(f"{_UNIMPLEMENTED[name]} is not implemented ({result.message})")
    if result.status == "skipped":
        pytest.fail(f"skipped: {result.message}", pytrace=False)
    if result.status == "failed":
        pytest.fail(result.message, pytrace=False)


# ----------------------------------------------------- the runner judges


def _run(text: str, *, messages: bytes | None = None) -> tuple[str, str]:
    mbox = parse_mbox(messages if messages is not None else _DEFAULT_MBOX)
    server = IMAPServer(MemoryBackend(users={"testuser": "pass"}), clock=fixed_clock())
    result = run_script(parse_script(text, name="t"), server.connect, mbox=mbox)
    return result.status, result.message


_DEFAULT_MBOX = (
    b"From user@domain  Fri Feb 22 17:06:23 2008\n"
    b"From: user1@domain.org\nSubject: s1\n\nbody1\n\n"
    b"From user@domain  Fri Feb 22 17:06:23 2008\n"
    b"From: user2@domain.org\nSubject: s22\n\nbody22\n\n"
    b"From user@domain  Fri Feb 22 17:06:23 2008\n"
    b"From: user3@domain.org\nSubject: s333\n\nbody333\n\n"
)


def test_runner_passes_a_correct_script() -> None:
    status, message = _run(
        "messages: 3\n\nok fetch 1:3 uid\n* 1 fetch (uid $uid1)\n* 3 fetch (uid $uid3)\n"
        "ok uid fetch $uid3 (uid flags)\n* 3 fetch (flags () uid $uid3)\n"
    )
    assert (status, message) == ("passed", "")


def test_runner_reports_a_missing_untagged_reply_with_the_best_match() -> None:
    status, message = _run("messages: 3\n\nok search all\n* search 1 2\n")
    assert status == "failed"
    assert "Missing 1 untagged replies" in message
    assert "best match: SEARCH 1 2 3" in message
    assert "(line 3): search all" in message


def test_runner_reports_a_banned_reply() -> None:
    status, message = _run("messages: 3\n\nok fetch 2 uid\n! 2 fetch (uid $)\n")
    assert status == "failed"
    assert "Unexpected untagged match" in message


def test_runner_reports_a_wrong_tagged_status() -> None:
    status, message = _run("messages: 1\n\nno fetch 1 uid\n")
    assert status == "failed"
    assert "Expected tagged reply 'no', got 'OK" in message


def test_runner_checks_the_tagged_prefix_and_binds_variables_in_it() -> None:
    status, message = _run(
        "state: created\n\nappend $mailbox\nok [appenduid $uidvalidity $uid]\n"
        "ok status $mailbox (uidvalidity)\n* status $mailbox (uidvalidity $uidvalidity)\n"
        "append $mailbox\nok [appenduid $uidvalidity $uid]\n"
    )
    assert status == "failed"  # the second APPEND cannot reuse the first UID
    assert "Expected tagged reply 'ok [appenduid $uidvalidity $uid]'" in message


def test_runner_renumbers_relative_sequence_numbers_after_expunges() -> None:
    status, message = _run(
        "connections: 2\nmessages: 3\n\n1 ok store 1,3 +flags \\deleted\n1 ok expunge\n"
        "2 ok noop\n* $1 expunge\n* $3 expunge\n"
    )
    assert (status, message) == ("passed", "")
    status, message = _run(
        "connections: 2\nmessages: 3\n\n1 ok store 1,3 +flags \\deleted\n1 ok expunge\n"
        "2 ok noop\n* $1 expunge\n* $2 expunge\n"
    )
    assert status == "failed"


def test_runner_skips_naming_the_missing_capabilities() -> None:
    status, message = _run("capabilities: IDLE XNOSUCH\n\nok noop\n")
    assert status == "skipped"
    assert message == "server lacks capability XNOSUCH"


def test_multiline_literals_keep_crlf_and_literal8_keeps_the_file_bytes() -> None:
    script = parse_script("\nok fetch 1 x\n* 1 fetch (a {{{\nl1\n\n}}} b ~{{{\nx\r\n}}})\n")
    (expected,) = script.groups[0].untagged
    fetch_list = expected.args[2].items
    assert [a.value for a in fetch_list if a.kind == "literal"] == ["l1\r\n", "x\r"]


def test_every_script_and_mbox_parses() -> None:
    for name in paths.imaptest_scripts():
        script = parse_script((SCRIPTS / name).read_bytes(), name=name)
        assert script.groups, name
    for path in paths.imaptest_mboxes():
        assert parse_mbox(path.read_bytes()), path.name
