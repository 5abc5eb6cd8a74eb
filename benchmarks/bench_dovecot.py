"""Beside Dovecot: persistent sessions and big APPENDs, same machine, same run.

Dovecot (Debian's ``dovecot-imapd``, ``/usr/sbin/dovecot``) is started on a
free loopback port from a configuration written to a temporary directory:
Maildir under that directory, plaintext PLAIN/LOGIN allowed on loopback, no
TLS, its default ``mail_fsync = optimized``; as root its login processes run
as ``dovenull`` and the mail as ``nobody`` (Dovecot refuses root for both),
otherwise everything as the current user.  When ``dovecot`` is not installed
the suite says so and returns no rows.

Servers, each in its own processes, interleaved round by round:

- imap-sansio, in-memory store (``serve --demo``, asyncio runtime);
- imap-sansio, Maildir store (``serve --maildir``, in the system's temporary
  directory: the same disk as Dovecot's);
- Dovecot, Maildir.

1. Persistent sessions: the command mix of :mod:`benchmarks.bench_e2e` (20
   logged-in clients, quick: 5; SELECT, FETCH headers and bodies, SEARCH,
   STORE, APPEND), commands per second of wall-clock time: the headline is
   the rate beside Dovecot's in the same round.  Server CPU per command is
   in ``extra``; for Dovecot it is the CPU of its whole process tree (master,
   login, auth and one ``imap`` process per session).
2. Big messages: APPEND then FETCH ``BODY.PEEK[]`` of 10 MiB (and 50 MiB),
   MiB/s of one client per server as :mod:`benchmarks.bench_big` measures
   them, the three servers running side by side and taking turns round by
   round; the ratio is the median of the rounds' ratios, and each row's
   table gives the server's CPU per MiB (Dovecot's: its process tree).
   Both sides fsync each new message file and its directory (Dovecot's
   ``mail_fsync = optimized`` does both for a Maildir save; so does
   ``MaildirBackend(fsync=True)``, the default).
"""

from __future__ import annotations

import asyncio
import os
import pathlib
import pwd
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

from . import bench_e2e as e2e
from ._harness import Result
from .bench_big import MiB, _Client, _message

__all__ = ["dovecot_binary", "run"]

_CLK_TCK = os.sysconf("SC_CLK_TCK")


def dovecot_binary() -> str | None:
    """The dovecot executable, or None when it is not installed."""
    return shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if os.access("/usr/sbin/dovecot", os.X_OK) else None
    )


def _tree_cpu_seconds(root: int) -> float:
    """CPU time of ``root`` and every live process under it, with what their
    reaped children used (``cutime``/``cstime``): Dovecot's imap processes."""
    parents: dict[int, int] = {}
    times: dict[int, int] = {}
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        times[pid] = sum(int(f) for f in fields[11:15])
    total, todo = 0, [root]
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0)
        todo.extend(children.get(pid, ()))
    return total / _CLK_TCK


@dataclass
class _TreeServer(e2e._Server):
    """A server of several processes: CPU is the whole tree's."""

    def cpu_seconds(self) -> float:
        return _tree_cpu_seconds(self.proc.pid)


_CONFIG = """\
base_dir = {tmp}/run
state_dir = {tmp}/state
log_path = {tmp}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
first_valid_uid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {tmp}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={tmp}/home/%u
}}
mail_location = maildir:~/Maildir
protocol imap {{
  # The default (10) is below the benchmark's sessions of one user.
  mail_max_userip_connections = 1000
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def _start_dovecot() -> _TreeServer | None:
    binary = dovecot_binary()
    if binary is None:
        return None
    tmp = tempfile.TemporaryDirectory(prefix="bench-dovecot-")
    path = pathlib.Path(tmp.name)
    os.chmod(path, 0o755)  # Dovecot's own users reach their sockets and mail
    (path / "run").mkdir()
    (path / "state").mkdir()
    (path / "home").mkdir()
    (path / "passwd").write_text("demo:{PLAIN}demo\n")
    if os.geteuid() == 0:
        # Dovecot runs neither its login processes nor mail access as root.
        mail = pwd.getpwnam("nobody")
        uid, gid = mail.pw_uid, mail.pw_gid
        internal, login = "dovecot", "dovenull"
        os.chown(path / "home", uid, gid)
    else:
        uid, gid = os.getuid(), os.getgid()
        internal = login = pwd.getpwuid(uid).pw_name
    port = e2e._free_port()
    group = internal if os.geteuid() == 0 else str(gid)
    (path / "dovecot.conf").write_text(
        _CONFIG.format(
            tmp=tmp.name,
            internal=internal,
            internal_group=group,
            login=login,
            uid=uid,
            gid=gid,
            port=port,
        )
    )
    proc = subprocess.Popen(
        [binary, "-F", "-c", str(path / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = _TreeServer("Dovecot Maildir", proc, port, b"demo", b"demo", tmp)
    try:
        e2e._wait_listening(proc, port)
    except BaseException:
        server.stop()
        raise
    return server


def _start_memory() -> e2e._Server:
    return e2e.start_cli("imap-sansio memory", "--demo")


def _start_maildir() -> e2e._Server:
    tmp = tempfile.TemporaryDirectory(prefix="bench-maildir-")
    return e2e.start_cli(
        "imap-sansio Maildir", "--maildir", tmp.name, "--user", "demo:demo", tmp=tmp
    )


def _listeners(port: int) -> int:
    """How many sockets listen on ``port`` (IPv4 loopback), from /proc."""
    wanted = f":{port:04X}"
    count = 0
    for line in pathlib.Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(wanted) and fields[3] == "0A":  # 0A: LISTEN
            count += 1
    return count


@dataclass
class _Group(e2e._Server):
    """Several ``serve`` processes sharing a port (``--reuse-port``) and a
    Maildir: CPU and stopping are the whole group's."""

    others: tuple[e2e._Server, ...] = ()

    def cpu_seconds(self) -> float:
        return super().cpu_seconds() + sum(o.cpu_seconds() for o in self.others)

    def stop(self) -> None:
        for other in self.others:
            other.stop()
        super().stop()


def _start_maildir_processes(count: int = 2) -> e2e._Server:
    """``count`` processes on one Maildir and one port, the deployment the
    guide describes for using every core (Dovecot runs a process per
    session): the kernel spreads the connections between them."""
    tmp = tempfile.TemporaryDirectory(prefix="bench-maildir-")
    port = e2e._free_port()
    argv = ("--maildir", tmp.name, "--user", "demo:demo", "--reuse-port")
    servers = [
        e2e.start_cli("imap-sansio Maildir", *argv, port=port, tmp=tmp if i == 0 else None)
        for i in range(count)
    ]
    deadline = time.monotonic() + 20
    while _listeners(port) < count:  # each process bound, so that each gets clients
        if time.monotonic() > deadline:
            for server in servers:
                server.stop()
            raise RuntimeError("the Maildir processes did not all listen")
        time.sleep(0.05)
    first = servers[0]
    return _Group(
        f"imap-sansio Maildir, {count} processes",
        first.proc,
        port,
        first.user,
        first.password,
        first.tmp,
        others=tuple(servers[1:]),
    )


#: label -> how to start it, in the order they run in each round.
_SERVERS: dict[str, Callable[[], e2e._Server | None]] = {
    "imap-sansio memory": _start_memory,
    "imap-sansio Maildir": _start_maildir,
    "Dovecot Maildir": _start_dovecot,
}
DOVECOT = "Dovecot Maildir"
#: The persistent-session rows add Maildir served by one process per core.
_SESSION_SERVERS: dict[str, Callable[[], e2e._Server | None]] = {
    "imap-sansio memory": _start_memory,
    "imap-sansio Maildir": _start_maildir,
    "imap-sansio Maildir, 2 processes": _start_maildir_processes,
    DOVECOT: _start_dovecot,
}


def _sessions(clients: int, quick: bool) -> list[Result]:
    rounds, warmup, duration = (1, 0.5, 2.0) if quick else (5, 1.0, 4.0)
    samples: dict[str, list[e2e._Round]] = {}
    for _ in range(rounds):
        for label, start in _SESSION_SERVERS.items():
            server = start()
            if server is None:
                continue
            try:
                sample = asyncio.run(e2e._throughput(server, clients, warmup, duration))
            finally:
                server.stop()
            samples.setdefault(label, []).append(sample)
            print(
                f"  dovecot sessions {label}: {sample.commands / sample.seconds:,.0f} commands/s,"
                f" server {1000 * sample.server_cpu / max(sample.commands, 1):.2f} ms CPU/command,"
                f" client {sample.client_cpu / sample.seconds:.2f} cores",
                file=sys.stderr,
                flush=True,
            )
    results: list[Result] = []
    theirs = samples.get(DOVECOT, [])
    for label, group in samples.items():
        rates = [r.commands / r.seconds for r in group]
        quartiles = statistics.quantiles(rates, n=4) if len(rates) >= 2 else [rates[0]] * 3
        summary = e2e._summary("", group)  # server CPU per command, errors, by command
        seconds = [1 / rate for rate in rates]
        result = Result(
            name=f"dovecot: {clients} persistent sessions, command mix, {label}",
            median=statistics.median(seconds),
            q1=1 / quartiles[2],
            q3=1 / quartiles[0],
            runs=len(group),
            units=1,
            unit="command",
            extra={**summary.extra, "server_ms_cpu_per_command": summary.median},
        )
        if label != DOVECOT and theirs:
            # Wall-clock rate ratios round by round (the sides ran in the same round).
            ratios = [
                (a.commands / a.seconds) / (b.commands / b.seconds)
                for a, b in zip(group, theirs, strict=False)
            ]
            result.extra.update(
                peer=f"dovecot: {clients} persistent sessions, command mix, {DOVECOT}"
                " (commands/s, same rounds)",
                ratio_vs_peer=statistics.median(ratios),
                wall_ratio_rounds=ratios,
                # Server CPU per command: Dovecot's whole process tree / ours.
                cpu_ratio_vs_dovecot=e2e._summary("", theirs).median / summary.median,
            )
        results.append(result)
    return results


def _big(quick: bool) -> list[Result]:
    """APPEND then FETCH of one big message, the three servers running side
    by side and taking turns round by round (the order rotating), so that a
    machine busy with something else slows all of them alike: the ratio is
    the median of the rounds' ratios.  ``extra`` has the server's CPU per MiB
    (Dovecot's: its whole process tree)."""
    sizes = [10 * MiB] if quick else [10 * MiB, 50 * MiB]
    rounds = 3 if quick else 11
    results: list[Result] = []
    for size in sizes:
        data = _message(size)
        servers: dict[str, e2e._Server] = {}
        clients: dict[str, _Client] = {}
        # label -> command -> [(seconds, server CPU seconds)]
        samples: dict[str, dict[str, list[tuple[float, float]]]] = {}
        exists: dict[str, int] = {}
        try:
            for label, start in _SERVERS.items():
                server = start()
                if server is None:
                    continue
                servers[label] = server
                client = clients[label] = _Client(server.port)
                client.command(b'LOGIN "%s" "%s"' % (server.user, server.password))
                samples[label] = {"APPEND": [], "FETCH": []}
            labels = list(servers)
            for command in ("APPEND", "FETCH"):
                for turn in range(rounds):
                    for label in labels[turn % len(labels) :] + labels[: turn % len(labels)]:
                        server, client = servers[label], clients[label]
                        if command == "APPEND":
                            text, literal = b"APPEND INBOX", data
                        else:
                            if turn == 0:
                                selected = client.command(b"SELECT INBOX")
                                found = re.search(rb"\* (\d+) EXISTS", selected)
                                assert found is not None
                                exists[label] = int(found.group(1))
                            text, literal = b"FETCH %d BODY.PEEK[]" % (exists[label] - turn), None
                        cpu = server.cpu_seconds()
                        began = time.perf_counter()
                        answer = client.command(text, literal)
                        seconds = time.perf_counter() - began
                        samples[label][command].append((seconds, server.cpu_seconds() - cpu))
                        if command == "FETCH" and data not in answer:
                            raise RuntimeError(f"{label}: FETCH did not return the message")
                        del answer
        finally:
            for client in clients.values():
                client.close()
            for server in servers.values():
                server.stop()
        theirs = samples.get(DOVECOT)
        for command in ("APPEND", "FETCH"):
            for label, by_command in samples.items():
                group = by_command[command]
                times = sorted(s for s, _ in group)
                quartiles = statistics.quantiles(times, n=4)
                # Summed over the rounds: /proc counts CPU in clock ticks
                # (10 ms), too coarse for one 10 MiB APPEND.
                cpu = sum(c for _, c in group) / len(group)
                result = Result(
                    name=f"dovecot: {command} {size // MiB} MiB, {label}",
                    median=statistics.median(times),
                    q1=quartiles[0],
                    q3=quartiles[2],
                    runs=len(times),
                    units=size / MiB,
                    unit="MiB",
                    extra={"server_ms_cpu_per_mib": 1000 * cpu / (size / MiB)},
                )
                row = {
                    "command": f"{command} {size // MiB} MiB",
                    "server": label,
                    "MiB/s": f"{result.rate:,.0f}",
                    "server CPU per MiB": f"{result.extra['server_ms_cpu_per_mib']:.2f} ms",
                    "MiB/s vs Dovecot": "",
                    "rounds' ratios (min - max)": "",
                }
                if theirs is not None and label != DOVECOT:
                    peer = theirs[command]
                    # MiB/s ratios round by round (the sides took turns).
                    ratios = [b[0] / a[0] for a, b in zip(group, peer, strict=True)]
                    result.extra.update(
                        peer=f"dovecot: {command} {size // MiB} MiB, {DOVECOT}",
                        ratio_vs_peer=statistics.median(ratios),
                        ratio_rounds=ratios,
                        cpu_ratio_vs_dovecot=sum(c for _, c in peer) / len(peer) / cpu,
                    )
                    row["MiB/s vs Dovecot"] = f"**{statistics.median(ratios):.2f}x**"
                    row["rounds' ratios (min - max)"] = (
                        f"{min(ratios):.2f} - {max(ratios):.2f} ({len(ratios)} rounds)"
                    )
                result.extra["table_row"] = row
                results.append(result)
    return results


def run(quick: bool = False) -> list[Result]:
    if dovecot_binary() is None:
        print(
            "  dovecot: skipped, dovecot is not installed (Debian: apt-get install dovecot-imapd)",
            file=sys.stderr,
        )
        return []
    return _sessions(5 if quick else 20, quick) + _big(quick)
