"""A selected session, answered: cost per command and memory by mailbox size.

What a client feels once a mailbox is open, at 100 / 10k / 100k messages
(quick: 100 / 10k), each command sent on its own and its answer collected:

- ``UID FETCH 1:* (FLAGS) (CHANGEDSINCE n)`` right after another writer
  changed one message (the resync a CONDSTORE client does: one FETCH back);
- ``FETCH 1:20 (FLAGS UID)``;
- ``NOOP``;
- ``UID SEARCH UNSEEN`` (1% of the messages are unseen);
- ``UID SEARCH TEXT`` (no match), per message: flat with the mailbox size
  while the server's cache holds the messages' search texts;
- ``UID SEARCH ANSWERED``, 10 messages match at every size: flat with the
  mailbox size (the store's flag index; ``UNSEEN``, 1% of the messages,
  grows with its answer).

Rows:

- *server*: through ``IMAPServer.connect()`` with a ``MemoryBackend``: the
  whole command path (framing, grammar, view, handler, backend, encoder);
- *engine*: ``ConnectionState`` with a view of the same size and an app that
  answers every command with a bare OK: the engine's own cost per command;
- *pymap*: pymap's command parser (``Commands.parse``) on the same command
  lines, interleaved round by round with ours (the ratio's peer, as in the
  parser suite);
- the mix and each command alone, so that a command whose cost grows with
  the mailbox shows by name (``UID SEARCH UNSEEN`` reads every message's
  flags; the others should not depend on the mailbox size);
- idle memory of one selected session (``tracemalloc``: what the session
  holds after SELECT, the shared store excluded);
- Python function calls per command (``sys.setprofile``), at 10k messages.
"""

from __future__ import annotations

import functools
import gc
import sys
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from imap_sansio import ConnectionState
from imap_sansio._responses import Status, StatusResponse
from imap_sansio._view import SelectedMailboxView
from imap_sansio.server import IMAPServer, MemoryBackend, StoreAction

from ._harness import Result, compare

__all__ = ["run"]

_MESSAGE = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: hello\r\n\r\nHello.\r\n"
_DATE = datetime(2026, 1, 1, tzinfo=UTC)
#: Commands per timed run of each row.
_ROUNDS = 200

#: (label, command after the tag); ``{modseq}`` is filled in per run.
COMMANDS: tuple[tuple[str, bytes], ...] = (
    (
        "UID FETCH 1:* (FLAGS) (CHANGEDSINCE n) after a change",
        b"UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)\r\n",
    ),
    ("FETCH 1:20 (FLAGS UID)", b"FETCH 1:20 (FLAGS UID)\r\n"),
    ("NOOP", b"NOOP\r\n"),
    ("UID SEARCH UNSEEN", b"UID SEARCH UNSEEN\r\n"),
)
_CHANGEDSINCE = 0


#: How many messages are \\Answered, whatever the mailbox size.
_ANSWERED = 10


def _backend(count: int) -> MemoryBackend:
    backend = MemoryBackend(users={"bench": "bench"})
    account = backend.account("bench")
    answered = {i * count // _ANSWERED for i in range(_ANSWERED)}
    for i in range(count):
        flags: tuple[str, ...] = () if i % 100 == 0 else ("\\Seen",)
        if i in answered:
            flags += ("\\Answered",)
        account.append("INBOX", _MESSAGE, flags=flags, internal_date=_DATE)
    return backend


class _Server:
    """One selected session on a mailbox of ``count`` messages, and a second
    writer (the store itself) that changes one message before each resync."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.backend = _backend(count)
        self.server = IMAPServer(self.backend, clock=lambda: _DATE)
        self.writer = self.backend.account("bench").select("INBOX")
        self.conn = self.server.connect()
        self.conn.receive_data(b"a LOGIN bench bench\r\nb SELECT INBOX\r\n")
        out = self.conn.data_to_send()
        assert b"b OK" in out, out[-200:]
        self.tag = 0
        self.flip = 0

    def change(self) -> int:
        """Toggle \\Flagged on one message; returns the modseq before it."""
        before = self.writer.status().highest_modseq
        uid = 1 + self.flip % self.count
        action = StoreAction.ADD if (self.flip // self.count) % 2 == 0 else StoreAction.REMOVE
        self.writer.store_flags([uid], action, ("\\Flagged",))
        self.flip += 1
        return before

    def command(self, line: bytes) -> bytes:
        self.tag += 1
        tag = b"t%d" % self.tag
        self.conn.receive_data(tag + b" " + line)
        out = self.conn.data_to_send()
        assert (b"\r\n" + tag + b" OK") in out or out.startswith(tag + b" OK"), out[-300:]
        return out

    def run(self, index: int) -> None:
        """One command of :data:`COMMANDS` (with its change first, if any)."""
        line = COMMANDS[index][1]
        if b"%d" in line:
            line = line % self.change()
        self.command(line)


_SEARCH_TEXT = b'UID SEARCH TEXT "absent"\r\n'
#: A search on one flag whose answer has the same size at every mailbox
#: size: its cost must not grow with the mailbox (the store's flag index).
_SEARCH_FLAG = b"UID SEARCH ANSWERED\r\n"


def _flag_search(server: _Server, _: int) -> None:
    server.command(_SEARCH_FLAG)


def _search_text(server: _Server) -> Callable[[], object]:
    def run() -> object:
        return server.command(_SEARCH_TEXT)

    return run


def _engine(count: int) -> Callable[[int], None]:
    """The engine alone: a view of ``count`` UIDs, every command answered OK."""
    conn = ConnectionState(secure=True)
    conn.send_greeting()
    conn.receive_data(b"a LOGIN bench bench\r\n")
    conn.send(StatusResponse(status=Status.OK, tag="a", text="ok"))
    conn.receive_data(b"b SELECT INBOX\r\n")
    conn.set_view(SelectedMailboxView(uids=range(1, count + 1), uidvalidity=1, uidnext=count + 1))
    conn.send(StatusResponse(status=Status.OK, tag="b", text="ok"))
    conn.data_to_send()
    tags = [0]

    def run(index: int) -> None:
        line = COMMANDS[index][1]
        if b"%d" in line:
            line = line % 5
        tags[0] += 1
        tag = f"t{tags[0]}"
        (event,) = conn.receive_data(tag.encode() + b" " + line)
        conn.send(StatusResponse(status=Status.OK, tag=tag, text="done"))
        conn.data_to_send()
        _ = event

    return run


def _pymap_parser(indexes: list[int]) -> Callable[[], object] | None:
    try:
        from pymap.parsing import Params
        from pymap.parsing.commands import Commands
    except ImportError:
        return None
    commands = Commands()
    params = Params()
    lines = []
    for n, index in enumerate(indexes):
        line = COMMANDS[index][1]
        if b"%d" in line:
            line = line % 5
        lines.append(memoryview(b"t%d %s" % (n, line)))

    def run() -> object:
        parse = commands.parse
        return [parse(line, params) for line in lines]

    return run


def _loop(step: Callable[[int], None], indexes: list[int]) -> Callable[[], object]:
    def run() -> object:
        for index in indexes:
            step(index)
        return None

    return run


def _session_memory(count: int) -> int:
    """Bytes one idle selected session holds (the shared store excluded)."""
    backend = _backend(count)
    server = IMAPServer(backend, clock=lambda: _DATE)
    # One session first, so that lazy module state is not charged to the one measured.
    warm = server.connect()
    warm.receive_data(b"a LOGIN bench bench\r\nb SELECT INBOX\r\nc LOGOUT\r\n")
    warm.data_to_send()
    del warm
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        conn = server.connect()
        conn.receive_data(b"a LOGIN bench bench\r\nb SELECT INBOX\r\n")
        assert b"b OK" in conn.data_to_send()
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    del conn
    return held


def _calls(step: Callable[[], object]) -> tuple[int, int]:
    """(Python calls, C calls) made by ``step``."""
    counts = {"call": 0, "c_call": 0}

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event in counts:
            counts[event] += 1

    sys.setprofile(profile)
    try:
        step()
    finally:
        sys.setprofile(None)
    return counts["call"], counts["c_call"]


def _info_row(name: str, kind: str, value: float, **extra: Any) -> Result:
    result = Result(name=name, median=value, q1=value, q3=value, runs=1, units=1, unit=kind)
    result.extra.update(kind=kind, **extra)
    return result


def run(quick: bool = False) -> list[Result]:
    sizes = (100, 10_000) if quick else (100, 10_000, 100_000)
    rounds = 3 if quick else 7
    results: list[Result] = []
    mix = [i % len(COMMANDS) for i in range(_ROUNDS)]
    for count in sizes:
        server = _Server(count)
        engine = _engine(count)
        sides: list[tuple[str, Callable[[], object]]] = [
            (f"session: {count:,} messages, command mix, server", _loop(server.run, mix)),
            (f"session: {count:,} messages, command mix, engine only", _loop(engine, mix)),
        ]
        peer = _pymap_parser(mix)
        if peer is not None:
            sides.append(("session: command mix, pymap Commands.parse", peer))
        rows = compare(sides, rounds=rounds, units=len(mix), unit="command")
        if peer is not None:
            rows[-1].name += f" (beside {count:,})"
            for mine in rows[:-1]:
                mine.extra.update(peer=rows[-1].name, ratio_vs_peer=rows[-1].median / mine.median)
        labels = ("mix, server", "mix, engine", "mix, pymap parser")
        for row, series in zip(rows, labels, strict=False):
            row.extra.update(size=count, series=f"session: {series}")
        results.extend(rows)
        for index, (label, _) in enumerate(COMMANDS):
            alone = [index] * (_ROUNDS // 4)
            sides = [(f"session: {count:,} messages, {label}, server", _loop(server.run, alone))]
            peer = _pymap_parser(alone)
            if peer is not None:
                sides.append((f"session: {label}, pymap Commands.parse", peer))
            row, *theirs = compare(sides, rounds=rounds, units=len(alone), unit="command")
            row.extra.update(size=count, series=f"session: {label}")
            if theirs:
                row.extra.update(peer=theirs[0].name, ratio_vs_peer=theirs[0].median / row.median)
            results.append(row)
        # SEARCH TEXT reads every message's text: its cost per message is
        # what must stay flat with the mailbox size (the first search, not
        # timed, parses the messages; the texts then stay in the cache).
        server.command(_SEARCH_TEXT)
        (row,) = compare(
            [(f"session: {count:,} messages, UID SEARCH TEXT, server", _search_text(server))],
            rounds=rounds,
            units=count,
            unit="message",
        )
        row.extra.update(size=count, series="session: UID SEARCH TEXT per message")
        results.append(row)
        (row,) = compare(
            [
                (
                    f"session: {count:,} messages, UID SEARCH ANSWERED ({_ANSWERED} match), server",
                    _loop(functools.partial(_flag_search, server), [0] * (_ROUNDS // 4)),
                )
            ],
            rounds=rounds,
            units=_ROUNDS // 4,
            unit="command",
        )
        row.extra.update(size=count, series="session: UID SEARCH on a flag, fixed answer")
        results.append(row)
        if count == 10_000:
            for label, template in COMMANDS[:3]:
                # The writer's change goes first, so its calls are not counted.
                line = template % server.change() if b"%d" in template else template
                python_calls, c_calls = _calls(functools.partial(server.command, line))
                results.append(
                    _info_row(
                        f"session: {count:,} messages, {label}: calls per command",
                        "calls",
                        python_calls,
                        c_calls=c_calls,
                    )
                )
    for count in sizes:
        held = _session_memory(count)
        results.append(
            _info_row(
                f"session: idle selected session, {count:,} messages",
                "memory",
                held,
                per_message=held / count,
            )
        )
    return results
