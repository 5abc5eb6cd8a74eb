"""Several sessions on one mailbox: each client's picture stays exactly the server's.

Issue 4's main property, stated as a hypothesis state machine: sessions of
one ``IMAPServer(MemoryBackend)`` (pure ``server.connect()`` connections)
APPEND, STORE, EXPUNGE (STORE \\Deleted + EXPUNGE, and UID EXPUNGE), FETCH,
SEARCH, NOOP and IDLE in random interleavings, while another process (the
backend itself) appends too.  A model client per session applies only the
bytes that session received (EXISTS, EXPUNGE, FETCH with UID and FLAGS) and
must always hold exactly the server's view of that session: the same count,
the same UID at every sequence number it has learned, the same flags.  A
keyword may appear in a FETCH only after a FLAGS response announced it to that
session (RFC 3501 7.2.6, RFC 9051 7.3.5).  No
EXPUNGE may arrive inside a non-UID FETCH, STORE or SEARCH exchange (RFC 3501
7.4.1), and after NOOP + ``FETCH 1:* (UID FLAGS)`` the model equals the
mailbox itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from imap_sansio.server import IMAPServer, MemoryBackend, Session
from imap_sansio.testing import fixed_clock
from imap_sansio.testing.transcript import play

SESSIONS = 4
#: Sessions 0..WRITERS-1 SELECT the mailbox; the others EXAMINE it (read-only).
WRITERS = 3
FLAGS = ("\\Seen", "\\Flagged", "\\Answered", "\\Deleted", "$Label", "$Label2", "$Label3")
DATE = datetime(2024, 1, 1, tzinfo=UTC)

_EXISTS = re.compile(rb"\* (\d+) EXISTS")
_EXPUNGE = re.compile(rb"\* (\d+) EXPUNGE")
_FETCH = re.compile(rb"\* (\d+) FETCH \((.*)\)")
_UID = re.compile(rb"(?:^| )UID (\d+)")
_FLAGS_ITEM = re.compile(rb"(?:^| )FLAGS \(([^)]*)\)")
_FLAGS_RESPONSE = re.compile(rb"\* FLAGS \(([^)]*)\)")
_SEARCH = re.compile(rb"\* SEARCH((?: \d+)*)")
_TAGGED = re.compile(rb"([A-Za-z0-9.]+) (OK|NO|BAD)\b")


@dataclass
class ModelClient:
    """What one client knows, learned only from the bytes it received."""

    conn: Session
    uids: list[int | None] = field(default_factory=list)
    flags: list[frozenset[str] | None] = field(default_factory=list)
    next_tag: int = 0
    idle_tag: str | None = None
    #: UIDs this client has seen with \Recent in a FETCH FLAGS.
    recent: set[int] = field(default_factory=set)
    #: The mailbox's flags as the last FLAGS response told them.
    mailbox_flags: set[str] = field(default_factory=set)
    log: list[bytes] = field(default_factory=list)

    def apply(self, line: bytes, *, expunge_forbidden: bool) -> None:
        self.log.append(line)
        if m := _EXISTS.fullmatch(line):
            count = int(m.group(1))
            # RFC 3501 7.3.1: EXISTS never shrinks what EXPUNGE has not removed.
            assert count >= len(self.uids), (line, len(self.uids))
            grow = count - len(self.uids)
            self.uids += [None] * grow
            self.flags += [None] * grow
        elif m := _EXPUNGE.fullmatch(line):
            assert not expunge_forbidden, f"EXPUNGE during a non-UID command: {line!r}"
            seq = int(m.group(1))
            assert 1 <= seq <= len(self.uids), (line, len(self.uids))
            del self.uids[seq - 1]
            del self.flags[seq - 1]
        elif m := _FETCH.fullmatch(line):
            seq = int(m.group(1))
            assert 1 <= seq <= len(self.uids), (line, len(self.uids))
            items = m.group(2)
            if u := _UID.search(items):
                uid = int(u.group(1))
                known = self.uids[seq - 1]
                assert known in (None, uid), f"message {seq} was UID {known}, now {line!r}"
                self.uids[seq - 1] = uid
            if f := _FLAGS_ITEM.search(items):
                names = f.group(1).decode().split()
                unknown = {n for n in names if not n.startswith("\\")} - self.mailbox_flags
                assert not unknown, f"keyword used without being in FLAGS: {line!r}"
                self.flags[seq - 1] = frozenset(n for n in names if n != "\\Recent")
                uid_now = self.uids[seq - 1]
                if uid_now is not None and "\\Recent" in names:
                    self.recent.add(uid_now)
        elif m := _FLAGS_RESPONSE.fullmatch(line):
            self.mailbox_flags = set(m.group(1).decode().split())
        elif m := _SEARCH.fullmatch(line):
            numbers = [int(n) for n in m.group(1).split()]
            assert all(n >= 1 for n in numbers), line


class Sessions(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.backend = MemoryBackend(users={"alice": "secret"})
        self.account = self.backend.account("alice")
        for i in range(3):
            self.account.append("INBOX", b"Subject: %d\r\n\r\nx\r\n" % i, internal_date=DATE)
        self.server = IMAPServer(self.backend, clock=fixed_clock())
        self.clients: list[ModelClient] = []
        for index in range(SESSIONS):
            client = ModelClient(self.server.connect())
            client.conn.data_to_send()
            self.clients.append(client)
            self.command(client, b"LOGIN alice secret")
            self.command(client, b"SELECT INBOX" if index < WRITERS else b"EXAMINE INBOX")
            self.checkpoint_of(client)

    # ------------------------------------------------------------ plumbing

    def lines(self, client: ModelClient) -> list[bytes]:
        data = client.conn.data_to_send()
        assert not client.conn.closed
        return data.split(b"\r\n")[:-1] if data else []

    def end_idle(self, client: ModelClient) -> None:
        if client.idle_tag is None:
            return
        tag, client.idle_tag = client.idle_tag, None
        client.conn.receive_data(b"DONE\r\n")
        self.read_until(client, tag.encode(), expunge_forbidden=False)

    def read_until(self, client: ModelClient, tag: bytes, *, expunge_forbidden: bool) -> bytes:
        for line in self.lines(client):
            m = _TAGGED.match(line)
            if m is not None and m.group(1) == tag:
                return line
            if line.startswith(b"+"):
                continue
            client.apply(line, expunge_forbidden=expunge_forbidden)
        raise AssertionError(f"no tagged reply for {tag!r}; log: {client.log[-5:]!r}")

    def command(self, client: ModelClient, text: bytes, literal: bytes | None = None) -> bytes:
        self.end_idle(client)
        client.next_tag += 1
        tag = b"t%d" % client.next_tag
        name = text.split(b" ", 2)
        forbidden = name[0] in (b"FETCH", b"STORE", b"SEARCH")
        if literal is None:
            client.conn.receive_data(tag + b" " + text + b"\r\n")
        else:
            client.conn.receive_data(tag + b" " + text + b" {%d}\r\n" % len(literal))
            client.conn.receive_data(literal + b"\r\n")
        reply = self.read_until(client, tag, expunge_forbidden=forbidden)
        self.poll_idlers()
        return reply

    def poll_idlers(self) -> None:
        # What an adapter does when the backend reports a change.
        for client in self.clients:
            if client.idle_tag is not None:
                client.conn.poll()
                for line in self.lines(client):
                    client.apply(line, expunge_forbidden=False)

    def known_uids(self, client: ModelClient) -> list[int]:
        return [u for u in client.uids if u is not None]

    def checkpoint_of(self, client: ModelClient) -> None:
        self.command(client, b"NOOP")
        if client.uids:
            assert self.command(client, b"FETCH 1:* (UID FLAGS)").split()[1] == b"OK"
        mailbox = self.account.select("INBOX")
        messages = mailbox.messages()
        assert client.uids == [m.uid for m in messages], client.log[-10:]
        assert client.flags == [m.flags for m in messages], client.log[-10:]

    # --------------------------------------------------------------- rules

    @rule(s=st.integers(0, SESSIONS - 1), flags=st.sets(st.sampled_from(FLAGS), max_size=2))
    def append_by_a_session(self, s: int, flags: set[str]) -> None:
        flag_list = " ".join(sorted(flags)).encode()
        reply = self.command(self.clients[s], b"APPEND INBOX (" + flag_list + b")", b"a\r\n")
        assert b" OK " in reply, reply

    @rule(flags=st.sets(st.sampled_from(FLAGS), max_size=2))
    def append_by_another_process(self, flags: set[str]) -> None:
        self.account.append("INBOX", b"b\r\n", flags=flags, internal_date=DATE)
        self.poll_idlers()

    @rule(
        s=st.integers(0, WRITERS - 1),
        data=st.data(),
        op=st.sampled_from([b"+FLAGS", b"-FLAGS", b"FLAGS", b"+FLAGS.SILENT"]),
        flags=st.sets(st.sampled_from(FLAGS), max_size=2),
        by_uid=st.booleans(),
    )
    def store(self, s: int, data: st.DataObject, op: bytes, flags: set[str], by_uid: bool) -> None:
        client = self.clients[s]
        self.end_idle(client)
        flag_list = b"(" + " ".join(sorted(flags)).encode() + b")"
        if by_uid:
            uids = self.known_uids(client)
            if not uids:
                return
            chosen = data.draw(st.sampled_from(uids))
            self.command(client, b"UID STORE %d %s %s" % (chosen, op, flag_list))
            uid: int | None = chosen
        else:
            if not client.uids:
                return
            seq = data.draw(st.integers(1, len(client.uids)))
            uid = client.uids[seq - 1]
            self.command(client, b"STORE %d %s %s" % (seq, op, flag_list))
        # A UID STORE may deliver EXPUNGEs that renumber the message.
        if uid is None or uid not in client.uids:
            return
        index = client.uids.index(uid)
        if op == b"+FLAGS.SILENT" and client.flags[index] is not None:
            # RFC 3501 6.4.6: .SILENT, the client knows the result itself.
            old = client.flags[index]
            assert old is not None
            client.flags[index] = old | frozenset(flags)

    @rule(s=st.integers(0, WRITERS - 1), data=st.data())
    def delete_and_expunge(self, s: int, data: st.DataObject) -> None:
        client = self.clients[s]
        self.end_idle(client)
        if not client.uids:
            return
        seq = data.draw(st.integers(1, len(client.uids)))
        self.command(client, b"STORE %d +FLAGS (\\Deleted)" % seq)
        self.command(client, b"EXPUNGE")

    @rule(s=st.integers(0, WRITERS - 1), data=st.data())
    def uid_expunge(self, s: int, data: st.DataObject) -> None:
        client = self.clients[s]
        self.end_idle(client)
        uids = self.known_uids(client)
        if not uids:
            return
        uid = data.draw(st.sampled_from(uids))
        self.command(client, b"UID STORE %d +FLAGS (\\Deleted)" % uid)
        self.command(client, b"UID EXPUNGE %d" % uid)
        assert uid not in client.uids

    @rule(s=st.integers(0, SESSIONS - 1), data=st.data(), by_uid=st.booleans())
    def fetch(self, s: int, data: st.DataObject, by_uid: bool) -> None:
        client = self.clients[s]
        self.end_idle(client)
        if by_uid:
            self.command(client, b"UID FETCH 1:* (FLAGS)")
            return
        if not client.uids:
            return
        low = data.draw(st.integers(1, len(client.uids)))
        high = data.draw(st.integers(low, len(client.uids)))
        reply = self.command(client, b"FETCH %d:%d (UID FLAGS)" % (low, high))
        assert reply.split()[1] == b"OK", reply

    @rule(s=st.integers(0, SESSIONS - 1), by_uid=st.booleans())
    def search(self, s: int, by_uid: bool) -> None:
        client = self.clients[s]
        self.end_idle(client)
        count = len(client.uids)
        before = len(client.log)
        self.command(client, b"UID SEARCH ALL" if by_uid else b"SEARCH ALL")
        results = [m for line in client.log[before:] if (m := _SEARCH.fullmatch(line))]
        assert len(results) == 1
        numbers = [int(n) for n in results[0].group(1).split()]
        if not by_uid:
            assert all(1 <= n <= count for n in numbers), (numbers, count)

    @rule(s=st.integers(0, SESSIONS - 1))
    def noop(self, s: int) -> None:
        self.command(self.clients[s], b"NOOP")

    @rule(s=st.integers(0, SESSIONS - 1))
    def idle(self, s: int) -> None:
        client = self.clients[s]
        if client.idle_tag is not None:
            self.end_idle(client)
            return
        client.next_tag += 1
        client.idle_tag = f"t{client.next_tag}"
        client.conn.receive_data(client.idle_tag.encode() + b" IDLE\r\n")
        lines = self.lines(client)
        assert lines and lines[0] == b"+ idling", lines
        for line in lines[1:]:
            client.apply(line, expunge_forbidden=False)

    @rule()
    def change_notice(self) -> None:
        """What a process does when it hears of a change (PostgreSQL
        LISTEN/NOTIFY): every session syncs, also between its commands;
        only an idling one is told at once."""
        for client in self.clients:
            client.conn.poll()
            lines = self.lines(client)
            assert client.idle_tag is not None or not lines, lines
            for line in lines:
                client.apply(line, expunge_forbidden=False)

    @rule(s=st.integers(0, SESSIONS - 1))
    def checkpoint(self, s: int) -> None:
        self.checkpoint_of(self.clients[s])

    # ---------------------------------------------------------- invariants

    @invariant()
    def recent_goes_to_one_session_only(self) -> None:
        """RFC 3501 2.3.2: \\Recent is given to one session (of those that SELECT)."""
        seen: dict[int, int] = {}
        for index, client in enumerate(self.clients[:WRITERS]):
            for uid in client.recent:
                assert seen.setdefault(uid, index) == index, (uid, seen[uid], index)

    @invariant()
    def every_client_holds_its_sessions_view(self) -> None:
        for client in self.clients:
            view = client.conn.view
            assert view is not None
            assert len(client.uids) == view.exists, (len(client.uids), view.exists)
            for seq, (uid, flags) in enumerate(zip(client.uids, client.flags, strict=True), 1):
                if uid is None:
                    continue
                assert view.uids[seq - 1] == uid, (seq, uid, view.uids)
                # A change notice may have synced flags the client is told
                # with the next command's updates.
                if flags is not None and not view.is_expunged(uid) and not view.has_updates:
                    assert flags == view.flags_of(uid), (seq, uid, flags, view.flags_of(uid))


Sessions.TestCase.settings = settings(max_examples=50, stateful_step_count=30, deadline=None)
test_sessions_keep_every_clients_view_exact = Sessions.TestCase


# ------------------------------------------------------------- edge cases


def _server_with(count: int) -> IMAPServer:
    backend = MemoryBackend(users={"alice": "secret"})
    account = backend.account("alice")
    for i in range(count):
        account.append("INBOX", b"Subject: %d\r\n\r\nx\r\n" % i, internal_date=DATE)
    return IMAPServer(backend, clock=fixed_clock())


def _open(conn: str, count: int) -> str:
    return f"""
        C{conn}: {conn}a LOGIN alice secret
        S{conn}: {conn}a OK $ANY
        C{conn}: {conn}b SELECT INBOX
        S{conn}: * FLAGS ($ANY)
        S{conn}: * {count} EXISTS
        S{conn}: * $NUMBER RECENT
        S{conn}: * OK [UNSEEN 1] $ANY
        S{conn}: * OK [UIDVALIDITY $NUMBER] UIDs valid
        S{conn}: * OK [UIDNEXT {count + 1}] Predicted next UID
        S{conn}: * OK [PERMANENTFLAGS ($ANY)] Flags permitted
        S{conn}: {conn}b OK [READ-WRITE] SELECT completed
    """


def test_expunge_of_the_message_just_fetched() -> None:
    """RFC 3501 7.4.1: the FETCH still answers for it, EXPUNGE waits for NOOP."""
    play(
        _server_with(3),
        _open("1", 3)
        + _open("2", 3)
        + """
        C1: a1 FETCH 2 (UID FLAGS)
        S1: * 2 FETCH (UID 2 FLAGS ($ANY))
        S1: a1 OK FETCH completed
        C2: b1 STORE 2 +FLAGS.SILENT (\\Deleted)
        S2: b1 OK STORE completed
        C2: b2 EXPUNGE
        S2: * 2 EXPUNGE
        S2: b2 OK EXPUNGE completed
        C1: a2 FETCH 2 (UID)
        S1: * 2 FETCH (UID 2)
        S1: a2 OK [EXPUNGEISSUED] $ANY
        C1: a3 NOOP
        S1: * 2 EXPUNGE
        S1: a3 OK NOOP completed
        C1: a4 FETCH 2 (UID)
        S1: * 2 FETCH (UID 3)
        S1: a4 OK FETCH completed
        """,
    )


def test_two_adjacent_expunges_are_both_numbered_3() -> None:
    """RFC 3501 7.4.1: expunging messages 3 and 4 reads ``* 3 EXPUNGE`` twice."""
    play(
        _server_with(5),
        _open("1", 5)
        + _open("2", 5)
        + """
        C2: b1 STORE 3:4 +FLAGS.SILENT (\\Deleted)
        S2: b1 OK STORE completed
        C2: b2 EXPUNGE
        S2: * 3 EXPUNGE
        S2: * 3 EXPUNGE
        S2: b2 OK EXPUNGE completed
        C1: a1 NOOP
        S1: * 3 EXPUNGE
        S1: * 3 EXPUNGE
        S1: a1 OK NOOP completed
        C1: a2 FETCH 1:* (UID)
        S1: * 1 FETCH (UID 1)
        S1: * 2 FETCH (UID 2)
        S1: * 3 FETCH (UID 5)
        S1: a2 OK FETCH completed
        """,
    )


def test_expunge_plus_append_before_the_next_noop() -> None:
    """The EXPUNGE comes before the EXISTS, which counts after the expunge."""
    play(
        _server_with(3),
        _open("1", 3)
        + _open("2", 3)
        + """
        C2: b1 STORE 2 +FLAGS.SILENT (\\Deleted)
        S2: b1 OK STORE completed
        C2: b2 EXPUNGE
        S2: * 2 EXPUNGE
        S2: b2 OK EXPUNGE completed
        C2: b3 APPEND INBOX {3}
        S2: + $ANY
        C2: new
        S2: * 3 EXISTS
        S2: * 1 RECENT
        S2: b3 OK [APPENDUID $NUMBER 4] APPEND completed
        C1: a1 NOOP
        S1: * 2 EXPUNGE
        S1: * 3 EXISTS
        S1: a1 OK NOOP completed
        C1: a2 FETCH 1:* (UID)
        S1: * 1 FETCH (UID 1)
        S1: * 2 FETCH (UID 3)
        S1: * 3 FETCH (UID 4)
        S1: a2 OK FETCH completed
        """,
    )


def test_flags_changed_then_message_expunged_sends_only_the_expunge() -> None:
    """No FETCH for a message that is gone: the EXPUNGE says it all."""
    play(
        _server_with(3),
        _open("1", 3)
        + _open("2", 3)
        + """
        C2: b1 STORE 2 +FLAGS (\\Flagged)
        S2: * 2 FETCH (FLAGS (\\Flagged$ANY))
        S2: b1 OK STORE completed
        C2: b2 STORE 3 +FLAGS (\\Seen)
        S2: * 3 FETCH (FLAGS (\\Seen$ANY))
        S2: b2 OK STORE completed
        C2: b3 STORE 2 +FLAGS.SILENT (\\Deleted)
        S2: b3 OK STORE completed
        C2: b4 EXPUNGE
        S2: * 2 EXPUNGE
        S2: b4 OK EXPUNGE completed
        C1: a1 NOOP
        S1: * 2 EXPUNGE
        S1: * 2 FETCH (FLAGS (\\Seen$ANY) UID 3)
        S1: a1 OK NOOP completed
        """,
    )


def _selected(count: int, deleted: tuple[int, ...] = ()) -> tuple[Session, MemoryBackend]:
    backend = MemoryBackend(users={"alice": "secret"})
    account = backend.account("alice")
    for i in range(1, count + 1):
        flags = ("\\Deleted",) if i in deleted else ()
        account.append("INBOX", b"m%d\r\n" % i, flags=flags, internal_date=DATE)
    conn = IMAPServer(backend, clock=fixed_clock()).connect()
    conn.receive_data(b"a LOGIN alice secret\r\nb SELECT INBOX\r\n")
    conn.data_to_send()
    return conn, backend


def test_pipelined_fetch_after_noop_sees_what_the_noop_announced() -> None:
    """RFC 3501 5.5: commands are executed to completion in the order given,
    so the FETCH's numbers count the message the NOOP announced."""
    conn, backend = _selected(0)
    backend.account("alice").append("INBOX", b"new\r\n", internal_date=DATE)
    conn.receive_data(b"x1 NOOP\r\nx2 FETCH 1 (UID)\r\n")
    assert conn.data_to_send() == (
        b"* 1 EXISTS\r\n* 1 RECENT\r\nx1 OK NOOP completed\r\n"
        b"* 1 FETCH (UID 1)\r\nx2 OK FETCH completed\r\n"
    )


def test_pipelined_fetch_after_append_sees_the_appended_message() -> None:
    conn, _ = _selected(0)
    conn.receive_data(b"x1 APPEND INBOX {3+}\r\nnew\r\nx2 FETCH 1 (UID)\r\n")
    assert conn.data_to_send() == (
        b"* 1 EXISTS\r\n* 1 RECENT\r\nx1 OK [APPENDUID 1 1] APPEND completed\r\n"
        b"* 1 FETCH (UID 1)\r\nx2 OK FETCH completed\r\n"
    )


def test_pipelined_fetch_after_expunge_uses_the_new_numbers() -> None:
    conn, _ = _selected(3, deleted=(1,))
    conn.receive_data(b"x1 EXPUNGE\r\nx2 FETCH 2 (UID)\r\n")
    assert conn.data_to_send() == (
        b"* 1 EXPUNGE\r\nx1 OK EXPUNGE completed\r\n* 2 FETCH (UID 3)\r\nx2 OK FETCH completed\r\n"
    )


def test_keyword_from_another_session_is_announced_before_fetch_uses_it() -> None:
    """RFC 3501 7.2.6: FLAGS lists $Label4 before a FETCH of session 1 carries it.

    Dovecot's imaptest in stress mode reported "Keyword used without being in
    FLAGS" when FETCH sent another session's new keyword first.
    """
    system = "\\Answered \\Flagged \\Deleted \\Seen \\Draft"
    four = f"* FLAGS ({system} $Label4)"
    four_ok = f"* OK [PERMANENTFLAGS ({system} $Label4 \\*)] Flags permitted"
    five = f"* FLAGS ({system} $Label4 $Label5)"
    five_ok = f"* OK [PERMANENTFLAGS ({system} $Label4 $Label5 \\*)] Flags permitted"
    play(
        _server_with(2),
        _open("1", 2)
        + _open("2", 2)
        + f"""
        C2: b1 STORE 1 +FLAGS.SILENT ($Label4)
        S2: {four}
        S2: {four_ok}
        S2: b1 OK STORE completed
        C1: a1 FETCH 1 (FLAGS)
        S1: {four}
        S1: {four_ok}
        S1: * 1 FETCH (FLAGS ($Label4 \\Recent))
        S1: a1 OK FETCH completed
        C1: a2 STORE 2 +FLAGS ($Label5)
        S1: {five}
        S1: {five_ok}
        S1: * 2 FETCH (FLAGS ($Label5 \\Recent))
        S1: a2 OK STORE completed
        C2: b2 UID STORE 2 +FLAGS (\\Seen)
        S2: {five}
        S2: {five_ok}
        S2: * 2 FETCH (FLAGS ($Label5 \\Seen) UID 2)
        S2: b2 OK STORE completed
        """,
    )


def test_keyword_taken_in_by_a_poll_is_announced_before_store_uses_it() -> None:
    """RFC 3501 7.2.6: a poll (an adapter heard of a change while the session
    was not idling) queues the new FLAGS list for the next drain; a STORE
    that then sends a FETCH with that keyword sends FLAGS first."""
    server = _server_with(1)
    a, b = server.connect(), server.connect()
    for conn in (a, b):
        conn.receive_data(b"1 LOGIN alice secret\r\n2 SELECT INBOX\r\n")
        conn.data_to_send()
    b.receive_data(b"3 APPEND INBOX ($Label) {1+}\r\nx\r\n")
    b.data_to_send()
    a.poll()
    assert a.data_to_send() == b""  # not idling: nothing goes out yet
    a.receive_data(b"4 STORE 1 +FLAGS ($Label)\r\n")
    flags = b"\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label"
    assert a.data_to_send() == (
        b"* FLAGS (" + flags + b")\r\n"
        b"* OK [PERMANENTFLAGS (" + flags + b" \\*)] Flags permitted\r\n"
        b"* 1 FETCH (FLAGS ($Label \\Recent))\r\n"
        b"* 2 EXISTS\r\n"
        b"4 OK STORE completed\r\n"
    )


def test_keyword_of_a_message_expunged_elsewhere_is_announced_before_fetch() -> None:
    """RFC 3501 7.2.6: polls took in $Label on message 2, then its expunge.
    A FETCH may not send that EXPUNGE (RFC 3501 7.4.1), so it answers with
    the flags the session last saw, $Label among them: FLAGS goes first.

    The shrunk failure of the state machine over two PostgreSQL-backed
    processes, whose change notices poll sessions between commands."""
    server = _server_with(2)
    a, b = server.connect(), server.connect()
    for conn in (a, b):
        conn.receive_data(b"1 LOGIN alice secret\r\n2 SELECT INBOX\r\n")
        conn.data_to_send()
    for step in (b"3 STORE 2 +FLAGS.SILENT ($Label)", b"4 STORE 2 +FLAGS.SILENT (\\Deleted)"):
        b.receive_data(step + b"\r\n")
        b.data_to_send()
        a.poll()
    b.receive_data(b"5 EXPUNGE\r\n")
    b.data_to_send()
    a.poll()
    assert a.data_to_send() == b""  # not idling: nothing goes out yet
    a.receive_data(b"6 FETCH 1:2 (UID FLAGS)\r\n")
    flags = b"\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label"
    assert a.data_to_send() == (
        b"* FLAGS (" + flags + b")\r\n"
        b"* OK [PERMANENTFLAGS (" + flags + b" \\*)] Flags permitted\r\n"
        b"* 1 FETCH (UID 1 FLAGS (\\Recent))\r\n"
        b"* 2 FETCH (UID 2 FLAGS ($Label \\Deleted \\Recent))\r\n"
        b"6 OK [EXPUNGEISSUED] Some messages were expunged meanwhile\r\n"
    )


def test_silent_store_keeps_a_flag_change_a_poll_took_in() -> None:
    """A poll took in \\Seen, stored by session 2, while session 1 was not
    idling; session 1's STORE +FLAGS.SILENT (\\Flagged) then leaves the
    message as the client cannot know it (RFC 3501 6.4.6: .SILENT spares
    only what the client knows), so the flag update still goes out."""
    server = _server_with(1)
    a, b = server.connect(), server.connect()
    for conn in (a, b):
        conn.receive_data(b"1 LOGIN alice secret\r\n2 SELECT INBOX\r\n")
        conn.data_to_send()
    b.receive_data(b"3 STORE 1 +FLAGS.SILENT (\\Seen)\r\n")
    b.data_to_send()
    a.poll()
    assert a.data_to_send() == b""  # not idling: nothing goes out yet
    a.receive_data(b"4 STORE 1 +FLAGS.SILENT (\\Flagged)\r\n")
    assert a.data_to_send() == (
        b"* 1 FETCH (FLAGS (\\Flagged \\Seen \\Recent) UID 1)\r\n4 OK STORE completed\r\n"
    )
