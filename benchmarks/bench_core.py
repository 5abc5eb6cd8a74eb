"""The core engine: framing cost must stay linear in the input.

- a large APPEND literal fed in 1-byte, 1 KiB and 64 KiB chunks;
- a pipelined stream of NOOP/FETCH lines on a selected mailbox, each answered;
each at three sizes 10x apart, reported as cost per byte / per command so
that super-linear growth shows at a glance.
"""

from __future__ import annotations

from collections.abc import Callable

from imap_sansio import ConnectionState
from imap_sansio._responses import Status, StatusResponse
from imap_sansio._view import SelectedMailboxView

from ._harness import Result, measure

__all__ = ["run"]


def _selected() -> ConnectionState:
    conn = ConnectionState(secure=True)
    conn.send_greeting()
    conn.receive_data(b"a LOGIN alice secret\r\n")
    conn.send(StatusResponse(status=Status.OK, tag="a", text="ok"))
    conn.data_to_send()
    return conn


def _append_stream(size: int) -> bytes:
    return b"A1 APPEND INBOX {%d+}\r\n" % size + b"x" * size + b"\r\n"


def _feed_in_chunks(data: bytes, chunk: int) -> Callable[[], object]:
    pieces = [data[i : i + chunk] for i in range(0, len(data), chunk)]

    def run() -> object:
        conn = _selected()
        events = []
        for piece in pieces:
            events.extend(conn.receive_data(piece))
        assert len(events) == 1, events
        return events

    return run


def _selected_mailbox(messages: int) -> ConnectionState:
    conn = _selected()
    conn.receive_data(b"s SELECT INBOX\r\n")
    conn.set_view(
        SelectedMailboxView(uids=range(1, messages + 1), uidvalidity=1, uidnext=messages + 1)
    )
    conn.send(StatusResponse(status=Status.OK, tag="s", text="ok"))
    conn.data_to_send()
    return conn


def _pipelined(lines: int) -> Callable[[], object]:
    # A selected mailbox of 100 messages, so that the FETCH is resolved and
    # delivered (not refused as it would be before SELECT); every command is
    # answered with a bare OK.
    one = b"t1 NOOP\r\nt2 FETCH 1:* (FLAGS)\r\n"
    data = one * (lines // 2)

    def run() -> object:
        conn = _selected_mailbox(100)
        seen = sent = 0
        events = conn.receive_data(data)
        while events:
            for event in events:
                tag = event.tag  # type: ignore[union-attr]
                conn.send(StatusResponse(status=Status.OK, tag=tag, text="done"))
                seen += 1
            # What an adapter does: write the output, which lets the engine
            # deliver the commands held while it was over max_unsent_output.
            while conn.has_output:
                sent += len(conn.data_to_send())
            events = conn.next_events()
        assert seen == lines, seen
        return sent

    return run


def run(quick: bool = False) -> list[Result]:
    results: list[Result] = []
    repeat = 3 if quick else 5
    for chunk in (1, 1024, 65536):
        # Up to the 10 MiB APPEND (1 MiB in 1-byte chunks: a million calls).
        if chunk == 1:
            sizes = (1_000, 10_000, 100_000) if quick else (10_000, 100_000, 1_048_576)
        else:
            sizes = (10_000, 100_000, 1_048_576) if quick else (104_858, 1_048_576, 10_485_760)
        for size in sizes:
            data = _append_stream(size)
            result = measure(
                f"core: APPEND literal {size:,} B in {chunk} B chunks",
                _feed_in_chunks(data, chunk),
                repeat=repeat,
                units=len(data),
                unit="byte",
            )
            result.extra.update(size=len(data), series=f"APPEND literal, {chunk} B chunks")
            results.append(result)
    for lines in (1_000, 10_000, 100_000):
        result = measure(
            f"core: {lines:,} pipelined command lines",
            _pipelined(lines),
            repeat=repeat,
            units=lines,
            unit="command",
        )
        result.extra.update(size=lines, series="pipelined commands")
        results.append(result)
    return results
