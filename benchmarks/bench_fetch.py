"""FETCH of many messages through ``server.connect()`` (no sockets), beside pymap.

A mailbox of 1k / 10k (full mode: also 100k) messages, cycled from the demo
corpus (``imap_sansio.server._demo``: plain, multipart/alternative, an
attachment, a forwarded message/rfc822, RFC 2047 headers, a reply, an
inline image), is selected once; each timed run sends one command and
collects every output byte:

- ``FETCH 1:* (FLAGS UID RFC822.SIZE ENVELOPE)``
- ``FETCH 1:* BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE)]``
- ``FETCH 1:* BODY.PEEK[]``

Cost per message at each size shows whether it stays flat.

The peer, in the same run and the same process, is pymap's server (its
``dict`` backend) driven without sockets: ``pymap.imap.IMAPServer`` is
called with an ``asyncio.StreamReader`` fed the command bytes and a writer
that collects the output, so pymap does the same work as ours (read the
command, parse, run it against its store, write every response byte).  Its
mailbox is filled through its backend's ``append`` (which parses each
message once, at append time; ours parses at FETCH time).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from imap_sansio.server import IMAPServer, MemoryBackend
from imap_sansio.server._demo import DEMO_MESSAGES

from ._harness import Result, compare

__all__ = ["COMMANDS", "run"]

#: (label, command after the tag).
COMMANDS: tuple[tuple[str, bytes], ...] = (
    ("FLAGS UID RFC822.SIZE ENVELOPE", b"FETCH 1:* (FLAGS UID RFC822.SIZE ENVELOPE)\r\n"),
    (
        "BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE)]",
        b"FETCH 1:* BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE)]\r\n",
    ),
    ("BODY.PEEK[]", b"FETCH 1:* BODY.PEEK[]\r\n"),
)


def _corpus() -> list[tuple[bytes, tuple[str, ...], datetime]]:
    return [(data, flags, date) for _, data, flags, date in DEMO_MESSAGES]


# -- ours -------------------------------------------------------------------


def _ours(count: int) -> Callable[[bytes], bytes]:
    backend = MemoryBackend(users={"bench": "bench"})
    account = backend.account("bench")
    corpus = _corpus()
    for i in range(count):
        data, flags, date = corpus[i % len(corpus)]
        account.append("INBOX", data, flags=flags, internal_date=date)
    server = IMAPServer(backend, clock=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    conn = server.connect()
    conn.receive_data(b"a LOGIN bench bench\r\nb SELECT INBOX\r\n")
    out = conn.data_to_send()
    assert b"b OK" in out, out[-200:]
    counter = [0]

    def fetch(command: bytes) -> bytes:
        counter[0] += 1
        tag = b"f%d" % counter[0]
        conn.receive_data(tag + b" " + command)
        # Streamed literals come a piece per call, as a transport takes them.
        out = b"".join(iter(conn.data_to_send, b""))
        assert out.endswith(b"\r\n") and (b"\r\n" + tag + b" OK") in out, out[-200:]
        return out

    return fetch


# -- pymap ------------------------------------------------------------------


class _Writer:
    """Enough of an ``asyncio.StreamWriter`` for pymap: collects the output and
    wakes the benchmark when the tagged completion it waits for arrives."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.marker = b""
        self.done: asyncio.Event | None = None

    def write(self, data: bytes) -> None:
        self.chunks.append(data)
        if self.done is not None and data.startswith(self.marker):
            self.done.set()

    def writelines(self, data: list[bytes]) -> None:
        for piece in data:
            self.write(piece)

    async def drain(self) -> None:
        return None

    def close(self) -> None:
        return None

    def is_closing(self) -> bool:
        return False

    async def wait_closed(self) -> None:
        return None

    def get_extra_info(self, name: str, default: object = None) -> object:
        return default


class _SockInfo:
    """What pymap reads of its per-connection socket info."""

    dnsbl = None
    from_localhost = True
    unique_id = uuid.uuid4().bytes

    def __str__(self) -> str:
        return "<benchmark, no socket>"


class _Pymap:
    """One pymap connection over in-memory streams, on a private event loop."""

    def __init__(self, count: int) -> None:
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(self._start(count))

    async def _start(self, count: int) -> None:
        from argparse import ArgumentParser

        from pymap.backend.dict import DictBackend
        from pymap.imap import IMAPServer as PymapServer
        from pymap.imap import IMAPService
        from pymap.parsing.message import AppendMessage
        from pymap.parsing.specials.flag import Flag
        from pysasl.hashing import Cleartext

        parser = ArgumentParser()
        subparsers = parser.add_subparsers(dest="backend")
        DictBackend.add_subparser("dict", subparsers)
        IMAPService.add_arguments(parser)
        parser.set_defaults(skip_services=[], passlib_cfg=None, debug=False)
        args = parser.parse_args(["--no-tls", "dict"])
        # Cleartext: pymap's PBKDF2 login would cost 0.1 s for nothing here.
        backend, config = await DictBackend.init(args, hash_context=Cleartext())
        config.apply_context()
        identity = backend.login.demo_user_identity
        corpus = [
            (data, frozenset(Flag(f.encode()) for f in flags), date)
            for data, flags, date in _corpus()
        ]
        async with identity.new_session() as session:
            inbox = await session.mailbox_set.get_mailbox("INBOX")
            for i in range(count):
                data, flags, date = corpus[i % len(corpus)]
                await inbox.append(AppendMessage(data, date, flags))
        self.reader = asyncio.StreamReader()
        self.writer = _Writer()
        self.counter = 0
        server = PymapServer(backend.login, config)
        self.task = asyncio.ensure_future(server(self.reader, self.writer, _SockInfo()))  # type: ignore[arg-type]
        login = b'a LOGIN "%s" "%s"\r\n' % (
            config.demo_user.encode(),
            config.demo_password.encode(),
        )
        await self._command(b"a", login)
        out = await self._command(b"b", b"b SELECT INBOX\r\n")
        assert b"b OK" in out, out[-200:]

    async def _command(self, tag: bytes, data: bytes) -> bytes:
        self.writer.chunks.clear()
        self.writer.marker = tag + b" "
        done = self.writer.done = asyncio.Event()
        self.reader.feed_data(data)
        await done.wait()
        self.writer.done = None
        return b"".join(self.writer.chunks)

    def fetch(self, command: bytes) -> bytes:
        self.counter += 1
        tag = b"f%d" % self.counter
        out = self.loop.run_until_complete(self._command(tag, tag + b" " + command))
        assert (b"\r\n" + tag + b" OK") in out, out[-200:]
        return out

    def close(self) -> None:
        self.reader.feed_eof()
        with contextlib.suppress(Exception):  # best effort
            self.loop.run_until_complete(asyncio.wait_for(self.task, 5))
        self.loop.close()


def _pymap(count: int) -> _Pymap | None:
    try:
        import pymap  # noqa: F401
    except ImportError:
        return None
    return _Pymap(count)


# -- the suite --------------------------------------------------------------


def run(quick: bool = False) -> list[Result]:
    sizes = (1_000, 10_000) if quick else (1_000, 10_000, 100_000)
    # pymap is slow to fill (it parses every message on APPEND: 1 ms each) and
    # its first FETCH ENVELOPE of a message costs 2.4 ms (later ones 0.6 ms):
    # at 10k messages that is a minute, so quick mode compares at 1k only.
    peer_sizes = (1_000,) if quick else (1_000, 10_000)
    results: list[Result] = []
    for count in sizes:
        repeat = 2 if quick or count >= 100_000 else 5
        ours = _ours(count)
        peer = _pymap(count) if count in peer_sizes else None
        try:
            for label, command in COMMANDS:
                # One untimed run of each side first (the warm-up), also for the output size.
                sample = ours(command)
                name = f"fetch: {count:,} messages, {label}, imap-sansio"
                sides: list[tuple[str, Callable[[], object]]] = [
                    (name, functools.partial(ours, command))
                ]
                peer_sample = b""
                if peer is not None:
                    peer_sample = peer.fetch(command)
                    sides.append(
                        (
                            f"fetch: {count:,} messages, {label}, pymap dict",
                            functools.partial(peer.fetch, command),
                        )
                    )
                # Interleaved: one run of ours, one of pymap's, per round.
                rows = compare(
                    sides,
                    rounds=(2 if quick else 3) if peer is not None else repeat,
                    units=count,
                    unit="message",
                    warmup=False,
                )
                result = rows[0]
                result.extra.update(size=count, series=f"FETCH {label}", output_bytes=len(sample))
                results.append(result)
                if peer is None:
                    continue
                theirs = rows[1]
                theirs.extra.update(
                    size=count, series=f"pymap FETCH {label}", output_bytes=len(peer_sample)
                )
                result.extra["peer"] = theirs.name
                result.extra["ratio_vs_peer"] = theirs.median / result.median
                results.append(theirs)
        finally:
            if peer is not None:
                peer.close()
    return results
