"""IMAP URLs (RFC 5092) as CATENATE (RFC 4469) and URLAUTH (RFC 4467) use them.

:func:`parse_imap_url` reads an absolute ``imap://`` URL or a server-relative
``/mailbox/;UID=n`` reference into an :class:`ImapUrl`; ``str(url)`` writes
the canonical form back (what URLAUTH tokens are computed over, so that the
same URL spelt in another case or with other %-escapes keeps its token).
Pure: nothing here resolves a URL; the server does that against its store.

The grammar (RFC 5092 11, with RFC 4467's ``iurlauth``)::

    imapurl       = "imap://" iserver ipath-query
    iserver       = [iuserinfo "@"] host [":" port]
    iuserinfo     = enc-user [iauth] / [enc-user] iauth
    iauth         = ";AUTH=" ( "*" / enc-auth-type )
    icommand      = imessagelist / imessagepart [iurlauth]
    imessagelist  = imailbox-ref [ "?" enc-search ]
    imessagepart  = imailbox-ref iuid [isection] [ipartial]
    imailbox-ref  = enc-mailbox [";UIDVALIDITY=" nz-number]
    iuid          = "/;UID=" nz-number
    isection      = "/;SECTION=" enc-section
    ipartial      = "/;PARTIAL=" number ["." nz-number]
    iurlauth      = iurlauth-rump iua-verifier
    iurlauth-rump = [";EXPIRE=" date-time] ";URLAUTH=" access
    access        = ("submit+" enc-user) / ("user+" enc-user) /
                    "authuser" / "anonymous"
    iua-verifier  = ":" uauth-mechanism ":" enc-urlauth
    enc-urlauth   = 32*HEXDIG
    achar         = unreserved / "!" / "$" / "'" / "(" / ")" / "*" / "+" /
                    "," / pct-encoded / "&" / "="
    bchar         = achar / ":" / "@" / "/"
"""

from __future__ import annotations

import datetime
import re

from . import _frozen
from ._frozen import dataclass

__all__ = ["ImapUrl", "ImapUrlError", "parse_imap_url"]

_MAX_NUMBER = 2**32 - 1
_ACCESS = ("authuser", "anonymous", "user", "submit")

# RFC 5092 11: achar and bchar, with %-escapes as one unit.
_ACHAR = r"(?:[A-Za-z0-9\-._~!$'()*+,&=]|%[0-9A-Fa-f]{2})"
_BCHAR = r"(?:[A-Za-z0-9\-._~!$'()*+,&=:@/]|%[0-9A-Fa-f]{2})"
_ACHARS = re.compile(_ACHAR + "+")
_BCHARS = re.compile(_BCHAR + "+")
_SAFE_ACHAR = "-._~!$'()*+,&="
_SAFE_BCHAR = _SAFE_ACHAR + ":@/"
_NUMBER = re.compile(r"[0-9]+")
_MECHANISM = re.compile(r"[A-Za-z0-9\-.]+")
_TOKEN = re.compile(r"[0-9A-Fa-f]{32,}")
_HOST = re.compile(r"\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,=%]+")
_PARAM = re.compile(r"(/?);([A-Za-z]+)=")


class ImapUrlError(ValueError):
    """The text is not an IMAP URL this server reads (RFC 5092 11)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ImapUrl:
    """One IMAP URL, %-decoded.

    ``host`` is None for a server-relative reference (``/INBOX/;UID=20``,
    what CATENATE's examples use: RFC 4469 5).  ``section`` is the
    section-spec as text (``"1.2.MIME"``, ``"HEADER"``), ``partial`` the
    ``(offset, length)`` of ``;PARTIAL=`` (length None: to the end).
    ``access`` is ``"authuser"``, ``"anonymous"``, ``"user"`` or
    ``"submit"``, the last two with ``access_user``; ``mechanism`` and
    ``token`` are the URLAUTH verifier (absent in a rump URL).
    """

    host: str | None = None
    port: int | None = None
    user: str | None = None
    auth: str | None = None
    mailbox: str | None = None
    uidvalidity: int | None = None
    uid: int | None = None
    section: str | None = None
    partial: tuple[int, int | None] | None = None
    search: str | None = None
    expire: datetime.datetime | None = None
    access: str | None = None
    access_user: str | None = None
    mechanism: str | None = None
    token: str | None = None

    def __post_init__(self) -> None:
        if (self.access in ("user", "submit")) != (self.access_user is not None):
            raise ValueError("user+ and submit+ access (only) name a user")
        if self.access is not None and self.access not in _ACCESS:
            raise ValueError(f"unknown URLAUTH access {self.access!r}")
        if (self.mechanism is None) != (self.token is None):
            raise ValueError("a URLAUTH verifier has both a mechanism and a token")
        if self.token is not None and self.access is None:
            raise ValueError("a URLAUTH verifier needs ;URLAUTH=")
        if self.access is not None and (self.uid is None or self.host is None):
            raise ValueError("URLAUTH needs an absolute URL of a message (RFC 4467 3)")
        if self.expire is not None and self.access is None:
            raise ValueError(";EXPIRE= needs ;URLAUTH=")
        if self.expire is not None and self.expire.utcoffset() is None:
            raise ValueError(";EXPIRE= needs a date-time with a time zone")
        if self.uid is not None and self.search is not None:
            raise ValueError("a search is for a message list, not a message")
        if (self.section is not None or self.partial is not None) and self.uid is None:
            raise ValueError(";SECTION= and ;PARTIAL= need ;UID=")
        if (self.uid is not None or self.uidvalidity is not None) and not self.mailbox:
            raise ValueError(";UID= and ;UIDVALIDITY= need a mailbox")
        for number in (self.uidvalidity, self.uid):
            if number is not None and not 0 < number <= _MAX_NUMBER:
                raise ValueError(f"not an nz-number: {number}")
        if self.partial is not None:
            offset, length = self.partial
            if not 0 <= offset <= _MAX_NUMBER or (
                length is not None and not 0 < length <= _MAX_NUMBER
            ):
                raise ValueError(f"bad ;PARTIAL= range {self.partial}")

    @property
    def rump(self) -> str:
        """The URL without its verifier (RFC 4467 3: what a token authorizes)."""
        return str(_frozen.replace(self, mechanism=None, token=None))

    def __str__(self) -> str:
        out: list[str] = []
        if self.host is not None:
            out.append("imap://")
            if self.user is not None or self.auth is not None:
                if self.user is not None:
                    out.append(_encode(self.user, _SAFE_ACHAR))
                if self.auth is not None:
                    auth = "*" if self.auth == "*" else _encode(self.auth, _SAFE_ACHAR)
                    out.append(";AUTH=" + auth)
                out.append("@")
            out.append(self.host.lower())
            if self.port is not None:
                out.append(f":{self.port}")
        if self.mailbox is not None or self.host is None:
            out.append("/")
        if self.mailbox is not None:
            out.append(_encode(self.mailbox, _SAFE_BCHAR))
            if self.uidvalidity is not None:
                out.append(f";UIDVALIDITY={self.uidvalidity}")
            if self.uid is not None:
                out.append(f"/;UID={self.uid}")
            if self.section is not None:
                out.append("/;SECTION=" + _encode(self.section, _SAFE_BCHAR))
            if self.partial is not None:
                offset, length = self.partial
                out.append(f"/;PARTIAL={offset}" + ("" if length is None else f".{length}"))
            if self.search is not None:
                out.append("?" + _encode(self.search, _SAFE_BCHAR))
        if self.expire is not None:
            stamp = self.expire.isoformat()
            out.append(";EXPIRE=" + (stamp[:-6] + "Z" if stamp.endswith("+00:00") else stamp))
        if self.access is not None:
            out.append(";URLAUTH=" + self.access)
            if self.access_user is not None:
                out.append("+" + _encode(self.access_user, _SAFE_ACHAR))
        if self.mechanism is not None and self.token is not None:
            out.append(f":{self.mechanism.lower()}:{self.token.lower()}")
        return "".join(out)


# urllib.parse is imported where it is used: it costs a millisecond to load,
# and only URLAUTH and CATENATE read or write URLs.


def _encode(value: str, safe: str) -> str:
    from urllib.parse import quote  # noqa: PLC0415

    return quote(value, safe=safe, encoding="utf-8", errors="strict")


def _decode(text: str, what: str) -> str:
    from urllib.parse import unquote  # noqa: PLC0415

    try:
        return unquote(text, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise ImapUrlError(f"{what} is not %-encoded UTF-8") from None


def _chars(pattern: re.Pattern[str], text: str, what: str) -> str:
    if pattern.fullmatch(text) is None:
        raise ImapUrlError(f"invalid characters in {what}: {text!r}")
    return _decode(text, what)


def _number(text: str, what: str, *, low: int = 1) -> int:
    if _NUMBER.fullmatch(text) is None or not low <= int(text) <= _MAX_NUMBER:
        raise ImapUrlError(f"{what} is not a number: {text!r}")
    return int(text)


def _server(authority: str, fields: dict[str, object]) -> None:
    """iserver = [iuserinfo "@"] host [":" port]"""
    userinfo, at, hostport = authority.rpartition("@")
    if at:
        user, semi, auth = userinfo.partition(";")
        if user:
            fields["user"] = _chars(_ACHARS, user, "user name")
        if semi:
            if auth[:5].upper() != "AUTH=" or not auth[5:]:
                raise ImapUrlError(f"expected ;AUTH= in {userinfo!r}")
            auth = auth[5:]
            fields["auth"] = "*" if auth == "*" else _chars(_ACHARS, auth, "auth type")
        elif not user:
            raise ImapUrlError("empty user name before @")
    host, port = hostport, ""
    if not hostport.endswith("]") and ":" in hostport:
        host, _, port = hostport.rpartition(":")
    if _HOST.fullmatch(host) is None:
        raise ImapUrlError(f"invalid host {host!r}")
    fields["host"] = host.lower()  # as written (ASCII), so the canonical form is too
    if port:
        fields["port"] = _number(port, "port", low=0)


def _urlauth(text: str, fields: dict[str, object]) -> None:
    """[";EXPIRE=" date-time] ";URLAUTH=" access [":" mechanism ":" token]"""
    if text[:8].upper() == ";EXPIRE=":
        end = text.find(";", 8)
        if end < 0:
            raise ImapUrlError(";EXPIRE= without ;URLAUTH=")
        stamp = text[8:end]
        try:
            expire = datetime.datetime.fromisoformat(stamp)
        except ValueError:
            raise ImapUrlError(f"invalid ;EXPIRE= date-time {stamp!r}") from None
        if "T" not in stamp.upper() or expire.utcoffset() is None:
            raise ImapUrlError(f";EXPIRE= needs an RFC 3339 date-time: {stamp!r}")
        fields["expire"] = expire
        text = text[end:]
    if text[:9].upper() != ";URLAUTH=":
        raise ImapUrlError(f"expected ;URLAUTH= at {text!r}")
    access, colon, verifier = text[9:].partition(":")
    kind, plus, who = access.partition("+")
    kind = kind.lower()
    if plus:
        if kind not in ("user", "submit") or not who:
            raise ImapUrlError(f"invalid URLAUTH access {access!r}")
        fields["access_user"] = _chars(_ACHARS, who, "access user")
    elif kind not in ("authuser", "anonymous"):
        raise ImapUrlError(f"invalid URLAUTH access {access!r}")
    fields["access"] = kind
    if colon:
        mechanism, colon2, token = verifier.partition(":")
        if not colon2 or _MECHANISM.fullmatch(mechanism) is None:
            raise ImapUrlError("expected :mechanism:token after the access")
        if _TOKEN.fullmatch(token) is None:
            raise ImapUrlError("the URLAUTH token is at least 32 hex digits")
        fields["mechanism"] = mechanism.upper()
        fields["token"] = token.lower()


def _path(path: str, fields: dict[str, object]) -> None:
    """What follows the "/" after the server: icommand (or nothing)."""
    if not path:
        return
    # "?" is no bchar: the first one starts the search (imessagelist).
    path, question, search = path.partition("?")
    if question:
        fields["search"] = _chars(_BCHARS, search, "search")
    semi = path.find(";")
    mailbox = path if semi < 0 else path[:semi]
    rest = "" if semi < 0 else path[semi:]
    if rest.startswith(";") and mailbox.endswith("/") and rest[1:5].upper() == "UID=":
        mailbox = mailbox[:-1]
        rest = "/" + rest
    fields["mailbox"] = _chars(_BCHARS, mailbox, "mailbox name")
    # The message-part parameters, in their order; URLAUTH's take the rest.
    order = ("UIDVALIDITY", "UID", "SECTION", "PARTIAL")
    at = 0
    while rest:
        m = _PARAM.match(rest)
        name = m.group(2).upper() if m is not None else ""
        if m is None or name not in order[at:]:
            if name in ("EXPIRE", "URLAUTH") and m is not None and not m.group(1):
                _urlauth(rest, fields)
                return
            raise ImapUrlError(f"unexpected {rest[:20]!r}")
        if bool(m.group(1)) != (name != "UIDVALIDITY"):
            raise ImapUrlError(f"';{name}=' {'needs' if name != 'UIDVALIDITY' else 'takes no'} '/'")
        at = order.index(name) + 1
        end = m.end()
        nxt = rest.find(";", end)
        value = rest[end:] if nxt < 0 else rest[end:nxt]
        if nxt >= 0 and value.endswith("/"):
            value = value[:-1]  # the "/" of the next parameter
            nxt -= 1
        rest = "" if nxt < 0 else rest[nxt:]
        if name == "UIDVALIDITY":
            fields["uidvalidity"] = _number(value, "UIDVALIDITY")
        elif name == "UID":
            fields["uid"] = _number(value, "UID")
        elif name == "SECTION":
            fields["section"] = _chars(_BCHARS, value, "section")
        else:
            offset, dot, length = value.partition(".")
            fields["partial"] = (
                _number(offset, "partial offset", low=0),
                _number(length, "partial length") if dot else None,
            )
    if "uidvalidity" in fields and "uid" not in fields and rest:
        raise ImapUrlError("expected /;UID=")


def parse_imap_url(text: str) -> ImapUrl:
    """Read an IMAP URL (RFC 5092 11): ``imap://...`` or a ``/mailbox...``
    reference relative to the server; raises :class:`ImapUrlError`."""
    if not text.isascii() or any(c in text for c in ' "<>\\^`{|}\x7f') or not text.isprintable():
        raise ImapUrlError("an IMAP URL is printable ASCII without spaces")
    fields: dict[str, object] = {}
    if text[:7].lower() == "imap://":
        slash = text.find("/", 7)
        authority = text[7:] if slash < 0 else text[7:slash]
        path = "" if slash < 0 else text[slash + 1 :]
        _server(authority, fields)
    elif text.startswith("/") and not text.startswith("//"):
        path = text[1:]
        if not path:
            raise ImapUrlError("a relative IMAP URL names a mailbox")
    else:
        raise ImapUrlError("expected imap:// or /mailbox")
    _path(path, fields)
    try:
        return ImapUrl(**fields)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ImapUrlError(str(exc)) from None
