"""Statistics for monitoring: Prometheus text on loopback, or periodic log lines.

Both read a :class:`ServerStats` that the connections update, from a thread
of their own, so they work beside every runtime (asyncio, trio, threads).
"""

from __future__ import annotations

import http.server
import threading
import time

from ._driver import ServerStats, logger

__all__ = ["MetricsServer", "StatsLogger", "prometheus_text"]

_HELP = {
    "sessions_total": ("counter", "Connections served since the start."),
    "sessions_active": ("gauge", "Connections open now."),
    "commands_total": ("counter", "IMAP commands read."),
    "logins_total": ("counter", "Successful logins (LOGIN and AUTHENTICATE)."),
    "auth_failures_total": ("counter", "Failed logins."),
    "errors_total": ("counter", "Commands answered NO [SERVERBUG] and connections lost to a bug."),
    "proxy_rejected_total": (
        "counter",
        "Connections closed for a missing, invalid or untrusted PROXY header.",
    ),
    "bytes_in_total": ("counter", "Bytes received from clients (after TLS)."),
    "bytes_out_total": ("counter", "Bytes sent to clients (before TLS)."),
}


def prometheus_text(stats: ServerStats) -> str:
    """The counters in the Prometheus text exposition format (version 0.0.4)."""
    lines = []
    for counter, value in stats.counters().items():
        kind, text = _HELP[counter]
        name = f"imap_sansio_{counter}"
        lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}", f"{name} {value}"]
    return "\n".join(lines) + "\n"


class MetricsServer:
    """``GET /metrics`` on ``127.0.0.1:port`` (never another address: the
    numbers are for a local agent or a scraper reached through a tunnel)."""

    def __init__(self, stats: ServerStats, *, port: int = 0) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?", 1)[0] != "/metrics":
                    self.send_error(404)
                    return
                body = prometheus_text(stats).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # scrapes every few seconds would flood the log

        self._http = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._http.daemon_threads = True
        self.port: int = self._http.server_address[1]
        self._thread = threading.Thread(
            target=self._http.serve_forever, name="imap-metrics", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join()


class StatsLogger:
    """Logs one ``stats ...`` line every ``interval`` seconds (at WARNING, so
    it shows at the default log level), with the rate of commands since the
    previous line."""

    def __init__(self, stats: ServerStats, interval: float) -> None:
        self._stats = stats
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="imap-stats", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        last_commands, last_time = self._stats.commands_total, time.monotonic()
        while not self._stop.wait(self._interval):
            now = time.monotonic()
            stats = self._stats
            rate = (stats.commands_total - last_commands) / max(now - last_time, 1e-9)
            last_commands, last_time = stats.commands_total, now
            logger.warning(
                "stats sessions_active=%d sessions_total=%d commands_per_s=%.1f "
                "commands_total=%d logins_total=%d auth_failures_total=%d errors_total=%d "
                "proxy_rejected_total=%d",
                stats.sessions_active,
                stats.sessions_total,
                rate,
                stats.commands_total,
                stats.logins_total,
                stats.auth_failures_total,
                stats.errors_total,
                stats.proxy_rejected_total,
            )

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
