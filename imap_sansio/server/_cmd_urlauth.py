"""URLAUTH (RFC 4467: GENURLAUTH, URLFETCH, RESETKEY; RFC 5524: URLAUTH=BINARY)
over the URL resolution of :mod:`._imapurls`, which CATENATE shares.

A new mailbox access key comes from the server's ``random_bytes``
(randomness is passed in; nothing here reads it).  RESETKEY forgets keys,
so the URLs made with them stop verifying.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _frozen
from .._bodystructure import BodyStructure, SinglePart
from .._commands import GenUrlAuth, ResetKey, UrlFetch, UrlFetchRequest
from .._imapurl import ImapUrl, ImapUrlError, parse_imap_url
from .._responses import GenUrlAuthData, OtherCode, UrlFetchData, UrlFetchItem
from ..mime import Message, UnknownTransferEncoding, bodystructure_of
from ._backend import Account, ImapBad, ImapNo, Mailbox, UrlAuthAccount
from ._imapurls import (
    MECHANISM,
    authorized_message,
    content,
    open_mailbox,
    partial,
    section_of,
    token,
)
from ._session import Completion, ServerCommand, Session, serve
from .names import normalize

__all__ = ["ACCOUNT_CAPABILITIES", "COMMANDS", "ENABLEABLE"]

#: RFC 4467 3: a mailbox access key has at least 128 bits.
_KEY_BYTES = 32


def _random_bytes(session: Session) -> Callable[[int], bytes]:
    source = session.server.random_bytes
    if source is None:  # the capability is not advertised then
        raise ImapNo("URLAUTH needs a source of random keys", "CANNOT")
    return source


def _keys(account: Account) -> UrlAuthAccount:
    if not isinstance(account, UrlAuthAccount):
        raise ImapNo("URLAUTH is not supported by this store", "CANNOT")
    return account


def genurlauth(session: Session, command: GenUrlAuth) -> None:
    """RFC 4467 7: sign each rump URL with its mailbox's access key (made on
    first use); the URL must name a message of this user with ``;URLAUTH=``."""
    account = session.require_account()
    keys = _keys(account)
    random_bytes = _random_bytes(session)
    urls: list[str] = []
    for text, mechanism in command.requests:
        if mechanism != MECHANISM:
            raise ImapNo(f"Unknown URLAUTH mechanism {mechanism}", f"URLMECH {MECHANISM}")
        try:
            url = parse_imap_url(text)
        except ImapUrlError as exc:
            raise ImapBad(f"Invalid URL: {exc}", "CLIENTBUG") from None
        if url.access is None or url.token is not None:
            raise ImapBad("GENURLAUTH takes a rump URL (;URLAUTH=access, no token)", "CLIENTBUG")
        # RFC 4467 6.2: the URL must name the key table's owner ("iuserauth
        # is mandatory") and an existing mailbox; "If any of the above checks
        # fail, the server MUST return a tagged BAD response".
        if url.user is None:
            raise ImapBad("Missing owner username in the URL", "CLIENTBUG")
        if url.user != account.username:
            raise ImapBad("The URL names another user's mailbox", "NOPERM")
        mailbox = open_mailbox(account, url)
        if mailbox is None:
            raise ImapBad("The URL names no mailbox of this user", "NONEXISTENT")
        assert url.mailbox is not None
        key = keys.urlauth_key(normalize(url.mailbox), random_bytes(_KEY_BYTES))
        assert key is not None
        # The URL as the client wrote it, with the verifier appended.
        urls.append(f"{text}:internal:{token(key, mailbox.uidvalidity, url.rump)}")
    session.send(GenUrlAuthData(urls=tuple(urls)))


def resetkey(session: Session, command: ResetKey) -> Completion:
    """RFC 4467 7: forget every key of the user, or one mailbox's."""
    account = session.require_account()
    keys = _keys(account)
    for mechanism in command.mechanisms:
        if mechanism != MECHANISM:
            raise ImapNo(f"Unknown URLAUTH mechanism {mechanism}", f"URLMECH {MECHANISM}")
    if command.mailbox is None:
        keys.reset_urlauth_keys()
        return Completion(text="All keys removed")
    account.status(command.mailbox)  # NoSuchMailbox: NO [NONEXISTENT]
    keys.reset_urlauth_keys(command.mailbox)
    return Completion(text="Keys removed", code=OtherCode(name="URLMECH", text=MECHANISM))


def _decoded_structure(structure: BodyStructure, decoded: bytes) -> BodyStructure:
    """The part's structure as its BINARY content has it (RFC 5524 3): no
    transfer encoding and the decoded size; the line count is not kept
    (0, as Dovecot answers)."""
    if not isinstance(structure, SinglePart):
        return structure
    encoding = b"binary" if b"\0" in decoded else b"7bit" if decoded.isascii() else b"8bit"
    fields = _frozen.replace(structure.fields, encoding=encoding, size=len(decoded))
    lines = None if structure.lines is None else 0
    return _frozen.replace(structure, fields=fields, lines=lines)


def _fetch_items(mailbox: Mailbox, url: ImapUrl, params: tuple[str, ...]) -> UrlFetchData | None:
    """RFC 5524 4: BODYPARTSTRUCTURE, then BODY or BINARY, of the URL's part."""
    assert url.uid is not None
    section = section_of(url)
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
        items.append(
            UrlFetchItem(
                name="BINARY", data=None if decoded is None else partial(decoded, url.partial)
            )
        )
    elif "BINARY" in params:
        # A header or text section has no transfer encoding to undo.
        items.append(UrlFetchItem(name="BINARY", data=content(mailbox, url)))
    elif "BODY" in params or not params:
        items.append(UrlFetchItem(name="BODY", data=content(mailbox, url)))
    return UrlFetchData(url="", items=tuple(items))


def _urlfetch_one(session: Session, request: UrlFetchRequest) -> UrlFetchData:
    nil = UrlFetchData(url=request.url)
    try:
        url = parse_imap_url(request.url)
    except ImapUrlError:
        return nil
    if url.host is None or url.uid is None:
        return nil  # RFC 4467 7: an absolute URL with a token
    found = authorized_message(session, url)
    if found is None:
        return nil
    mailbox, url = found
    if not request.extended:
        return UrlFetchData(url=request.url, data=content(mailbox, url))
    data = _fetch_items(mailbox, url, request.params)
    return nil if data is None else _frozen.replace(data, url=request.url)


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
