"""The PROXY protocol header (HAProxy's PROXY protocol, versions 1 and 2).

A load balancer or TLS terminator that speaks it sends one header before the
client's bytes, naming the client's address.  This module only reads bytes
(no I/O): :func:`bytes_needed` says how many more bytes may be read without
reading past the header (so no byte of the client's stream, such as a TLS
ClientHello, is consumed), and :func:`parse` turns a complete header into a
:class:`ProxyHeader`.  :func:`trusted_source` decides who may send one.

Version 1 is a text line, at most 107 bytes with its CRLF::

    PROXY TCP4 192.0.2.1 198.51.100.1 56324 993\\r\\n
    PROXY UNKNOWN\\r\\n

Version 2 is binary: a 12-byte signature, a version/command byte, a
family/protocol byte, a 16-bit big-endian length, then the addresses and
optional TLVs (type, 16-bit length, value).  Its ``LOCAL`` command (health
checks from the proxy itself) carries no client address: the connection's
own peer is kept.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "MAX_HEADER",
    "V1_MAX",
    "V2_SIGNATURE",
    "ProxyError",
    "ProxyHeader",
    "bytes_needed",
    "parse",
    "trusted_source",
]

V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
#: The longest version 1 header, CRLF included (the specification's 107).
V1_MAX = 107
#: The longest version 2 header read: 16 bytes and this much of addresses
#: and TLVs (the format allows 64 KiB; proxies send a few hundred bytes).
V2_MAX_PAYLOAD = 4096
MAX_HEADER = 16 + V2_MAX_PAYLOAD
_V1_PREFIX = b"PROXY "
#: Neither header is shorter than this: read it first, then decide.
_FIRST = 8

_AF_INET, _AF_INET6, _AF_UNIX = 1, 2, 3
_STREAM, _DGRAM = 1, 2


class ProxyError(ValueError):
    """The bytes are not a valid PROXY header (the connection must close)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProxyHeader:
    """What a header says.  ``source`` is None when it names no client
    (v1 ``UNKNOWN``, v2 ``LOCAL`` or an unspecified or UNIX family): then
    the connection's own peer stands."""

    version: int
    source: tuple[str, int] | None
    destination: tuple[str, int] | None
    #: Version 2 TLVs (type, value), in order.
    tlvs: tuple[tuple[int, bytes], ...] = ()
    #: The header's length in bytes.
    length: int = 0


def bytes_needed(data: bytes) -> int:
    """How many more bytes to read before ``data`` can be parsed; 0 when it
    holds a whole header.  Reading exactly this many never reads past the
    header.  Raises :class:`ProxyError` as soon as ``data`` cannot start a
    header or is over the size limit."""
    if len(data) < _FIRST:
        _check_prefix(data)
        return _FIRST - len(data)
    if data.startswith(_V1_PREFIX):
        end = data.find(b"\r\n")
        if end >= 0:
            return 0
        if len(data) >= V1_MAX:
            raise ProxyError("version 1 header longer than 107 bytes")
        # One byte at a time: the line's end is not known before.
        return 1
    _check_prefix(data[:12])
    if len(data) < 16:
        return 16 - len(data)
    length = int.from_bytes(data[14:16], "big")
    if length > V2_MAX_PAYLOAD:
        raise ProxyError(f"version 2 header of {length} bytes is over the limit")
    return max(0, 16 + length - len(data))


def _check_prefix(data: bytes) -> None:
    """Raise unless ``data`` can be the start of a v1 or v2 header."""
    v1 = data[:6] == _V1_PREFIX[: min(len(data), 6)]
    v2 = data[:12] == V2_SIGNATURE[: min(len(data), 12)]
    if not (v1 or v2):
        raise ProxyError("no PROXY protocol header")


def parse(data: bytes) -> ProxyHeader:
    """The header at the start of ``data`` (which :func:`bytes_needed` says is
    complete); bytes after it are ignored.  Raises :class:`ProxyError`."""
    if bytes_needed(data) != 0:
        raise ProxyError("truncated header")
    if data.startswith(_V1_PREFIX):
        return _parse_v1(data[: data.index(b"\r\n") + 2])
    return _parse_v2(data)


def _parse_v1(line: bytes) -> ProxyHeader:
    try:
        text = line[:-2].decode("ascii")
    except UnicodeDecodeError:
        raise ProxyError("version 1 header is not ASCII") from None
    parts = text.split(" ")
    if len(parts) >= 2 and parts[1] == "UNKNOWN":
        # The receiver must ignore what follows UNKNOWN.
        return ProxyHeader(version=1, source=None, destination=None, length=len(line))
    if len(parts) != 6 or parts[1] not in ("TCP4", "TCP6"):
        raise ProxyError("version 1 header is not 'PROXY TCP4|TCP6 src dst sport dport'")
    family = ipaddress.IPv4Address if parts[1] == "TCP4" else ipaddress.IPv6Address
    try:
        source = str(family(parts[2]))
        destination = str(family(parts[3]))
    except ValueError:
        raise ProxyError("version 1 header has an invalid address") from None
    ports = [_v1_port(p) for p in parts[4:6]]
    return ProxyHeader(
        version=1,
        source=(source, ports[0]),
        destination=(destination, ports[1]),
        length=len(line),
    )


def _v1_port(text: str) -> int:
    # Decimal without leading zeros, 0 to 65535.
    if not text.isdigit() or not text.isascii() or (len(text) > 1 and text[0] == "0"):
        raise ProxyError("version 1 header has an invalid port")
    port = int(text)
    if port > 65535:
        raise ProxyError("version 1 header has an invalid port")
    return port


def _parse_v2(data: bytes) -> ProxyHeader:
    version, command = data[12] >> 4, data[12] & 0x0F
    if version != 2:
        raise ProxyError(f"unsupported version {version}")
    if command not in (0, 1):
        raise ProxyError(f"unknown version 2 command {command}")
    family, protocol = data[13] >> 4, data[13] & 0x0F
    (length,) = struct.unpack_from("!H", data, 14)
    payload = data[16 : 16 + length]
    size = 16 + length
    sizes = {_AF_INET: 12, _AF_INET6: 36, _AF_UNIX: 216}
    used = sizes.get(family, 0)
    if len(payload) < used:
        raise ProxyError("version 2 addresses are truncated")
    tlvs = _tlvs(payload[used:])
    if command == 0 or family not in (_AF_INET, _AF_INET6) or protocol not in (_STREAM, _DGRAM):
        # LOCAL (the proxy's own health check), or a family we cannot use:
        # the receiver keeps the connection's own addresses.
        return ProxyHeader(version=2, source=None, destination=None, tlvs=tlvs, length=size)
    if family == _AF_INET:
        src, dst = payload[0:4], payload[4:8]
        sport, dport = struct.unpack_from("!HH", payload, 8)
        source = str(ipaddress.IPv4Address(src))
        destination = str(ipaddress.IPv4Address(dst))
    else:
        sport, dport = struct.unpack_from("!HH", payload, 32)
        source = str(ipaddress.IPv6Address(payload[0:16]))
        destination = str(ipaddress.IPv6Address(payload[16:32]))
    return ProxyHeader(
        version=2,
        source=(source, sport),
        destination=(destination, dport),
        tlvs=tlvs,
        length=size,
    )


def _tlvs(data: bytes) -> tuple[tuple[int, bytes], ...]:
    found = []
    offset = 0
    while offset < len(data):
        if offset + 3 > len(data):
            raise ProxyError("version 2 TLV is truncated")
        kind = data[offset]
        (size,) = struct.unpack_from("!H", data, offset + 1)
        value = data[offset + 3 : offset + 3 + size]
        if len(value) != size:
            raise ProxyError("version 2 TLV is truncated")
        found.append((kind, value))
        offset += 3 + size
    return tuple(found)


def trusted_source(peer_host: str, networks: Iterable[str]) -> bool:
    """Whether ``peer_host`` may send a PROXY header: loopback, or an address
    in one of ``networks`` (CIDR strings); an IPv4-mapped IPv6 address counts
    as its IPv4 address."""
    try:
        address = ipaddress.ip_address(peer_host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return True
    for cidr in networks:
        network = ipaddress.ip_network(cidr, strict=False)
        if address.version == network.version and address in network:
            return True
    return False
