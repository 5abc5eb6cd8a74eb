"""NOTIFY (RFC 5465) across ``imap-sansio serve --postgres`` processes.

A session of one process that asked for NOTIFY hears, without sending a
command, what a session of another process did to a mailbox it does not
have selected: the PostgreSQL notifier's hint wakes it, it reads the
store and sends STATUS (RFC 5465 5.2) and LIST (5.4).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable

from test_postgres_processes import LOGIN, _client, _wait_for, servers

__all__ = ["servers"]  # the fixture, for pytest


def test_notify_in_one_process_hears_another_process_change_other_mailboxes(
    servers: Callable[..., tuple[subprocess.Popen[str], int]],
) -> None:
    _, port_a = servers()
    _, port_b = servers()
    writer = _client(port_b, LOGIN, b"CREATE Lists")
    watcher = _client(
        port_a,
        LOGIN,
        b"SELECT INBOX",
        b"NOTIFY SET (selected (MessageNew MessageExpunge)) "
        b"(personal (MessageNew MessageExpunge MailboxName))",
    )
    delays: dict[str, float] = {}
    writer.send(b"w1 APPEND Lists {5+}\r\nhello\r\n")
    assert writer.until_tagged(b"w1")[-1].startswith(b"w1 OK")
    line, delays["APPEND elsewhere"] = _wait_for(watcher, rb"\* STATUS .*\r\n")
    assert line == b"* STATUS Lists (UIDNEXT 2 MESSAGES 1)\r\n"
    # imap-sansio serve offers OBJECTID: CREATE says the MAILBOXID (RFC 8474 4.1).
    created = writer.command(b"w2", b"CREATE Lists/Sub")[-1]
    assert re.fullmatch(rb"w2 OK \[MAILBOXID \(F[0-9a-f]+\)\] CREATE completed\r\n", created)
    line, delays["CREATE"] = _wait_for(watcher, rb"\* LIST .*\r\n")
    assert line == b'* LIST (\\HasChildren) "/" Lists\r\n'
    assert watcher.line() == b'* LIST (\\HasNoChildren) "/" Lists/Sub\r\n'
    writer.send(b"w3 APPEND INBOX {5+}\r\nhello\r\n")
    assert writer.until_tagged(b"w3")[-1].startswith(b"w3 OK")
    _, delays["APPEND selected"] = _wait_for(watcher, rb"\* 1 EXISTS\r\n")
    # Each delay runs from the writer's tagged OK to the watcher's line; -s shows them.
    print("NOTIFY push across processes (s):", {k: round(v, 3) for k, v in delays.items()})
