"""TLS sessions end with close_notify (RFC 8446 6.1) in every runtime, so a
client can tell the end of the session from a truncation: ``openssl
s_client`` reports ``unexpected eof while reading`` otherwise."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import pytest
import trustme
from _adapter_harness import RUNTIMES, running_server
from imap_sansio.adapters.cli import wall_clock

from imap_sansio.server import IMAPServer, demo_backend

pytestmark = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="the openssl program is not on PATH"
)


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, Path]:
    ca = trustme.CA()
    folder = tmp_path_factory.mktemp("ca")
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    return context, folder / "ca.pem"


def _s_client(port: int, ca: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    # -ign_eof: keep reading after our input ends, until the server closes.
    command = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", str(ca)]
    return subprocess.run(
        [*command, "-servername", "localhost", "-ign_eof", "-quiet", *extra],
        input="a LOGOUT\r\n",
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("how", ["implicit", "starttls"])
def test_logout_over_tls_ends_with_close_notify(
    runtime: str, how: str, tls: tuple[ssl.SSLContext, Path]
) -> None:
    context, ca = tls
    server = IMAPServer(demo_backend(), clock=wall_clock)
    with running_server(runtime, server, ssl_context=context, tls=True) as srv:
        if how == "implicit":
            assert srv.tls_port is not None
            result = _s_client(srv.tls_port, ca)
        else:
            result = _s_client(srv.port, ca, "-starttls", "imap")
    # (Text mode reads each CRLF as one newline.)
    assert "* BYE Logging out\na OK LOGOUT completed\n" in result.stdout
    assert "unexpected eof" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
