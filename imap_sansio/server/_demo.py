"""A demo account: user ``demo`` / ``demo`` with a realistic set of mailboxes.

INBOX holds one message of each common shape: plain text, multipart/
alternative, multipart/mixed with a base64 attachment, a forwarded
message/rfc822, RFC 2047 encoded non-ASCII headers with a quoted-printable
body, a reply (In-Reply-To), and an inline image.  Sent, Drafts, Trash,
Archive and Junk carry their RFC 6154 special-use attributes, and
Archive/2025 is a nested folder.  Internal dates are fixed, so FETCH output
is reproducible; the stored bytes use CRLF line ends (written with ``\\n``
below for readability and converted once).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from imap_sansio.server._memory import MemoryBackend

__all__ = ["DEMO_MESSAGES", "demo_backend"]

_CET = timezone(timedelta(hours=1))


def _crlf(text: bytes) -> bytes:
    return text.replace(b"\n", b"\r\n")


def _date(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, minute, 0, tzinfo=_CET)


_PLAIN = _crlf(b"""\
Return-Path: <alice@example.org>
Date: Mon, 03 Mar 2025 09:15:00 +0100
From: Alice Example <alice@example.org>
To: Demo User <demo@example.com>
Subject: Welcome to imap-sansio
Message-ID: <welcome.1@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit

Hello Demo,

this mailbox is served by imap-sansio's in-memory backend.
Every message here is fixed, so you can FETCH it again and again.

Cheers,
Alice
""")

_ALTERNATIVE = _crlf(b"""\
Date: Tue, 04 Mar 2025 14:02:11 +0100
From: "Bob Builder" <bob@example.net>
To: demo@example.com
Cc: Alice Example <alice@example.org>
Subject: Project plan (HTML and text)
Message-ID: <plan.42@example.net>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="alt-boundary-1"

This is a multi-part message in MIME format.

--alt-boundary-1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 7bit

Plan:
1. Parse
2. Serve
3. Ship

--alt-boundary-1
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: 7bit

<html><body><p>Plan:</p><ol><li>Parse</li><li>Serve</li><li>Ship</li></ol></body></html>

--alt-boundary-1--
""")

_ATTACHMENT = _crlf(b"""\
Date: Wed, 05 Mar 2025 08:30:00 +0100
From: Carol Accounts <carol@example.com>
To: Demo User <demo@example.com>
Subject: Quarterly figures
Message-ID: <q1.report@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="mixed-2"

--mixed-2
Content-Type: text/plain; charset=us-ascii

Hi, the Q1 figures are attached as CSV.

Carol

--mixed-2
Content-Type: text/csv; charset=us-ascii; name="q1.csv"
Content-Disposition: attachment; filename="q1.csv"
Content-Transfer-Encoding: base64

ZGF0ZSxhbW91bnQsY3VycmVuY3kNCjIwMjUtMDEtMzEsMTIwMC4wMCxFVVINCjIwMjUtMDItMjgs
OTgwLjUwLEVVUg0KMjAyNS0wMy0zMSwxNDMwLjI1LEVVUg0K
--mixed-2--
""")

_FORWARDED = _crlf(b"""\
Date: Thu, 06 Mar 2025 17:45:00 +0100
From: Alice Example <alice@example.org>
To: Demo User <demo@example.com>
Subject: Fwd: Quarterly figures
Message-ID: <fwd.7@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="fwd-3"

--fwd-3
Content-Type: text/plain; charset=us-ascii

See below, forwarded as an attachment.

--fwd-3
Content-Type: message/rfc822
Content-Disposition: inline

Date: Wed, 05 Mar 2025 08:30:00 +0100
From: Carol Accounts <carol@example.com>
To: Alice Example <alice@example.org>
Subject: Quarterly figures
Message-ID: <q1.alice@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Alice, the Q1 figures are in the shared folder.

--fwd-3--
""")

_ENCODED = _crlf(b"""\
Date: Fri, 07 Mar 2025 11:11:11 +0100
From: =?ISO-8859-1?Q?Andr=E9_M=FCller?= <andre@example.de>
To: =?UTF-8?Q?Bob_B=C3=A4cker?= <bob@example.net>, demo@example.com
Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgWsO8cmljaA==?=
Message-ID: <gruesse.1@example.de>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Hallo Bob,

anbei die Unterlagen f=C3=BCr das Treffen am Dienstag. Die R=C3=A4ume sind =
gebucht, der Beamer ist reserviert und das Mittagessen ist bestellt =E2=80=
=94 alles erledigt!

Viele Gr=C3=BC=C3=9Fe
Andr=C3=A9
""")

_REPLY = _crlf(b"""\
Date: Sat, 08 Mar 2025 10:00:00 +0100
From: Bob Builder <bob@example.net>
To: Demo User <demo@example.com>
Subject: Re: Welcome to imap-sansio
Message-ID: <re.welcome.2@example.net>
In-Reply-To: <welcome.1@example.org>
References: <welcome.1@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii; format=flowed

> this mailbox is served by imap-sansio's in-memory backend.

Nice. Does it do IDLE?

Bob
""")

_IMAGE = _crlf(b"""\
Date: Sun, 09 Mar 2025 19:20:00 +0100
From: Alice Example <alice@example.org>
To: Demo User <demo@example.com>
Subject: A very small picture
Message-ID: <pixel.9@example.org>
MIME-Version: 1.0
Content-Type: multipart/related; boundary="rel-4"; type="text/html"

--rel-4
Content-Type: text/html; charset=us-ascii

<p>The smallest picture: <img src="cid:pixel@example.org"></p>
--rel-4
Content-Type: image/png
Content-ID: <pixel@example.org>
Content-Transfer-Encoding: base64

iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==
--rel-4--
""")

_SENT = _crlf(b"""\
Date: Sat, 08 Mar 2025 10:30:00 +0100
From: Demo User <demo@example.com>
To: Bob Builder <bob@example.net>
Subject: Re: Re: Welcome to imap-sansio
Message-ID: <re.welcome.3@example.com>
In-Reply-To: <re.welcome.2@example.net>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Yes, IDLE works.
""")

_DRAFT = _crlf(b"""\
Date: Mon, 10 Mar 2025 16:00:00 +0100
From: Demo User <demo@example.com>
To: Carol Accounts <carol@example.com>
Subject: Question about Q1
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Carol, one question about February:
""")

_SPAM = _crlf(b"""\
Date: Tue, 11 Mar 2025 03:33:33 +0100
From: "Prize Department" <winner@lottery.invalid>
To: demo@example.com
Subject: You have WON!!!
Message-ID: <spam.1@lottery.invalid>
Content-Type: text/plain; charset=us-ascii

Send us your bank details to claim your prize.
""")

_ARCHIVED = _crlf(b"""\
Date: Wed, 01 Jan 2025 12:00:00 +0100
From: Alice Example <alice@example.org>
To: Demo User <demo@example.com>
Subject: Happy new year
Message-ID: <ny.2025@example.org>
Content-Type: text/plain; charset=us-ascii

Happy 2025!
""")

#: (mailbox, message bytes, flags, internal date) in the order appended.
DEMO_MESSAGES: tuple[tuple[str, bytes, tuple[str, ...], datetime], ...] = (
    ("INBOX", _PLAIN, ("\\Seen",), _date(3, 9, 15)),
    ("INBOX", _ALTERNATIVE, ("\\Seen", "\\Flagged"), _date(4, 14, 2)),
    ("INBOX", _ATTACHMENT, ("\\Seen", "\\Answered", "$Work"), _date(5, 8, 30)),
    ("INBOX", _FORWARDED, ("$Forwarded",), _date(6, 17, 45)),
    ("INBOX", _ENCODED, (), _date(7, 11, 11)),
    ("INBOX", _REPLY, ("\\Flagged", "$Important"), _date(8, 10, 0)),
    ("INBOX", _IMAGE, (), _date(9, 19, 20)),
    ("Sent", _SENT, ("\\Seen",), _date(8, 10, 30)),
    ("Drafts", _DRAFT, ("\\Draft", "\\Seen"), _date(10, 16, 0)),
    ("Junk", _SPAM, ("$Junk",), _date(11, 3, 33)),
    ("Archive/2025", _ARCHIVED, ("\\Seen",), _date(1, 12, 0) - timedelta(days=59)),
)

_SPECIAL = (
    ("Sent", "\\Sent"),
    ("Drafts", "\\Drafts"),
    ("Trash", "\\Trash"),
    ("Archive", "\\Archive"),
    ("Junk", "\\Junk"),
)


def demo_backend(
    *,
    lock: contextlib.AbstractContextManager[object] | None = None,
    uidvalidity_base: int = 1,
    object_ids: bool = False,
    clock: Callable[[], datetime] | None = None,
) -> MemoryBackend:
    """A :class:`MemoryBackend` with user ``demo`` (password ``demo``); with
    ``lock`` (``threading.RLock()``) it is thread-safe.  Its UIDVALIDITY
    values start at ``uidvalidity_base``; ``object_ids`` and ``clock`` are
    :class:`MemoryBackend`'s (OBJECTID, SAVEDATE)."""
    backend = MemoryBackend(
        users={"demo": "demo"},
        lock=lock,
        uidvalidity_base=uidvalidity_base,
        object_ids=object_ids,
        clock=clock,
    )
    account = backend.account("demo")
    for name, use in _SPECIAL:
        account.create_special_use_mailbox(name, (use,))
    account.create_mailbox("Archive/2025")
    for name, _ in _SPECIAL:
        account.subscribe(name)
    account.subscribe("Archive/2025")
    for mailbox, data, flags, internal_date in DEMO_MESSAGES:
        account.append(mailbox, data, flags=flags, internal_date=internal_date)
    return backend
