"""URLAUTH (RFC 4467): its examples replayed, in exact bytes.

Deviations from the RFC's server lines, each named where it occurs: the
token is the server's (an HMAC under its own key, RFC 4467 5, bound as
``$TOKEN``), and the texts after the response codes are ours.
"""

from __future__ import annotations

from test_server_catenate_urlauth import _joe_inbox, _server

from imap_sansio.testing import play

URL = "imap://joe@example.com/INBOX/;uid=20/;section=1.2"
SHARED = "imap://example.com/Shared/;uid=20/;section=1.2;urlauth=submit+fred"


def test_rfc4467_6_1_resetkey() -> None:
    # RFC 4467 6.1 (and 8's URLMECH example, a33).
    server, backend = _server()
    _joe_inbox(backend)
    play(
        server,
        """
        C: a1 LOGIN joe secret
        S: a1 OK $ANY
        C: a31 RESETKEY
        S: a31 OK All keys removed
        # RFC: "S: a32 OK [URLMECH INTERNAL] mechs".
        C: a32 RESETKEY INBOX
        S: a32 OK [URLMECH INTERNAL] Keys removed
        # RFC: "S: a33 OK [URLMECH INTERNAL XSAMPLE=P34OKhO7VEkCbsiYY8rGEg==]
        # done": XSAMPLE is the RFC's illustration ("for illustrative purposes
        # only"); a server without it refuses the name and lists its own.
        C: a33 RESETKEY INBOX XSAMPLE
        S: a33 NO [URLMECH INTERNAL] Unknown URLAUTH mechanism XSAMPLE
        """,
    )


def test_rfc4467_6_2_genurlauth_and_6_3_urlfetch_by_a_submit_server() -> None:
    # RFC 4467 6.2's three examples, then 6.3's: a submission server (a user
    # granted the "submit" role, 4) fetches the part joe authorized for it.
    server, backend = _server()
    backend.add_user("submitserver", "secret")
    server.submit_users = frozenset({"submitserver"})
    _joe_inbox(backend)
    play(
        server,
        f"""
        C: a1 LOGIN joe secret
        S: a1 OK $ANY
        # RFC: "S: a775 BAD missing access identifier in supplied URL" and
        # "S: a776 BAD missing owner username in supplied URL" (texts ours).
        C: a775 GENURLAUTH "{URL}" INTERNAL
        S: a775 BAD [CLIENTBUG] GENURLAUTH takes a rump URL (;URLAUTH=access, no token)
        C: a776 GENURLAUTH "{SHARED}" INTERNAL
        S: a776 BAD [CLIENTBUG] Missing owner username in the URL
        C: a777 GENURLAUTH "{URL};urlauth=submit+fred" INTERNAL
        S: * GENURLAUTH "{URL};urlauth=submit+fred:internal:$TOKEN"
        S: a777 OK GENURLAUTH completed
        # RFC: "S: a001 OK submitserver logged in".
        C2: a001 LOGIN submitserver secret
        S2: a001 OK [CAPABILITY $ANY URLAUTH $ANY] LOGIN completed
        C2: a002 URLFETCH "{URL};urlauth=submit+fred:internal:$TOKEN"
        S2: * URLFETCH "{URL};urlauth=submit+fred:internal:$TOKEN" {{28}}
        S2: Si vis pacem, para bellum.
        S2:
        S2: a002 OK URLFETCH completed
        # Anybody without the role gets NIL (RFC 4467 7: "NIL if the URL is
        # invalid for any reason").
        C3: b1 LOGIN fred secret
        S3: b1 OK $ANY
        C3: b2 URLFETCH "{URL};urlauth=submit+fred:internal:$TOKEN"
        S3: * URLFETCH "{URL};urlauth=submit+fred:internal:$TOKEN" NIL
        S3: b2 OK URLFETCH completed
        """,
    )
