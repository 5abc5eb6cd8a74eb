"""TLS contexts for the adapters (standard ``ssl``)."""

from __future__ import annotations

import ssl
from os import PathLike

__all__ = ["server_ssl_context"]


def server_ssl_context(
    certfile: str | PathLike[str], keyfile: str | PathLike[str] | None = None
) -> ssl.SSLContext:
    """A server context with the library's secure defaults, TLS 1.2 or later."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile, keyfile)
    return context
