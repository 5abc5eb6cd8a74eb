"""The PROXY protocol (HAProxy's proxy-protocol.txt, versions 1 and 2): the
pure header reader, and every runtime honouring the address in the header."""

from __future__ import annotations

import dataclasses
import socket
import ssl
import struct

import pytest
import trustme
from _adapter_harness import RUNTIMES, Client, running_server, watch_log
from imap_sansio.adapters import ServerOptions
from imap_sansio.adapters.cli import wall_clock
from imap_sansio.adapters.proxy import (
    MAX_HEADER,
    V2_SIGNATURE,
    ProxyError,
    ProxyHeader,
    bytes_needed,
    parse,
    trusted_source,
)

from imap_sansio.server import IMAPServer, LoginLimits, MemoryBackend


def v2(
    *,
    command: int = 1,
    family: int = 0x11,
    addresses: bytes = b"",
    tlvs: bytes = b"",
) -> bytes:
    """A version 2 header built field by field from the specification (2.2)."""
    payload = addresses + tlvs
    return (
        V2_SIGNATURE + bytes([0x20 | command, family]) + struct.pack("!H", len(payload)) + payload
    )


def ipv4(src: str, dst: str, sport: int, dport: int) -> bytes:
    return socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!HH", sport, dport)


def read_exactly(stream: bytes) -> tuple[bytes, bytes]:
    """Read ``stream`` as the adapters do (exactly what ``bytes_needed`` asks):
    the header read and the bytes left for the client's stream."""
    data = b""
    while (needed := bytes_needed(data)) > 0:
        data, stream = data + stream[:needed], stream[needed:]
    return data, stream


# -- the pure reader ---------------------------------------------------------


def test_v1_tcp4_names_the_client() -> None:
    line = b"PROXY TCP4 192.0.2.1 198.51.100.1 56324 993\r\n"
    header, rest = read_exactly(line + b"a1 CAPABILITY\r\n")
    assert header == line
    assert rest == b"a1 CAPABILITY\r\n"
    assert parse(header) == ProxyHeader(
        version=1,
        source=("192.0.2.1", 56324),
        destination=("198.51.100.1", 993),
        length=len(line),
    )


def test_v1_tcp6_and_unknown() -> None:
    line = b"PROXY TCP6 2001:db8::1 2001:db8::2 4242 143\r\n"
    assert parse(line).source == ("2001:db8::1", 4242)
    # UNKNOWN: the rest of the line is ignored, the connection's peer stands.
    assert parse(b"PROXY UNKNOWN\r\n").source is None
    assert parse(b"PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n").source is None


@pytest.mark.parametrize(
    "line",
    [
        b"PROXY TCP4 192.0.2.1 198.51.100.1 56324\r\n",  # a port missing
        b"PROXY TCP4 2001:db8::1 198.51.100.1 1 2\r\n",  # family and address differ
        b"PROXY TCP4 192.0.2.1 198.51.100.1 65536 1\r\n",  # port out of range
        b"PROXY TCP4 192.0.2.1 198.51.100.1 01 1\r\n",  # leading zero
        b"PROXY UDP4 192.0.2.1 198.51.100.1 1 2\r\n",
        b"PROXY TCP4  192.0.2.1 198.51.100.1 1 2\r\n",  # two spaces
    ],
)
def test_v1_invalid_lines_are_refused(line: bytes) -> None:
    with pytest.raises(ProxyError):
        parse(line)


def test_v1_longer_than_107_bytes_is_refused_without_reading_on() -> None:
    data = b"PROXY TCP4 " + b"1" * 95  # 106 bytes, no CRLF yet
    assert bytes_needed(data) == 1
    with pytest.raises(ProxyError, match="107"):
        bytes_needed(data + b"1")


@pytest.mark.parametrize(
    "start", [b"a1 LOGIN", b"GET / HTTP/1.1\r\n", b"\x16\x03\x01\x02\x00\x01", b"PROXYX"]
)
def test_anything_else_is_no_header(start: bytes) -> None:
    with pytest.raises(ProxyError, match="no PROXY protocol header"):
        bytes_needed(start)


def test_truncated_headers_need_more_and_do_not_parse() -> None:
    whole_v1 = b"PROXY TCP4 192.0.2.1 198.51.100.1 56324 993\r\n"
    whole_v2 = v2(addresses=ipv4("192.0.2.1", "198.51.100.1", 56324, 993))
    for whole in (whole_v1, whole_v2):
        for cut in range(len(whole)):
            assert bytes_needed(whole[:cut]) > 0
            with pytest.raises(ProxyError):
                parse(whole[:cut])
        assert bytes_needed(whole) == 0


def test_v2_ipv4_names_the_client() -> None:
    header = v2(addresses=ipv4("203.0.113.9", "198.51.100.1", 40000, 143))
    read, rest = read_exactly(header + b"\x16\x03\x01")  # a TLS ClientHello follows
    assert read == header
    assert rest == b"\x16\x03\x01"
    assert parse(read) == ProxyHeader(
        version=2,
        source=("203.0.113.9", 40000),
        destination=("198.51.100.1", 143),
        length=28,
    )


def test_v2_ipv6_names_the_client() -> None:
    addresses = (
        socket.inet_pton(socket.AF_INET6, "2001:db8::7")
        + socket.inet_pton(socket.AF_INET6, "2001:db8::1")
        + struct.pack("!HH", 5000, 993)
    )
    assert parse(v2(family=0x21, addresses=addresses)).source == ("2001:db8::7", 5000)


def test_v2_local_keeps_the_connection_s_own_peer() -> None:
    # The proxy's own health check: no addresses, command LOCAL (0).
    assert parse(v2(command=0, family=0x00)) == ProxyHeader(
        version=2, source=None, destination=None, length=16
    )
    # LOCAL with addresses: they are ignored.
    local = v2(command=0, addresses=ipv4("192.0.2.1", "192.0.2.2", 1, 2))
    assert parse(local).source is None


def test_v2_tlvs_are_read_and_skipped() -> None:
    # PP2_TYPE_ALPN (0x01) "imap", PP2_TYPE_AUTHORITY (0x02) "mail.example".
    tlvs = b"\x01\x00\x04imap" + b"\x02\x00\x0cmail.example"
    header = parse(v2(addresses=ipv4("192.0.2.1", "192.0.2.2", 1, 2), tlvs=tlvs))
    assert header.source == ("192.0.2.1", 1)
    assert header.tlvs == ((1, b"imap"), (2, b"mail.example"))
    with pytest.raises(ProxyError, match="TLV"):
        parse(v2(addresses=ipv4("192.0.2.1", "192.0.2.2", 1, 2), tlvs=b"\x01\x00\x09imap"))


def test_v2_oversize_and_bad_versions_are_refused() -> None:
    too_long = V2_SIGNATURE + b"\x21\x11" + struct.pack("!H", MAX_HEADER)
    with pytest.raises(ProxyError, match="over the limit"):
        bytes_needed(too_long)
    with pytest.raises(ProxyError, match="version 3"):
        parse(V2_SIGNATURE + b"\x31\x11\x00\x00")
    with pytest.raises(ProxyError, match="command"):
        parse(V2_SIGNATURE + b"\x22\x11\x00\x00")
    with pytest.raises(ProxyError, match="truncated"):
        parse(v2(addresses=b"\x7f\x00\x00\x01"))  # AF_INET needs 12 bytes


def test_only_loopback_and_configured_networks_may_send_headers() -> None:
    assert trusted_source("127.0.0.1", [])
    assert trusted_source("::1", [])
    assert trusted_source("::ffff:127.0.0.1", [])
    assert not trusted_source("192.0.2.1", [])
    assert not trusted_source("192.0.2.1", ["198.51.100.0/24", "2001:db8::/32"])
    assert trusted_source("198.51.100.77", ["198.51.100.0/24"])
    assert trusted_source("::ffff:198.51.100.77", ["198.51.100.0/24"])
    assert trusted_source("2001:db8::5", ["2001:db8::/32"])
    assert not trusted_source("not an address", ["0.0.0.0/0"])


# -- over real sockets ---------------------------------------------------------

PROXY_OPTIONS = ServerOptions(
    proxy_protocol=True,
    # No network is exempt, so the limit applies to the addresses in headers.
    login_limits=LoginLimits(max_unauthenticated_per_address=1, trusted_networks=()),
)


def _server() -> IMAPServer:
    return IMAPServer(MemoryBackend(users={"alice": "secret"}), clock=wall_clock)


def _v1(client: str, port: int = 50000) -> bytes:
    family = "TCP6" if ":" in client else "TCP4"
    server = "::1" if ":" in client else "127.0.0.1"
    return f"PROXY {family} {client} {server} {port} 143\r\n".encode()


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_the_client_address_decides_logindisabled_and_the_log(runtime: str) -> None:
    with watch_log() as log, running_server(runtime, _server(), options=PROXY_OPTIONS) as srv:
        # A client elsewhere, without TLS: plaintext logins are refused.
        with Client(srv.port) as remote:
            remote.send(_v1("203.0.113.7", 41000))
            greeting = remote.line()
            assert greeting.startswith(b"* OK [CAPABILITY ")
            assert b" LOGINDISABLED" in greeting
            line = log.wait_for(r"203\.0\.113\.7:41000 via 127\.0\.0\.1:\d+ connected")
            assert "tls=no, LOGINDISABLED" in line
            assert remote.command(b"a", b"LOGIN alice secret")[-1].startswith(b"a NO ")
        # A client on the proxy's machine (v2): loopback counts as secure.
        with Client(srv.port) as local:
            local.send(v2(family=0x21, addresses=_v6("::1", "::1", 42000, 143)))
            greeting = local.line()
            assert b"LOGINDISABLED" not in greeting
            log.wait_for(
                r"\[::1\]:42000 via 127\.0\.0\.1:\d+ connected \(tls=no, trusted-loopback\)"
            )
            assert local.command(b"a", b"LOGIN alice secret")[-1].startswith(b"a OK ")
            local.command(b"z", b"LOGOUT")
        log.wait_for(r"\[::1\]:42000 via \S+ disconnected user='alice' ")


def _v6(src: str, dst: str, sport: int, dport: int) -> bytes:
    return (
        socket.inet_pton(socket.AF_INET6, src)
        + socket.inet_pton(socket.AF_INET6, dst)
        + struct.pack("!HH", sport, dport)
    )


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_per_address_limits_count_the_address_in_the_header(runtime: str) -> None:
    with running_server(runtime, _server(), options=PROXY_OPTIONS) as srv:
        with Client(srv.port) as first:
            first.send(_v1("198.51.100.5"))
            assert first.line().startswith(b"* OK ")
            # A second connection of that client is over its limit of one...
            with Client(srv.port) as second:
                second.send(_v1("198.51.100.5", 50001))
                assert (
                    second.line()
                    == b"* BYE [UNAVAILABLE] Too many connections from your address\r\n"
                )
        # ...though every connection comes from 127.0.0.1: another client
        # behind the same proxy is served.
        with Client(srv.port) as other:
            other.send(v2(addresses=ipv4("198.51.100.6", "127.0.0.1", 50002, 143)))
            assert other.line().startswith(b"* OK ")


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize(
    "sent",
    [
        b"a1 LOGIN alice secret\r\n",  # no header at all
        b"PROXY TCP4 192.0.2.1\r\n",  # an invalid header
        b"PROXY TCP4 192.0.2.1 ",  # a header cut short by the end of the stream
    ],
)
def test_a_connection_without_a_valid_header_is_closed_unanswered(
    runtime: str, sent: bytes
) -> None:
    with watch_log() as log, running_server(runtime, _server(), options=PROXY_OPTIONS) as srv:
        with Client(srv.port) as client:
            client.send(sent)
            if not sent.endswith(b"\n"):
                client.sock.shutdown(socket.SHUT_WR)
            assert client.at_eof()
            assert client.buffer == b""  # not even a greeting
        log.wait_for(r"refused: PROXY header: ")


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_a_late_header_times_out(runtime: str) -> None:
    options = dataclasses.replace(PROXY_OPTIONS, proxy_timeout=0.2)
    with watch_log() as log, running_server(runtime, _server(), options=options) as srv:
        with Client(srv.port) as client:
            client.send(b"PROXY TCP4 ")
            assert client.at_eof()
            assert client.buffer == b""
        log.wait_for(r"refused: PROXY header: timed out")


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_implicit_tls_after_the_header_reads_no_byte_of_the_handshake(runtime: str) -> None:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    with running_server(
        runtime, _server(), options=PROXY_OPTIONS, ssl_context=server_context, tls=True
    ) as srv:
        assert srv.tls_port is not None
        sock = socket.create_connection(("127.0.0.1", srv.tls_port), timeout=5)
        # The header and the ClientHello may arrive in one segment.
        sock.sendall(_v1("192.0.2.44"))
        with client_context.wrap_socket(sock, server_hostname="localhost") as tls:
            tls.settimeout(5)
            greeting = tls.recv(4096)
            assert greeting.startswith(b"* OK [CAPABILITY ")
            assert b"LOGINDISABLED" not in greeting  # TLS: secure wherever the client is
