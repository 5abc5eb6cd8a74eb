"""Message commands: FETCH, STORE, COPY and MOVE, and their UID forms.

FETCH (RFC 3501 6.4.5, 7.4.2; RFC 9051 6.4.5, 7.5.2) with BINARY (RFC 3516)
and the CONDSTORE items (RFC 7162 3.1.4); STORE (RFC 3501 6.4.6, RFC 7162
3.1.3 UNCHANGEDSINCE); COPY (RFC 3501 6.4.7, COPYUID from RFC 4315 3); MOVE
(RFC 6851); also FETCH PREVIEW (RFC 8970), EMAILID and THREADID (RFC 8474
5.3) and SAVEDATE (RFC 8514 4.2) when the account keeps them.  The UID forms (RFC 3501
6.4.8) arrive as the same events with ``uid=True``; the engine has already
resolved every message set to UIDs.

Messages another session expunged, of which this one has not been told yet
(RFC 3501 7.4.1 forbids telling it during FETCH/STORE), are answered from
whatever the backend still has, NIL or empty otherwise, and the tagged OK
carries ``[EXPUNGEISSUED]`` (RFC 5530 3), as Dovecot does.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from itertools import pairwise
from typing import Any

from .._commands import (
    Copy,
    Fetch,
    FetchAttribute,
    FetchBinary,
    FetchBinarySize,
    FetchBody,
    FetchItem,
    FetchPreview,
    Move,
    Section,
    Store,
)
from .._responses import (
    AtomCode,
    BinarySectionItem,
    BinarySizeItem,
    BodyItem,
    BodySectionItem,
    BodyStructureItem,
    CopyUidCode,
    EmailIdItem,
    EnvelopeItem,
    FetchDataItem,
    FlagsItem,
    InternalDateItem,
    ModifiedCode,
    ModSeqItem,
    PreviewItem,
    Rfc822HeaderItem,
    Rfc822Item,
    Rfc822SizeItem,
    Rfc822TextItem,
    SaveDateItem,
    ThreadIdItem,
    UidItem,
    VanishedData,
)
from .._sequence import SequenceSet, UidSet
from .._source import BytesSource, MessageSource, SourceSlice
from .._view import SelectedMailboxView, uid_set
from ..mime import Message, UnknownTransferEncoding, preview
from ._acl import copy_messages, mailbox_rights, permits_flag
from ._backend import (
    CopyResult,
    ImapBad,
    ImapNo,
    Mailbox,
    MessageInfo,
    ObjectIdAccount,
    SaveDateAccount,
    StoreAction,
    normalize_flags,
)
from ._condstore import enable_condstore, highest_modseq_completion, vanished_since
from ._search import partial_window
from ._session import (
    Completion,
    ServerCommand,
    Session,
    Steps,
    announce_keywords,
    serve,
    trycreate,
)

__all__ = ["ACCOUNT_CAPABILITIES", "COMMANDS", "ENABLEABLE"]

#: What ENABLE can turn on because of these handlers (CONDSTORE and QRESYNC
#: are claimed by _cmd_session, whose SELECT takes their parameters).
ENABLEABLE: frozenset[str] = frozenset()

_SEEN = "\\Seen"
_RECENT = "\\Recent"

#: FETCH attributes answered here (the grammar also reads Gmail's X-GM-*
#: items, for an extension not advertised); EMAILID, THREADID and SAVEDATE
#: only for an account that keeps them (see _OPTIONAL_ATTRIBUTES).
_ATTRIBUTES = frozenset(
    {
        "FLAGS",
        "UID",
        "INTERNALDATE",
        "RFC822.SIZE",
        "ENVELOPE",
        "BODY",
        "BODYSTRUCTURE",
        "RFC822",
        "RFC822.HEADER",
        "RFC822.TEXT",
        "MODSEQ",
    }
)
#: Attributes offered when the account implements a protocol (RFC 8474 5.3,
#: RFC 8514 4.2); without it they are BAD like any item not advertised.
_OPTIONAL_ATTRIBUTES: dict[str, type] = {
    "EMAILID": ObjectIdAccount,
    "THREADID": ObjectIdAccount,
    "SAVEDATE": SaveDateAccount,
}
#: Attributes that need the message bytes.
_NEEDS_BYTES = frozenset(
    {"RFC822.SIZE", "ENVELOPE", "BODY", "BODYSTRUCTURE", "RFC822", "RFC822.HEADER", "RFC822.TEXT"}
)

_STORE_ACTIONS = {
    "replace": StoreAction.SET,
    "add": StoreAction.ADD,
    "remove": StoreAction.REMOVE,
}


def _condstore(session: Session) -> bool:
    """RFC 7162 3.1: a CONDSTORE-aware client gets MODSEQ in every FETCH response."""
    enabled = session.conn.enabled
    return "CONDSTORE" in enabled or "QRESYNC" in enabled


def _flags_for_client(recent: AbstractSet[int], uid: int, flags: Iterable[str]) -> FlagsItem:
    """FLAGS as this session sees them: \\Recent is session state (RFC 3501 2.3.2),
    kept by the view, never stored; ordered as the view's own FETCH updates."""
    out = sorted(flags)
    if uid in recent:
        out.append(_RECENT)
    return FlagsItem(flags=tuple(out))


def _recent(session: Session, view: SelectedMailboxView) -> AbstractSet[int]:
    """The messages to show as \\Recent: none after ENABLE IMAP4rev2, which
    deprecates the flag (RFC 9051 2.3.2, Appendix E item 12)."""
    return frozenset() if "IMAP4REV2" in session.conn.enabled else view.recent


def _ranges(numbers: Iterable[int]) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for n in sorted(set(numbers)):
        if out and n == out[-1][1] + 1:
            out[-1] = (out[-1][0], n)
        else:
            out.append((n, n))
    return tuple(out)


# ---------------------------------------------------------------------------
# FETCH


def _sets_seen(item: FetchItem) -> bool:
    """RFC 3501 6.4.5: BODY[...] (not BODY.PEEK), RFC822 and RFC822.TEXT set
    \\Seen; so does BINARY[...] (RFC 3516 4.1: as BODY[] does)."""
    if isinstance(item, FetchBody | FetchBinary):
        return not item.peek
    return isinstance(item, FetchAttribute) and item.name in ("RFC822", "RFC822.TEXT")


def _whole_message(item: FetchItem) -> bool:
    """BODY[], BINARY[], RFC822 and their partials: written from the store's
    :class:`MessageSource` as the client reads, never parsed nor held whole."""
    if isinstance(item, FetchBody):
        section = item.section
        return not section.part and section.text is None
    if isinstance(item, FetchBinary | FetchBinarySize):
        return not item.part
    return isinstance(item, FetchAttribute) and item.name == "RFC822"


def _needs_bytes(item: FetchItem) -> bool:
    if _whole_message(item):
        return False
    if isinstance(item, FetchAttribute):
        return item.name in _NEEDS_BYTES
    return True  # sections, BINARY, BINARY.SIZE, PREVIEW


_SUPPORTED = (FetchAttribute, FetchBody, FetchBinary, FetchBinarySize, FetchPreview)


def _check_items(session: Session, command: Fetch) -> tuple[FetchItem, ...]:
    """The items in the order asked, duplicates dropped; BAD for what is not offered."""
    seen: dict[FetchItem, None] = {}
    for item in command.items:
        if (
            isinstance(item, FetchAttribute)
            and item.name not in _ATTRIBUTES
            and not isinstance(session.account, _OPTIONAL_ATTRIBUTES.get(item.name, ()))
        ):
            # Items of extensions this server does not advertise (RFC 3501
            # 6.4.5 lists the rest): a BAD, never an empty "* 1 FETCH ()".
            raise ImapBad(f"FETCH {item.name} is not supported", "CLIENTBUG")
        if not isinstance(item, _SUPPORTED):  # ANNOTATION (RFC 5257)
            raise ImapBad("FETCH item not supported", "CLIENTBUG")
        seen.setdefault(item, None)
    if command.vanished:
        # RFC 7162 3.2.6: only UID FETCH, only after ENABLE QRESYNC, and only
        # with CHANGEDSINCE; each of these "MUST" otherwise be a BAD.
        if not command.uid:
            raise ImapBad("VANISHED is only valid with UID FETCH", "CLIENTBUG")
        if "QRESYNC" not in session.conn.enabled:
            raise ImapBad("VANISHED needs ENABLE QRESYNC first", "CLIENTBUG")
        if command.changedsince is None:
            raise ImapBad("VANISHED needs CHANGEDSINCE", "CLIENTBUG")
    return tuple(seen)


def _section_data(message: Message, section: Section) -> bytes | memoryview | None:
    """``BODY[section]`` as a slice of the stored bytes (no copy), None if absent.

    Same addressing as :meth:`Message.section` (RFC 3501 6.4.5), but sliced
    from a memoryview so that a large part is written without being copied.
    """
    path, text = section.part, section.text
    if text in ("HEADER.FIELDS", "HEADER.FIELDS.NOT"):
        return message.section(path, text, section.fields)
    if text is None and not path:
        return message.data
    node = message.part(path)
    if node is None:
        return None
    view = memoryview(message.data)
    if text is None:
        return view[node.body_start : node.end]
    if text == "MIME":
        return view[node.start : node.body_start]
    # HEADER and TEXT of the message, or of a message/rfc822 part.
    inner = node if not path else node.message
    if inner is None:
        return None
    if text == "HEADER":
        return view[inner.start : inner.body_start]
    return view[inner.body_start : inner.end]


def _partial(
    data: bytes | memoryview, partial: tuple[int, int] | None
) -> tuple[bytes | memoryview, int | None]:
    """RFC 3501 6.4.5 ``<origin.count>``: the response names only the origin
    (``BODY[]<0>``); past the end the data is empty."""
    if partial is None:
        return data, None
    origin, count = partial
    return data[origin : origin + count], origin


def _source_partial(
    source: MessageSource, partial: tuple[int, int] | None
) -> tuple[MessageSource, int | None]:
    """:func:`_partial` of the whole message, read from the store later."""
    if partial is None:
        return source, None
    origin, count = partial
    return SourceSlice(source, origin, count), origin


class _FetchMessage:
    """One message's data source during one FETCH: parsed once, on demand."""

    __slots__ = (
        "_loaded",
        "_message",
        "_source",
        "gone",
        "info",
        "mailbox",
        "prefix",
        "session",
        "uid",
    )

    def __init__(
        self,
        session: Session,
        mailbox: Mailbox,
        uid: int,
        info: MessageInfo | None,
        gone: bool,
        *,
        prefix: tuple[str, str, int] | None = None,
    ) -> None:
        self.session = session
        #: The cache key's part shared by the command's messages (see
        #: Session.parsed_message).
        self.prefix = prefix
        self.mailbox = mailbox
        self.uid = uid
        self.info = info
        self.gone = gone or info is None
        self._loaded = False
        self._message: Message | None = None
        self._source: MessageSource | None = None

    @property
    def source(self) -> MessageSource | None:
        """The stored message to stream, None if the backend no longer has it."""
        if self._source is None and self._loaded and self._message is not None:
            # Parsed for another item already: no second read from the store.
            self._source = BytesSource(self._message.data)
        if self._source is None and not self.gone:
            self._source = self.mailbox.open_message(self.uid)
            if self._source is None:
                self.gone = True
        return self._source

    @property
    def message(self) -> Message | None:
        """The parsed message, None if the backend no longer has its bytes."""
        if not self._loaded:
            self._loaded = True
            self._message = self.session.parsed_message(self.mailbox, self.uid, prefix=self.prefix)
            if self._message is None:
                self.gone = True
        return self._message

    @property
    def structure_source(self) -> Message:
        # An expunged message answers as an empty one: NIL envelope fields,
        # an empty text/plain body (RFC 2180 4.1.3 style).
        return self.message or Message(b"")


def _fetch_item(
    item: FetchItem,
    source: _FetchMessage,
    view: SelectedMailboxView,
    recent: AbstractSet[int],
) -> FetchDataItem | None:
    """One FETCH response item, or None when there is nothing to say (expunged)."""
    uid, info = source.uid, source.info
    if type(item) is FetchAttribute:
        # The commonest items first (a resync fetches FLAGS and UID only).
        if item.name == "FLAGS":
            flags = info.flags if info is not None else view.flags_of(uid)
            return _flags_for_client(recent, uid, flags)
        if item.name == "UID":
            return UidItem(uid=uid)
        if item.name == "RFC822.SIZE" and info is not None:
            return Rfc822SizeItem(size=info.size)
    if _whole_message(item):
        return _whole_message_item(item, source)
    if isinstance(item, FetchBody | FetchBinary):
        msg = source.message
        if msg is None:  # expunged: NIL
            data: bytes | memoryview | None = None
            origin = item.partial[0] if item.partial else None
        elif isinstance(item, FetchBody):
            # A part that does not exist (BODY[5] of a two-part message) is
            # an empty string, as Dovecot answers (nstring also allows NIL,
            # which some clients take for an error).
            section = _section_data(msg, item.section)
            data, origin = _partial(section if section is not None else b"", item.partial)
        else:
            data, origin = _partial(_binary(msg, item.part), item.partial)
        if isinstance(item, FetchBody):
            return BodySectionItem(section=item.section, data=data, origin=origin)
        return BinarySectionItem(part=item.part, data=data, origin=origin)
    if isinstance(item, FetchBinarySize):
        msg = source.message
        size = len(_binary(msg, item.part)) if msg is not None else 0
        return BinarySizeItem(part=item.part, size=size)
    if isinstance(item, FetchPreview):
        msg = source.message
        return PreviewItem(text=preview(msg) if msg is not None else None)
    assert isinstance(item, FetchAttribute)
    name = item.name
    if name == "FLAGS":
        flags = info.flags if info is not None else view.flags_of(uid)
        return _flags_for_client(recent, uid, flags)
    if name == "UID":
        return UidItem(uid=uid)
    if name == "INTERNALDATE":
        return InternalDateItem(date=info.internal_date) if info is not None else None
    if name == "MODSEQ":
        return ModSeqItem(modseq=info.modseq) if info is not None and info.modseq > 0 else None
    if name == "EMAILID":
        # RFC 8474 5.1 (an ObjectIdAccount gives every message one)
        email_id = info.email_id if info is not None else None
        return EmailIdItem(email_id=email_id) if email_id is not None else None
    if name == "THREADID":
        # RFC 8474 5.2: NIL when the store does not thread
        return ThreadIdItem(thread_id=info.thread_id) if info is not None else None
    if name == "SAVEDATE":
        # RFC 8514 4.2: NIL when the mailbox keeps no save dates
        return SaveDateItem(date=info.save_date) if info is not None else None
    if name == "RFC822.SIZE":
        if info is not None:
            return Rfc822SizeItem(size=info.size)
        msg = source.message
        return Rfc822SizeItem(size=msg.size if msg is not None else 0)
    if name == "ENVELOPE":
        return EnvelopeItem(envelope=source.structure_source.envelope)
    if name == "BODY":
        return BodyItem(structure=source.structure_source.bodystructure)
    if name == "BODYSTRUCTURE":
        return BodyStructureItem(structure=source.structure_source.bodystructure)
    msg = source.message
    if name == "RFC822":
        return Rfc822Item(data=msg.data if msg is not None else None)
    if name == "RFC822.HEADER":
        # RFC 3501 6.4.5: = BODY.PEEK[HEADER]
        header = _section_data(msg, Section(text="HEADER")) if msg is not None else None
        return Rfc822HeaderItem(data=header)
    # RFC822.TEXT = BODY[TEXT]
    body = _section_data(msg, Section(text="TEXT")) if msg is not None else None
    return Rfc822TextItem(data=body)


def _whole_message_item(item: FetchItem, source: _FetchMessage) -> FetchDataItem:
    """BODY[], BINARY[] (RFC 3516: the message as stored), BINARY.SIZE[] and
    RFC822 (RFC 3501 6.4.5: = BODY[]), from the store's source; NIL when
    the message is gone (expunged by another session)."""
    stored = source.source
    if isinstance(item, FetchBinarySize):
        return BinarySizeItem(part=(), size=stored.size if stored is not None else 0)
    if isinstance(item, FetchAttribute):
        return Rfc822Item(data=stored)
    assert isinstance(item, FetchBody | FetchBinary)
    data: MessageSource | None = stored
    origin = item.partial[0] if item.partial else None
    if stored is not None:
        data, origin = _source_partial(stored, item.partial)
    if isinstance(item, FetchBody):
        return BodySectionItem(section=item.section, data=data, origin=origin)
    return BinarySectionItem(part=(), data=data, origin=origin)


def _binary(message: Message, part: tuple[int, ...]) -> bytes:
    try:
        decoded = message.binary(part)
    except UnknownTransferEncoding as exc:
        # RFC 3516 4.3: the server cannot decode this part.
        raise ImapNo(
            f"Unknown Content-Transfer-Encoding {exc.encoding.decode('ascii', 'replace')}",
            "UNKNOWN-CTE",
        ) from exc
    return decoded if decoded is not None else b""


def fetch(session: Session, command: Fetch) -> Steps | None:
    """FETCH / UID FETCH (RFC 3501 6.4.5, 6.4.8; RFC 9051 6.4.5)."""
    mailbox, view = session.require_mailbox()
    items = _check_items(session, command)
    names = {i.name for i in items if isinstance(i, FetchAttribute)}
    if "MODSEQ" in names or command.changedsince is not None:
        # RFC 7162 3.1: a CONDSTORE enabling command; the first one sends
        # HIGHESTMODSEQ before anything else.
        enable_condstore(session)
    if command.vanished:
        assert command.changedsince is not None and isinstance(command.messages, UidSet)
        _send_vanished(session, mailbox, view, command.messages, command.changedsince)
    messages = command.messages
    if command.partial is not None:
        # RFC 9394 3.3: only the messages at these positions of the set
        # (then, 3.4, CHANGEDSINCE picks among them).
        window = uid_set(partial_window(view.resolve(messages), command.partial))
        if window is None:
            return None
        messages = window
    if command.changedsince is None:
        uids = view.resolve(messages)
        if not uids:
            return None
        infos = {info.uid: info for info in mailbox.messages(uids)}
    else:
        uids, infos = _changed_since(mailbox, view, messages, command.changedsince)
    condstore = _condstore(session)
    qresync = "QRESYNC" in session.conn.enabled
    # RFC 7162 3.1.4.1: CHANGEDSINCE implies MODSEQ; 3.1: a CONDSTORE-aware
    # client gets MODSEQ in every FETCH response.
    add_modseq = "MODSEQ" not in names and (condstore or command.changedsince is not None)

    # RFC 3501 6.4.5: the \Seen flag is set implicitly, except in a mailbox
    # opened with EXAMINE (read-only, RFC 3501 6.3.2); one backend call.
    seen_set: set[int] = set()
    if not session.read_only and any(_sets_seen(i) for i in items):
        unseen = [
            uid
            for uid in uids
            if uid in infos and _SEEN not in infos[uid].flags and not view.is_expunged(uid)
        ]
        if unseen:
            result = mailbox.store_flags(unseen, StoreAction.ADD, (_SEEN,))
            for stored in result.messages:
                infos[stored.uid] = stored
            seen_set = set(result.changed)

    if "FLAGS" in names or seen_set:
        # RFC 3501 7.2.6: live flags may hold a keyword another session just
        # created; FLAGS goes out before the FETCH responses that use it.  A
        # message gone from the store is answered with the flags the view
        # holds, which a poll may have updated with a keyword not yet told.
        flag_sets = [infos[uid].flags if uid in infos else view.flags_of(uid) for uid in uids]
        announce_keywords(session, mailbox, flag_sets)
    needs_bytes = any(_needs_bytes(i) for i in items)
    needs_source = any(_whole_message(i) for i in items)
    recent = _recent(session, view)
    # RFC 9586 3.3: a UIDFETCH is numbered by UID; UID only when asked for.
    implied_uid = command.uid and "UIDONLY" not in session.conn.enabled
    # FLAGS and UID only (a resync, a flag update): answered from the
    # metadata alone, one FLAGS item per distinct flag set.
    metadata_only = all(type(i) is FetchAttribute and i.name in ("FLAGS", "UID") for i in items)
    flags_items: dict[tuple[frozenset[str], bool], FlagsItem] = {}
    flags_asked = next((i for i in items if type(i) is FetchAttribute and i.name == "FLAGS"), None)

    def flags_item(uid: int, flags: frozenset[str]) -> FlagsItem:
        key = (flags, uid in recent)
        item = flags_items.get(key)
        if item is None:
            item = flags_items[key] = _flags_for_client(recent, uid, flags)
        return item

    send = session.conn.send  # what session.send does, without a call per message
    prefix = session.message_key(mailbox, 0)[:3]

    def answers() -> Steps:
        # One message per step: the session runs the next only while the
        # output is not full, so FETCH 1:* is produced as the client reads.
        expunge_issued = False
        for index, uid in enumerate(uids):
            if index:
                yield  # between messages: the last one's OK follows at once
            info = infos.get(uid)
            if metadata_only:
                source = None
                gone = info is None or view.is_expunged(uid)
            else:
                source = _FetchMessage(
                    session, mailbox, uid, info, view.is_expunged(uid), prefix=prefix
                )
                if needs_bytes:
                    source.message  # noqa: B018 (load now, so that "gone" is known)
                elif needs_source:
                    source.source  # noqa: B018 (open now, so that "gone" is known)
                gone = False
            out: list[FetchDataItem] = []
            if (implied_uid or (qresync and uid in seen_set)) and "UID" not in names:
                # RFC 3501 6.4.8: UID FETCH always includes UID (first, as
                # Dovecot); RFC 7162 3.2.4: so does a FETCH that implicitly set
                # \Seen, once QRESYNC is on.
                out.append(UidItem(uid=uid))
            if add_modseq and info is not None and info.modseq > 0:
                out.append(ModSeqItem(modseq=info.modseq))
            if source is None:
                for item in items:
                    if item.name == "UID":  # type: ignore[attr-defined]
                        out.append(UidItem(uid=uid))
                    else:
                        flags = info.flags if info is not None else view.flags_of(uid)
                        out.append(flags_item(uid, flags))
            else:
                for item in items:
                    if item is flags_asked:  # one FlagsItem per distinct flag set
                        flags = info.flags if info is not None else view.flags_of(uid)
                        out.append(flags_item(uid, flags))
                        continue
                    data_item = _fetch_item(item, source, view, recent)
                    if data_item is not None:
                        out.append(data_item)
                gone = source.gone
            told_flags = "FLAGS" in names
            if uid in seen_set and not told_flags:
                # RFC 3501 6.4.5: flags changed by the implicit \Seen "SHOULD be
                # included as part of the FETCH responses".
                assert info is not None
                out.append(flags_item(uid, info.flags))
                told_flags = True
            if not out:
                out.append(UidItem(uid=uid))
            send(view.fetch_data(uid, out))
            if gone:
                expunge_issued = True
            elif told_flags and info is not None:
                # The client now knows these flags: the next sync must not echo
                # them (RFC 3501 7.4.1 unsolicited FETCH is for changes it missed).
                view.set_flags(uid, info.flags, modseq=info.modseq, announce=False)
        if expunge_issued:
            return Completion(
                text="Some messages were expunged meanwhile", code=AtomCode(name="EXPUNGEISSUED")
            )
        return None

    return answers()


def _changed_since(
    mailbox: Mailbox, view: SelectedMailboxView, messages: SequenceSet | UidSet, since: int
) -> tuple[list[int], dict[int, MessageInfo]]:
    """The messages of the set whose mod-sequence is above ``since`` (RFC 7162
    3.1.4.1 CHANGEDSINCE), with their metadata.

    The store's change log names them (O(changes), whatever the size of the
    mailbox); the set, resolved to runs of UIDs, filters them by bisection.
    """
    runs = view.resolve_runs(messages)
    starts = [low for low, _ in runs]
    changes = mailbox.changes_since(since)
    infos: dict[int, MessageInfo] = {}
    for info in (*changes.new, *changes.changed):
        index = bisect.bisect_right(starts, info.uid) - 1
        if index >= 0 and info.uid <= runs[index][1] and info.modseq > since:
            infos[info.uid] = info
    return sorted(infos), infos


def _send_vanished(
    session: Session,
    mailbox: Mailbox,
    view: SelectedMailboxView,
    messages: UidSet,
    since: int,
) -> None:
    """``* VANISHED (EARLIER)`` for UID FETCH ... (CHANGEDSINCE n VANISHED).

    RFC 7162 3.2.6: the UIDs of the set that were expunged after ``n``,
    before any FETCH response.  The engine leaves this command's UID set
    unresolved, so that expunged UIDs are still in it; ``*`` is the largest
    UID ever given.  UIDs this session still counts (expunged elsewhere, not
    yet announced) are left to the plain VANISHED that goes out before the
    OK, which also renumbers (3.2.10.2).
    """
    if messages.saved:  # "$" (RFC 5182): the UIDs the last SEARCH saved
        saved = uid_set(sorted(view.saved_result))
        if saved is None:
            return
        messages = saved
    largest = max(mailbox.status().uidnext - 1, 1)
    spans = messages.iter_ranges(largest)
    existing = [m.uid for m in mailbox.messages()]
    gone = [
        uid
        for uid in vanished_since(mailbox, spans, since, existing=existing)
        if view.seq_of(uid) is None
    ]
    vanished = uid_set(gone)
    if vanished is not None:
        session.send(VanishedData(uids=vanished, earlier=True))


# ---------------------------------------------------------------------------
# STORE


def store(session: Session, command: Store) -> Completion | None:
    """STORE / UID STORE (RFC 3501 6.4.6) with UNCHANGEDSINCE (RFC 7162 3.1.3)."""
    mailbox, view = session.require_mailbox()
    if command.attribute != "FLAGS":
        raise ImapBad(f"STORE {command.attribute} is not supported", "CLIENTBUG")
    for flag in command.flags:
        if flag.lower() == "\\recent":
            # RFC 3501 2.3.2: \Recent is session state; a client cannot set it.
            raise ImapBad("\\Recent cannot be stored", "CLIENTBUG")
    flags = normalize_flags(command.flags)  # ImapBad for anything not a flag
    if session.read_only:
        # RFC 3501 6.3.2: an EXAMINEd mailbox permits no changes; RFC 3501
        # 6.4.6 "NO - store error: can't store that data" (Dovecot ignores
        # the STORE with an OK; a NO tells the client the truth).
        raise ImapNo("Mailbox is read-only", "READ-ONLY")
    action = _STORE_ACTIONS[command.mode]
    rights = mailbox_rights(mailbox)
    if rights is not None and not (
        any(permits_flag(rights, flag) for flag in flags)
        or (action is StoreAction.SET and rights & {"s", "w", "t"})
    ):
        # RFC 4314 4: a STORE fails only when no flag of it may be changed.
        raise ImapNo("You may not change these flags here", "NOPERM")
    requested = view.resolve(command.messages)
    # RFC 2180 4.2: a STORE to a message expunged elsewhere is a no-op.
    uids = [uid for uid in requested if not view.is_expunged(uid)]
    unchanged_since = command.unchangedsince
    if unchanged_since is not None:
        enable_condstore(session)  # RFC 7162 3.1: a CONDSTORE enabling command
    if uids:
        result = mailbox.store_flags(uids, action, flags, unchanged_since=unchanged_since)
        messages, changed, modified = result.messages, set(result.changed), result.modified
    else:
        messages, changed, modified = (), set(), ()

    # RFC 3501 7.2.6: a new keyword (stored here, or by another session on
    # these messages) changes the FLAGS list; tell the client now, before
    # the FETCH responses that use it (also for .SILENT: the list changed).
    announce_keywords(session, mailbox, [info.flags for info in messages])

    condstore = _condstore(session) or unchanged_since is not None
    # RFC 7162 3.2.4: with QRESYNC, every FETCH a STORE causes carries UID.
    # RFC 9586 3.3: under UIDONLY the UIDFETCH number is the UID already.
    with_uid = (command.uid or "QRESYNC" in session.conn.enabled) and (
        "UIDONLY" not in session.conn.enabled
    )
    modified_set = set(modified)
    recent = _recent(session, view)
    for info in messages:
        uid = info.uid
        if view.seq_of(uid) is None:
            continue
        failed = uid in modified_set
        silent = command.silent and not failed
        out: list[FetchDataItem] = []
        if silent:
            # RFC 7162 3.1.3: with UNCHANGEDSINCE (or a CONDSTORE-aware
            # client) a FETCH with MODSEQ goes out even for .SILENT.
            if condstore and uid in changed:
                if with_uid:
                    out.append(UidItem(uid=uid))
                out.append(ModSeqItem(modseq=info.modseq))
            expected = action.apply(view.flags_of(uid), flags)
            # .SILENT: the client knows the result only if nobody else
            # changed the message meanwhile; otherwise let the sync tell it.
            # A change a poll took in and not yet told stays owed too.
            announce = expected != info.flags or view.has_flag_update(uid)
        else:
            # RFC 3501 6.4.6: the new value of the flags, for each message
            # (\Recent kept: it is not a stored flag); UID for UID STORE
            # (RFC 3501 6.4.8).  For a message that failed UNCHANGEDSINCE
            # its current flags (RFC 7162 3.1.3 Example 6/10).
            out.append(_flags_for_client(recent, uid, info.flags))
            if with_uid:
                out.append(UidItem(uid=uid))
            if condstore:
                out.append(ModSeqItem(modseq=info.modseq))
            announce = False
        if out:
            session.send(view.fetch_data(uid, out))
        view.set_flags(uid, info.flags, modseq=info.modseq, announce=announce)

    code = None
    text = "STORE completed"
    if modified:
        numbers: SequenceSet | UidSet
        if command.uid:
            numbers = UidSet(ranges=_ranges(modified))
        else:
            seqs = [s for uid in modified if (s := view.seq_of(uid)) is not None]
            numbers = SequenceSet(ranges=_ranges(seqs))
        return Completion(text="Conditional STORE failed", code=ModifiedCode(numbers=numbers))
    if len(messages) < len(requested):
        code = AtomCode(name="EXPUNGEISSUED")
        text = "Some messages were expunged meanwhile"
    return Completion(text=text, code=code)


# ---------------------------------------------------------------------------
# COPY and MOVE


def _copyuid(result: CopyResult) -> CopyUidCode | None:
    """RFC 4315 3: COPYUID only when something was copied (an empty set has
    no valid ``uid-set``, so no COPYUID at all)."""
    if not result.uid_map:
        return None
    sources = [s for s, _ in result.uid_map]
    targets = [d for _, d in result.uid_map]
    source: UidSet | None
    destination: UidSet | None
    if all(a < b for a, b in pairwise(targets)):
        # Both ascending: compress each ("304:306"); the members still pair
        # up one to one in order (RFC 4315 3).
        source, destination = uid_set(sources), uid_set(targets)
    else:
        source = UidSet(ranges=tuple((s, s) for s in sources))
        destination = UidSet(ranges=tuple((d, d) for d in targets))
    assert source is not None and destination is not None
    return CopyUidCode(uidvalidity=result.uidvalidity, source=source, destination=destination)


def _copy_uids(view: SelectedMailboxView, messages: UidSet | SequenceSet) -> Sequence[int]:
    uids = view.resolve(messages)
    if any(view.is_expunged(uid) for uid in uids):
        # RFC 2180 4.4.1: fail rather than copy part of the set (RFC 3501
        # 6.4.7: an unsuccessful COPY leaves the destination unchanged).
        raise ImapNo("Some of the messages no longer exist", "EXPUNGEISSUED")
    return uids


def _announce_progress(session: Session, total: int) -> None:
    """A long COPY or MOVE says how much it will do before it starts (RFC
    9585 3: ``(tag 0 total)``): the backend copies all or nothing in one call
    (RFC 3501 6.4.7), so there is no point in between to report."""
    every = session.server.progress_interval
    if every is not None and total > every:
        session.progress(0, total)


def copy(session: Session, command: Copy) -> Completion:
    """COPY / UID COPY (RFC 3501 6.4.7, RFC 4315 3 COPYUID).

    A missing destination is ``NO [TRYCREATE]``.
    """
    mailbox, view = session.require_mailbox()
    uids = _copy_uids(view, command.messages)
    _announce_progress(session, len(uids))
    with trycreate(session, command.mailbox):
        account = session.require_account()
        result = copy_messages(account, mailbox, uids, command.mailbox, move=False)
    return Completion(text="COPY completed", code=_copyuid(result))


def move(session: Session, command: Move) -> Completion:
    """MOVE / UID MOVE (RFC 6851 3.3).

    COPYUID goes in an untagged OK before the EXPUNGE responses (RFC 6851
    4.3); the EXPUNGEs themselves come from the session's sync before the
    tagged OK, like any other expunge.  With QRESYNC on, the OK carries the
    new HIGHESTMODSEQ when something moved (RFC 6851 4.4).
    """
    mailbox, view = session.require_mailbox()
    if session.read_only:
        # RFC 6851 3.3: MOVE expunges from the source, which EXAMINE forbids.
        raise ImapNo("Mailbox is read-only", "READ-ONLY")
    uids = _copy_uids(view, command.messages)
    _announce_progress(session, len(uids))
    with trycreate(session, command.mailbox):
        account = session.require_account()
        result = copy_messages(account, mailbox, uids, command.mailbox, move=True)
    code = _copyuid(result)
    if code is not None:
        session.untagged_ok("Moved", code)
    moved = [source for source, _ in result.uid_map]
    return highest_modseq_completion(session, moved, "MOVE completed") or Completion(
        text="MOVE completed"
    )


#: Capabilities that follow from an optional protocol of the account: the
#: FETCH items (and SEARCH keys, STATUS MAILBOXID) those stores keep.
ACCOUNT_CAPABILITIES: tuple[tuple[str, type], ...] = (
    ("OBJECTID", ObjectIdAccount),  # RFC 8474 3
    ("SAVEDATE", SaveDateAccount),  # RFC 8514 4.1
)

COMMANDS: tuple[ServerCommand[Any], ...] = (
    serve("FETCH", fetch, "BINARY", "PREVIEW"),  # RFC 3516, RFC 8970
    serve("STORE", store),
    serve("COPY", copy),
    serve("MOVE", move, "MOVE"),  # RFC 6851
)
