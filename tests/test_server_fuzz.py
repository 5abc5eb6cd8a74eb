"""Nothing a client sends makes the server raise, hang, or stop answering.

Random typed commands (the public strategies) and random bytes go to a
logged-in session of the demo server; every command gets exactly one tagged
answer or the session ends with BYE, and an unexpected exception inside a
handler would show as ``NO [SERVERBUG]`` (reported through ``on_error``),
which this test treats as a failure.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imap_sansio.server import IMAPServer, demo_backend
from imap_sansio.testing import fixed_clock
from imap_sansio.testing.strategies import commands, encode_command

#: Examples per test; raise it for a long run by hand:
#: ``IMAP_SANSIO_FUZZ_EXAMPLES=5000 python -m pytest tests/test_server_fuzz.py``.
EXAMPLES = int(os.environ.get("IMAP_SANSIO_FUZZ_EXAMPLES", "300"))


def _session() -> tuple[object, list[BaseException]]:
    errors: list[BaseException] = []
    server = IMAPServer(demo_backend(), on_error=errors.append, clock=fixed_clock())
    conn = server.connect()
    conn.receive_data(b"L LOGIN demo demo\r\nS SELECT INBOX\r\n")
    conn.data_to_send()
    return conn, errors


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(commands(), min_size=1, max_size=6))
def test_random_commands_get_answers_and_no_server_bug(cmds: list[object]) -> None:
    conn, errors = _session()
    for command in cmds:
        if conn.closed:  # type: ignore[attr-defined]
            break
        data = encode_command(command)  # type: ignore[arg-type]
        conn.receive_data(data)  # type: ignore[attr-defined]
        if getattr(command, "name", "") in ("IDLE", "AUTHENTICATE"):
            conn.receive_data(b"DONE\r\n" if command.name == "IDLE" else b"*\r\n")  # type: ignore[attr-defined]
        out = conn.data_to_send()  # type: ignore[attr-defined]
        assert out == b"" or out.endswith(b"\r\n")
        assert b"SERVERBUG" not in out, (command, out[-300:])
        if getattr(command, "name", "") == "COMPRESS" and b" OK " in out:
            break  # the rest of the stream is deflate (tests/test_core_compress.py)
    assert errors == []


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(st.binary(max_size=200), max_size=8))
def test_random_bytes_never_raise(chunks: list[bytes]) -> None:
    conn, errors = _session()
    for chunk in chunks:
        conn.receive_data(chunk)  # type: ignore[attr-defined]
        conn.data_to_send()  # type: ignore[attr-defined]
    assert errors == []


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(commands(), min_size=1, max_size=6), st.integers(0, 64))
def test_random_pipelined_commands_never_raise(cmds: list[object], cut: int) -> None:
    """All commands in one stream, split at a random point (COMPRESS, IDLE and
    AUTHENTICATE then meet bytes meant for something else)."""
    conn, errors = _session()
    data = b"".join(encode_command(c) for c in cmds)  # type: ignore[arg-type]
    for chunk in [c for c in (data[:cut], data[cut:]) if c] + [b""]:  # b"": the peer closes
        conn.receive_data(chunk)  # type: ignore[attr-defined]
        out = conn.data_to_send()  # type: ignore[attr-defined]
        assert b"SERVERBUG" not in out
    assert errors == []
