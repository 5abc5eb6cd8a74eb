"""IMAP URLs resolved against the store (RFC 5092): what CATENATE's URL parts
(RFC 4469) and URLAUTH's URLs (RFC 4467) name.

A URL names a message or a part of one (RFC 5092 6); this module finds its
bytes.  CATENATE reads URLs of the session's own mailboxes (or authorized
ones); URLFETCH reads URLs that carry a URLAUTH token, possibly of another
user's mailbox, which the token proves that user allowed.

The INTERNAL mechanism (RFC 4467 3, 7): the token is an HMAC-SHA1 over the
canonical rump URL (:attr:`ImapUrl.rump`) and the mailbox's UIDVALIDITY,
keyed with the mailbox access key that the account keeps
(:class:`UrlAuthAccount`).  A mailbox deleted and made again has another
UIDVALIDITY, so the URLs made before do not verify for it.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._commands import AppendMessage, Section
from .._imapurl import ImapUrl, ImapUrlError, parse_imap_url
from .._parser import ParseError, parse_section_spec
from .._source import MessageSource, SourceSlice
from ..mime import Message
from ._acl import acl_view
from ._backend import Account, ImapNo, Mailbox, UrlAuthAccount
from ._sasl import VerifiedLoginBackend
from ._session import Session
from .names import normalize

__all__ = [
    "MECHANISM",
    "authorized_message",
    "catenated",
    "content",
    "open_mailbox",
    "partial",
    "section_of",
    "token",
]

#: The one URLAUTH mechanism (RFC 4467 3).
MECHANISM = "INTERNAL"
#: Pieces of a CATENATE message joined into one bytes object below this
#: size; above it they stay separate (a spooled TEXT, a big URL part) and
#: the backend reads them through one source.
_JOIN_BELOW = 1024 * 1024

_Data = bytes | memoryview | MessageSource


def _size(data: _Data) -> int:
    return len(data) if isinstance(data, bytes | memoryview) else data.size


def partial(data: _Data, bounds: tuple[int, int | None] | None) -> _Data:
    """RFC 5092 ;PARTIAL=offset.length: clipped to the data (past the end: empty)."""
    if bounds is None:
        return data
    offset, length = bounds
    size = _size(data)
    count = size if length is None else length
    if isinstance(data, bytes | memoryview):
        return data[offset : offset + count]
    return SourceSlice(data, offset, count)


def token(key: bytes, uidvalidity: int, rump: str) -> str:
    """The INTERNAL mechanism's token: HMAC-SHA1 (hex) of the canonical rump,
    bound to the mailbox's UIDVALIDITY."""
    # Imported here: only URLAUTH needs them, and OpenSSL's hashlib takes
    # milliseconds to load.
    import hashlib  # noqa: PLC0415
    import hmac  # noqa: PLC0415

    return hmac.new(key, b"%d " % uidvalidity + rump.encode("ascii"), hashlib.sha1).hexdigest()


# ---------------------------------------------------------------------------
# Resolving a URL


def open_mailbox(account: Account, url: ImapUrl) -> Mailbox | None:
    assert url.mailbox is not None
    try:
        mailbox = account.select(normalize(url.mailbox))
    except ImapNo:
        return None
    if url.uidvalidity is not None and url.uidvalidity != mailbox.uidvalidity:
        return None  # RFC 5092 6: the URL names another incarnation
    return mailbox


def section_of(url: ImapUrl) -> Section | None:
    if url.section is None:
        return Section()
    try:
        return parse_section_spec(url.section)
    except ParseError:
        return None


def content(mailbox: Mailbox, url: ImapUrl) -> _Data | None:
    """The bytes the URL names (RFC 5092 6), None when they do not exist."""
    assert url.uid is not None
    section = section_of(url)
    if section is None:
        return None
    if section == Section():
        # The whole message: read from the store a piece at a time.
        source = mailbox.open_message(url.uid)
        return None if source is None else partial(source, url.partial)
    data = mailbox.message_bytes(url.uid)
    if data is None:
        return None
    found = Message(data).section_view(section.part, section.text, section.fields)
    return None if found is None else partial(found, url.partial)


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
        mailbox = open_mailbox(account, url)
        data = None if mailbox is None else content(mailbox, url)
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


def _owner_account(session: Session, account: Account, user: str) -> Account | None:
    """The account of the URL's owner: ours, or another user's opened
    because the URL's token proves that user's grant (RFC 4467 3)."""
    if user == account.username:
        return account
    backend = session.server.backend
    if not isinstance(backend, VerifiedLoginBackend):
        return None
    try:
        # The owner's rights as they are now (RFC 4314): a URL of a mailbox
        # another user shares with the owner reads it only while the owner
        # still may ('r'), as the owner's own session would.
        return acl_view(backend.open_account(user))
    except ImapNo:
        return None


def _access_allowed(session: Session, url: ImapUrl) -> bool:
    """RFC 4467 3: who may use the URL.  ``submit+`` is for a session "of a
    user that has been granted a "submit" role" (4): ``server.submit_users``."""
    if url.access in ("anonymous", "authuser"):
        return True
    if url.access == "user":
        return url.access_user == session.username
    return url.access == "submit" and session.username in session.server.submit_users


def _authorized_content(session: Session, url: ImapUrl) -> _Data | None:
    """The bytes of a URLAUTH-authorized URL, or None when it does not verify
    (RFC 4467 7: URLFETCH answers NIL, without saying why)."""
    message = authorized_message(session, url)
    return None if message is None else content(*message)


def authorized_message(session: Session, url: ImapUrl) -> tuple[Mailbox, ImapUrl] | None:
    """The mailbox of a URLAUTH URL whose token verifies for this session's
    user (RFC 4467 3, 7: mechanism, access, expiry, the owner's key), else
    None.  The URL's host is not checked: the server does not know its names."""
    if (
        url.token is None
        or url.mechanism != MECHANISM
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
    mailbox = open_mailbox(owner, url)
    if mailbox is None:
        return None
    import hmac  # noqa: PLC0415 - see token()

    if not hmac.compare_digest(url.token, token(key, mailbox.uidvalidity, url.rump)):
        return None
    return mailbox, url
