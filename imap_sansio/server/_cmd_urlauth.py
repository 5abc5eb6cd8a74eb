"""IMAP URLs resolved against the store: CATENATE's URL parts (RFC 4469) and
URLAUTH (RFC 4467: GENURLAUTH, URLFETCH, RESETKEY; RFC 5524: URLAUTH=BINARY).

A URL names a message or a part of one (RFC 5092 6); this module finds its
bytes.  CATENATE reads URLs of the session's own mailboxes; URLFETCH reads
URLs that carry a URLAUTH token, possibly of another user's mailbox, which
the token proves that user allowed.

The INTERNAL mechanism (RFC 4467 3, 7): the token is an HMAC-SHA1 over the
canonical rump URL (:attr:`ImapUrl.rump`) and the mailbox's UIDVALIDITY,
keyed with the mailbox access key that the account keeps
(:class:`UrlAuthAccount`).  A new key comes from the server's
``random_bytes`` (randomness is passed in; nothing here reads it).
RESETKEY forgets keys, so the URLs made with them stop verifying; so does a
mailbox that was deleted and made again (another UIDVALIDITY).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections.abc import Callable, Sequence
from typing import Any

from .._bodystructure import BodyStructure, SinglePart
from .._commands import AppendMessage, GenUrlAuth, ResetKey, Section, UrlFetch, UrlFetchRequest
from .._imapurl import ImapUrl, ImapUrlError, parse_imap_url
from .._parser import ParseError, parse_section_spec
from .._responses import GenUrlAuthData, OtherCode, UrlFetchData, UrlFetchItem
from .._source import MessageSource, SourceSlice
from ..mime import Message, UnknownTransferEncoding, bodystructure_of
from ._backend import Account, ImapBad, ImapNo, Mailbox, UrlAuthAccount
from ._sasl import VerifiedLoginBackend
from ._session import Completion, ServerCommand, Session, serve
from .names import normalize

__all__ = ["ACCOUNT_CAPABILITIES", "COMMANDS", "ENABLEABLE", "catenated"]

_MECHANISM = "INTERNAL"
#: RFC 4467 3: a mailbox access key has at least 128 bits.
_KEY_BYTES = 32
#: Pieces of a CATENATE message joined into one bytes object below this
#: size; above it they stay separate (a spooled TEXT, a big URL part) and
#: the backend reads them through one source.
_JOIN_BELOW = 1024 * 1024

_Data = bytes | memoryview | MessageSource


def _size(data: _Data) -> int:
    return len(data) if isinstance(data, bytes | memoryview) else data.size


def _partial(data: _Data, partial: tuple[int, int | None] | None) -> _Data:
    """RFC 5092 ;PARTIAL=offset.length: clipped to the data (past the end: empty)."""
    if partial is None:
        return data
    offset, length = partial
    size = _size(data)
    count = size if length is None else length
    if isinstance(data, bytes | memoryview):
        return data[offset : offset + count]
    return SourceSlice(data, offset, count)


def _token(key: bytes, uidvalidity: int, rump: str) -> str:
    return hmac.new(key, b"%d " % uidvalidity + rump.encode("ascii"), hashlib.sha1).hexdigest()


# ---------------------------------------------------------------------------
# Resolving a URL


def _open_mailbox(account: Account, url: ImapUrl) -> Mailbox | None:
    assert url.mailbox is not None
    try:
        mailbox = account.select(normalize(url.mailbox))
    except ImapNo:
        return None
    if url.uidvalidity is not None and url.uidvalidity != mailbox.uidvalidity:
        return None  # RFC 5092 6: the URL names another incarnation
    return mailbox


def _section(url: ImapUrl) -> Section | None:
    if url.section is None:
        return Section()
    try:
        return parse_section_spec(url.section)
    except ParseError:
        return None


def _content(mailbox: Mailbox, url: ImapUrl) -> _Data | None:
    """The bytes the URL names (RFC 5092 6), None when they do not exist."""
    assert url.uid is not None
    section = _section(url)
    if section is None:
        return None
    if section == Section():
        # The whole message: read from the store a piece at a time.
        source = mailbox.open_message(url.uid)
        return None if source is None else _partial(source, url.partial)
    data = mailbox.message_bytes(url.uid)
    if data is None:
        return None
    found = Message(data).section_view(section.part, section.text, section.fields)
    return None if found is None else _partial(found, url.partial)


# ---------------------------------------------------------------------------
# CATENATE (RFC 4469)


class _Catenated:
    """A :class:`MessageSource` over the parts of a CATENATE message, in order."""

    __slots__ = ("_parts", "size")

    def __init__(self, parts: Sequence[_Data]) -> None:
        self._parts = list(parts)
        self.size = sum(_size(p) for p in parts)

    def read(self, offset: int, length: int) -> bytes:
        out: list[bytes] = []
        for part in self._parts:
            size = _size(part)
            if offset >= size:
                offset -= size
                continue
            take = min(length, size - offset)
            if isinstance(part, bytes | memoryview):
                out.append(bytes(part[offset : offset + take]))
            else:
                out.append(part.read(offset, take))
            length -= take
            offset = 0
            if length <= 0:
                break
        return b"".join(out)

    def close(self) -> None:
        for part in self._parts:
            if not isinstance(part, bytes | memoryview):
                part.close()

    def __repr__(self) -> str:
        return f"<catenated message, {len(self._parts)} parts, {self.size} octets>"


def _catenate_url(session: Session, account: Account, text: str) -> _Data:
    """A CATENATE URL part; ``NO [BADURL url]`` when it names nothing
    (RFC 4469 5: the whole APPEND fails)."""
    bad = ImapNo("Bad URL", f"BADURL {text}")
    try:
        url = parse_imap_url(text)
    except ImapUrlError:
        raise bad from None
    if url.uid is None:
        raise bad
    if url.access is not None:
        # An authorized URL may be another user's (RFC 4469 5): verified as
        # URLFETCH verifies it.
        data = _authorized_content(session, url)
    elif url.user is not None and url.user != account.username:
        raise bad  # another user's mailbox without authorization
    else:
        mailbox = _open_mailbox(account, url)
        data = None if mailbox is None else _content(mailbox, url)
    if data is None:
        raise bad
    return data


def catenated(
    session: Session, account: Account, message: AppendMessage, limit: int
) -> tuple[bytes | MessageSource, list[MessageSource]]:
    """The message a ``CATENATE (...)`` APPEND builds (RFC 4469 5), and the
    sources opened for it (closed by the caller once it was stored).

    The first URL that names nothing fails the command with ``[BADURL]``; a
    message over ``limit`` with ``[TOOBIG]`` (RFC 4469 5, RFC 7889 4).
    """
    parts: list[_Data] = []
    opened: list[MessageSource] = []
    total = 0
    try:
        for part in message.catenate:
            data: _Data
            if part.url is not None:
                data = _catenate_url(session, account, part.url)
                if not isinstance(data, bytes | memoryview):
                    opened.append(data)
            else:
                assert part.data is not None
                data = part.data
            total += _size(data)
            if total > limit:
                raise ImapNo("Message too large", "TOOBIG")
            parts.append(data)
    except BaseException:
        for source in opened:
            source.close()
        raise
    if total < _JOIN_BELOW:
        joined = b"".join(
            bytes(p) if isinstance(p, bytes | memoryview) else p.read(0, p.size) for p in parts
        )
        for source in opened:
            source.close()
        return joined, []
    catenation = _Catenated(parts)
    return catenation, [catenation]


# ---------------------------------------------------------------------------
# URLAUTH (RFC 4467)


def _random_bytes(session: Session) -> Callable[[int], bytes]:
    source = session.server.random_bytes
    if source is None:  # the capability is not advertised then
        raise ImapNo("URLAUTH needs a source of random keys", "CANNOT")
    return source


def _keys(account: Account) -> UrlAuthAccount:
    if not isinstance(account, UrlAuthAccount):
        raise ImapNo("URLAUTH is not supported by this store", "CANNOT")
    return account


def _owner_account(session: Session, account: Account, user: str) -> Account | None:
    """The account of the URL's owner: ours, or another user's opened
    because the URL's token proves that user's grant (RFC 4467 3)."""
    if user == account.username:
        return account
    backend = session.server.backend
    if not isinstance(backend, VerifiedLoginBackend):
        return None
    try:
        return backend.open_account(user)
    except ImapNo:
        return None


def _access_allowed(session: Session, url: ImapUrl) -> bool:
    """RFC 4467 3: who may use the URL.  ``submit+`` is for a submission
    server acting for the user, which this server has no notion of."""
    if url.access in ("anonymous", "authuser"):
        return True
    if url.access == "user":
        return url.access_user == session.username
    return False


def _authorized_content(session: Session, url: ImapUrl) -> _Data | None:
    """The bytes of a URLAUTH-authorized URL, or None when it does not verify
    (RFC 4467 7: URLFETCH answers NIL, without saying why)."""
    message = _authorized_message(session, url)
    return None if message is None else _content(*message)


def _authorized_message(session: Session, url: ImapUrl) -> tuple[Mailbox, ImapUrl] | None:
    if (
        url.token is None
        or url.mechanism != _MECHANISM
        or url.user is None
        or not _access_allowed(session, url)
    ):
        return None
    if url.expire is not None and url.expire <= session.now():
        return None  # RFC 4467 3: expired
    owner = _owner_account(session, session.require_account(), url.user)
    if not isinstance(owner, UrlAuthAccount):
        return None
    assert url.mailbox is not None
    key = owner.urlauth_key(normalize(url.mailbox))
    if key is None:
        return None
    mailbox = _open_mailbox(owner, url)
    if mailbox is None:
        return None
    if not hmac.compare_digest(url.token, _token(key, mailbox.uidvalidity, url.rump)):
        return None
    return mailbox, url


def genurlauth(session: Session, command: GenUrlAuth) -> None:
    """RFC 4467 7: sign each rump URL with its mailbox's access key (made on
    first use); the URL must name a message of this user with ``;URLAUTH=``."""
    account = session.require_account()
    keys = _keys(account)
    random_bytes = _random_bytes(session)
    urls: list[str] = []
    for text, mechanism in command.requests:
        if mechanism != _MECHANISM:
            raise ImapNo(f"Unknown URLAUTH mechanism {mechanism}", f"URLMECH {_MECHANISM}")
        try:
            url = parse_imap_url(text)
        except ImapUrlError as exc:
            raise ImapBad(f"Invalid URL: {exc}", "CLIENTBUG") from None
        if url.access is None or url.token is not None:
            raise ImapBad("GENURLAUTH takes a rump URL (;URLAUTH=access, no token)", "CLIENTBUG")
        if url.user != account.username:
            raise ImapNo("The URL names another user's mailbox", "NOPERM")
        mailbox = _open_mailbox(account, url)
        if mailbox is None:
            raise ImapNo("The URL names no mailbox of this user", "NONEXISTENT")
        assert url.mailbox is not None
        key = keys.urlauth_key(normalize(url.mailbox), random_bytes(_KEY_BYTES))
        assert key is not None
        # The URL as the client wrote it, with the verifier appended.
        urls.append(f"{text}:internal:{_token(key, mailbox.uidvalidity, url.rump)}")
    session.send(GenUrlAuthData(urls=tuple(urls)))


def resetkey(session: Session, command: ResetKey) -> Completion:
    """RFC 4467 7: forget every key of the user, or one mailbox's."""
    account = session.require_account()
    keys = _keys(account)
    for mechanism in command.mechanisms:
        if mechanism != _MECHANISM:
            raise ImapNo(f"Unknown URLAUTH mechanism {mechanism}", f"URLMECH {_MECHANISM}")
    if command.mailbox is None:
        keys.reset_urlauth_keys()
        return Completion(text="All keys removed")
    account.status(command.mailbox)  # NoSuchMailbox: NO [NONEXISTENT]
    keys.reset_urlauth_keys(command.mailbox)
    return Completion(text="Keys removed", code=OtherCode(name="URLMECH", text=_MECHANISM))


def _decoded_structure(structure: BodyStructure, decoded: bytes) -> BodyStructure:
    """The part's structure as its BINARY content has it (RFC 5524 3): no
    transfer encoding and the decoded size; the line count is not kept
    (0, as Dovecot answers)."""
    if not isinstance(structure, SinglePart):
        return structure
    encoding = b"binary" if b"\0" in decoded else b"7bit" if decoded.isascii() else b"8bit"
    fields = dataclasses.replace(structure.fields, encoding=encoding, size=len(decoded))
    lines = None if structure.lines is None else 0
    return dataclasses.replace(structure, fields=fields, lines=lines)


def _fetch_items(mailbox: Mailbox, url: ImapUrl, params: tuple[str, ...]) -> UrlFetchData | None:
    """RFC 5524 4: BODYPARTSTRUCTURE, then BODY or BINARY, of the URL's part."""
    assert url.uid is not None
    section = _section(url)
    data = mailbox.message_bytes(url.uid)
    if section is None or data is None:
        return None
    message = Message(data)
    node = message.part(section.part)
    if node is None:
        return None
    items: list[UrlFetchItem] = []
    decoded: bytes | None = None
    binary = "BINARY" in params and section.text is None
    if binary:
        try:
            decoded = message.binary(section.part)
        except UnknownTransferEncoding:
            decoded = None
    if "BODYPARTSTRUCTURE" in params:
        if section.text is not None:
            return None  # a header or text has no body structure
        structure = message.bodystructure if not section.part else bodystructure_of(node)
        if decoded is not None:
            structure = _decoded_structure(structure, decoded)
        items.append(UrlFetchItem(name="BODYPARTSTRUCTURE", structure=structure))
    if binary:
        content = None if decoded is None else _partial(decoded, url.partial)
        items.append(UrlFetchItem(name="BINARY", data=content))
    elif "BODY" in params or "BINARY" in params or not params:
        items.append(UrlFetchItem(name="BODY", data=_content(mailbox, url)))
    return UrlFetchData(url="", items=tuple(items))


def _urlfetch_one(session: Session, request: UrlFetchRequest) -> UrlFetchData:
    nil = UrlFetchData(url=request.url)
    try:
        url = parse_imap_url(request.url)
    except ImapUrlError:
        return nil
    if url.host is None or url.uid is None:
        return nil  # RFC 4467 7: an absolute URL with a token
    found = _authorized_message(session, url)
    if found is None:
        return nil
    mailbox, url = found
    if not request.extended:
        return UrlFetchData(url=request.url, data=_content(mailbox, url))
    data = _fetch_items(mailbox, url, request.params)
    return nil if data is None else dataclasses.replace(data, url=request.url)


def urlfetch(session: Session, command: UrlFetch) -> None:
    """RFC 4467 7, RFC 5524 4: one URLFETCH response per URL, NIL for a URL
    that does not verify or names nothing (the command still succeeds)."""
    account = session.require_account()
    _keys(account)
    for request in command.requests:
        if not (request.url.isascii() and request.url.isprintable()):
            # The answer repeats the URL; an IMAP URL is printable ASCII.
            raise ImapBad("A URL is printable ASCII (RFC 5092 11)", "CLIENTBUG")
    for request in command.requests:
        # A whole message goes out from its source as the transport drains
        # (the engine closes the source once written).
        session.send(_urlfetch_one(session, request))


#: Capabilities that follow from an optional protocol of the account (the
#: server drops them when it has no ``random_bytes``).
ACCOUNT_CAPABILITIES: tuple[tuple[str, type], ...] = (
    ("URLAUTH", UrlAuthAccount),  # RFC 4467
    ("URLAUTH=BINARY", UrlAuthAccount),  # RFC 5524
)

ENABLEABLE: frozenset[str] = frozenset()

COMMANDS: tuple[ServerCommand[Any], ...] = (
    serve("GENURLAUTH", genurlauth),
    serve("RESETKEY", resetkey),
    serve("URLFETCH", urlfetch),
)
