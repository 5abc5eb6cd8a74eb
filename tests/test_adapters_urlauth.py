"""CATENATE and URLAUTH over a real socket, driven by Python's imaplib (a
real client library): one user builds a message with CATENATE and signs a
URL of a part of it, another user fetches that part with URLFETCH."""

from __future__ import annotations

import imaplib

import pytest
from imap_sansio.adapters.pytest_plugin import IMAPTestServer

MESSAGE = (
    b"From: user@example.com\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
    b"--b\r\nContent-Type: text/plain\r\n\r\nfirst\r\n"
    b"--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    b"U2kgdmlzIHBhY2VtLCBwYXJhIGJlbGx1bS4=\r\n--b--\r\n"
)


def test_imaplib_catenate_genurlauth_and_urlfetch_over_loopback(
    imap_server: IMAPTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # imaplib sends only the commands it knows the states of.
    for name in ("GENURLAUTH", "URLFETCH"):
        monkeypatch.setitem(imaplib.Commands, name, ("AUTH", "SELECTED"))
    owner = imaplib.IMAP4(imap_server.host, imap_server.port)
    owner.login("user", "password")
    _, answers = owner.capability()
    capabilities = answers[-1]  # imaplib keeps the earlier CAPABILITY lists too
    assert isinstance(capabilities, bytes)
    assert {b"CATENATE", b"URLAUTH", b"URLAUTH=BINARY"} <= set(capabilities.split())
    status, _ = owner.append("INBOX", None, None, MESSAGE)
    assert status == "OK"
    # CATENATE: the header of message 1 and its first part's body (RFC 4469
    # 5); imaplib can send a literal only at the end of a command, so URLs.
    status, data = owner._simple_command(
        "APPEND",
        "INBOX",
        "CATENATE",
        '(URL "/INBOX/;UID=1/;SECTION=HEADER" URL "/INBOX/;UID=1/;SECTION=1")',
    )
    assert status == "OK", data
    owner.select("INBOX")
    status, fetched = owner.uid("FETCH", "2", "(BODY.PEEK[])")
    header = MESSAGE.partition(b"\r\n\r\n")[0] + b"\r\n\r\n"
    assert fetched[0][1] == header + b"first"
    rump = "imap://user@127.0.0.1/INBOX/;uid=1/;section=2;urlauth=authuser"
    status, _ = owner._simple_command("GENURLAUTH", f'"{rump}"', "INTERNAL")
    assert status == "OK"
    _, (url,) = owner._untagged_response(status, [], "GENURLAUTH")
    assert isinstance(url, bytes)
    url = url.strip(b'"')
    assert url.startswith(rump.encode() + b":internal:")

    reader = imaplib.IMAP4(imap_server.host, imap_server.port)
    reader.login("other", "other-password")
    status, _ = reader._simple_command("URLFETCH", f'("{url.decode()}" BINARY)')
    assert status == "OK"
    _, answer = reader._untagged_response(status, [], "URLFETCH")
    assert answer[0] == (b'"' + url + b'" (BINARY {26}', b"Si vis pacem, para bellum.")
    reader.logout()
    owner.logout()
