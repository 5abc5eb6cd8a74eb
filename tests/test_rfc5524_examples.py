"""URLAUTH=BINARY (RFC 5524) section 4: its six example exchanges replayed.

Message 20 of joe's INBOX has the parts the examples fetch: 1.2 is the text
"Si vis pacem, para bellum.", 1.3 a PNG of 123 octets (164 in base64),
1.4 a PNG in an encoding nobody knows (X-BLURDYBLOOP).

Deviations from the RFC's server lines, all free choices or RFC slips:

* The tokens are the server's (``$T...``: an HMAC under its own key,
  RFC 4467 5); each URL is signed with GENURLAUTH first.
* BODYPARTSTRUCTURE has the extension data (MD5, disposition, language,
  location: ``NIL NIL NIL NIL``) that a BODYSTRUCTURE carries (RFC 3501
  7.4.2); the parameters of a part without any are ``NIL`` (the RFC's
  ``()`` is no body-fld-param of RFC 3501 9); a decoded part's encoding is
  written ``"binary"`` (body-fld-enc is case-insensitive).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from imap_sansio.server import IMAPServer, MemoryBackend
from imap_sansio.testing import fixed_clock, play

PNG = bytes(range(123))  # with a NUL octet, as the RFC's "some of which is NUL"
B64 = base64.b64encode(PNG)  # 164 octets
MESSAGE20 = (
    b"From: joe@example.com\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=outer\r\n\r\n"
    b"--outer\r\nContent-Type: multipart/related; boundary=inner\r\n\r\n"
    b"--inner\r\nContent-Type: text/plain\r\n\r\nfirst\r\n"
    b"--inner\r\nContent-Type: text/plain\r\n\r\nSi vis pacem, para bellum.\r\n\r\n"
    b"--inner\r\nContent-Type: IMAGE/PNG\r\nContent-Transfer-Encoding: BASE64\r\n\r\n"
    + B64
    + b"\r\n--inner\r\nContent-Type: IMAGE/PNG\r\nContent-Transfer-Encoding: X-BLURDYBLOOP\r\n\r\n"
    + PNG
    + b"\r\n--inner--\r\n--outer--\r\n"
)
RUMP = "imap://joe@example.com/INBOX/;uid=20/;section={};urlauth=anonymous"


def _server() -> IMAPServer:
    backend = MemoryBackend(users={"joe": "secret"})
    account = backend.account("joe")
    for uid in range(1, 21):
        data = MESSAGE20 if uid == 20 else b"Subject: %d\r\n\r\n." % uid
        account.append("INBOX", data, internal_date=datetime(2009, 5, 1, tzinfo=UTC))
    return IMAPServer(backend, clock=fixed_clock(), random_bytes=bytes)


SIGN = f"""
    C: l LOGIN joe secret
    S: l OK $ANY
    C: g GENURLAUTH "{RUMP.format("1.2")}" INTERNAL "{RUMP.format("1.3")}" INTERNAL "{RUMP.format("1.4")}" INTERNAL "{RUMP.format("200")}" INTERNAL
    S: * GENURLAUTH "{RUMP.format("1.2")}:internal:$T2" "{RUMP.format("1.3")}:internal:$T3" "{RUMP.format("1.4")}:internal:$T4" "{RUMP.format("200")}:internal:$T200"
    S: g OK GENURLAUTH completed
"""  # noqa: E501

U2 = RUMP.format("1.2") + ":internal:$T2"
U3 = RUMP.format("1.3") + ":internal:$T3"
U4 = RUMP.format("1.4") + ":internal:$T4"
U200 = RUMP.format("200") + ":internal:$T200"
PNG_BASE64 = '("IMAGE" "PNG" NIL NIL NIL "BASE64" 164 NIL NIL NIL NIL)'


def test_rfc5524_4_examples_without_binary_data() -> None:
    play(
        _server(),
        SIGN
        + f"""
        # 1: "A client requests the data with no content transfer encoding."
        C: A001 URLFETCH ("{U2}" BINARY)
        # The RFC prints a blank line between the text and ")", which {{28}}
        # does not count ("Si vis pacem, para bellum." and its CRLF are 28).
        S: * URLFETCH "{U2}" (BINARY {{28}}
        S: Si vis pacem, para bellum.
        S: )
        S: A001 OK URLFETCH completed
        # 3: "A client requests only the body structure."
        #   RFC: (BODYPARTSTRUCTURE ("IMAGE" "PNG" () NIL NIL "BASE64" 164))
        C: A001 URLFETCH ("{U3}" BODYPARTSTRUCTURE)
        S: * URLFETCH "{U3}" (BODYPARTSTRUCTURE {PNG_BASE64})
        S: A001 OK URLFETCH completed
        # 4: "the body structure and the original content."
        C: A001 URLFETCH ("{U3}" BODYPARTSTRUCTURE BODY)
        S: * URLFETCH "{U3}" (BODYPARTSTRUCTURE {PNG_BASE64}) (BODY {{164}}
        S: {B64.decode()})
        S: A001 OK URLFETCH completed
        # 5: "Some parts cannot be decoded": the structure as is, BINARY NIL.
        #   RFC: ("IMAGE" "PNG" () NIL NIL "X-BLURDYBLOOP" 123)) (BINARY NIL)
        C: A001 URLFETCH ("{U4}" BODYPARTSTRUCTURE BINARY)
        S: * URLFETCH "{U4}" (BODYPARTSTRUCTURE ("IMAGE" "PNG" NIL NIL NIL "X-BLURDYBLOOP" 123 NIL NIL NIL NIL)) (BINARY NIL)
        S: A001 OK URLFETCH completed
        # 6: "If a part simply doesn't exist ... NIL is returned instead of metadata"
        C: A001 URLFETCH ("{U200}" BODYPARTSTRUCTURE BODY)
        S: * URLFETCH "{U200}" NIL
        S: A001 OK URLFETCH completed
        """,  # noqa: E501
    )


def test_rfc5524_4_example_2_binary_with_a_nul_is_a_literal8() -> None:
    # 2: "A client again requests data with no content transfer encoding, but
    # this time requests the body structure": the decoded part has a NUL, so
    # it goes as literal8 ("~{123}").
    #   RFC: (BODYPARTSTRUCTURE ("IMAGE" "PNG" () NIL NIL "BINARY" 123))
    #        (BINARY ~{123}
    server = _server()
    bound = play(server, SIGN, check_end=True)
    session = server.connect()
    session.data_to_send()
    url = U3.replace("$T3", bound["T3"]).encode()
    session.receive_data(
        b'l LOGIN joe secret\r\nA001 URLFETCH ("' + url + b'" BINARY BODYPARTSTRUCTURE)\r\n'
    )
    out = session.data_to_send()
    assert out.endswith(
        b'* URLFETCH "' + url + b'" (BODYPARTSTRUCTURE ("IMAGE" "PNG" NIL NIL NIL "binary" 123'
        b" NIL NIL NIL NIL)) (BINARY ~{123}\r\n" + PNG + b")\r\nA001 OK URLFETCH completed\r\n"
    )
