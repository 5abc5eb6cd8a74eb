"""What logins cost a client: the accounting behind the adapters' limits.

A :class:`LoginGuard` is shared by every connection of a server.  It keeps,
per source address, a score of failed logins that decays over time (as
fail2ban counts failures in a window) and the time before which the next
failed answer may not go out, plus how many connections of each address
are not logged in yet and how many sessions each user has from each
address.  It never sleeps and never reads a clock: every call that needs the
time is given ``now`` (seconds on the caller's monotonic clock), and the
caller enforces the answer (the adapters hold a failed login's answer back
until the returned time, reading nothing from that connection meanwhile).

Addresses are counted as the client's IPv4 address or its IPv6 /64 (one
subscriber usually holds a whole /64); an IPv4-mapped IPv6 address counts as
its IPv4 address.  Addresses in ``trusted_networks`` (by default loopback: a
local proxy or webmail speaks for many users) are not limited at all.
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections import OrderedDict
from contextlib import AbstractContextManager

from .._frozen import dataclass

__all__ = ["LoginGuard", "LoginLimits"]

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginLimits:
    """How much failed and concurrent logins cost; defaults for a public server.

    The n-th failed login answer from an address (n counted with decay, and
    at least the number of failures on the same connection) goes out
    ``failure_delay * failure_delay_growth ** (n - 1)`` seconds after the
    previous failed answer to that address, at most ``max_failure_delay``:
    0.5, 1, 2, 4, 8, 15, 15 ... seconds, so one address is answered at most
    twice a second whatever number of connections it uses.  A login that
    succeeds is never delayed, so a user is slowed only by their own typos.
    """

    #: Delay of the first failed answer (seconds); 0 turns delays off.
    failure_delay: float = 0.5
    #: Each further failure multiplies the delay by this.
    failure_delay_growth: float = 2.0
    #: The longest delay of one failed answer.
    max_failure_delay: float = 15.0
    #: An address's failure count halves every this many seconds (0: an
    #: address remembers nothing, only the connection's own failures count).
    failure_half_life: float = 600.0
    #: Connections from one address that have not logged in yet; more are
    #: answered ``* BYE [UNAVAILABLE]`` (0: no limit).
    max_unauthenticated_per_address: int = 20
    #: Sessions of one user from one address (as Dovecot's
    #: ``mail_max_userip_connections``); one more LOGIN gets ``NO [LIMIT]``
    #: (0: no limit).  Per user and address, so a runaway client at one
    #: place cannot lock the user out from everywhere else.
    max_sessions_per_user: int = 20
    #: Networks exempt from every limit here (CIDR strings).
    trusted_networks: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
    #: IPv6 addresses are counted by this prefix.
    ipv6_prefix: int = 64
    #: At most this many addresses' failure scores are kept (the oldest go).
    max_tracked_addresses: int = 100_000

    def __post_init__(self) -> None:
        for name in ("failure_delay", "max_failure_delay", "failure_half_life"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.failure_delay_growth < 1:
            raise ValueError("failure_delay_growth must be at least 1")
        for name in (
            "max_unauthenticated_per_address",
            "max_sessions_per_user",
            "max_tracked_addresses",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if not 0 <= self.ipv6_prefix <= 128:
            raise ValueError("ipv6_prefix must be 0..128")
        for network in self.trusted_networks:
            ipaddress.ip_network(network, strict=False)  # raises ValueError if invalid


class _Failures:
    """The failed logins of one address."""

    __slots__ = ("release", "score", "stamp")

    def __init__(self, now: float) -> None:
        #: Failures, decayed to ``stamp``.
        self.score = 0.0
        self.stamp = now
        #: No failed answer to this address goes out before this time.
        self.release = now


#: A score this small counts for nothing any more: the entry can go.
_FORGOTTEN = 0.05
#: Growth stops here (a float power would overflow long before it matters).
_MAX_EXPONENT = 64


class LoginGuard:
    """The shared accounting of one server's logins (see the module docstring).

    Every method is safe to call from many threads when a ``lock`` (any
    context manager, such as ``threading.Lock()``) is given; without one,
    calls must not overlap.
    """

    def __init__(
        self,
        limits: LoginLimits | None = None,
        *,
        lock: AbstractContextManager[object] | None = None,
    ) -> None:
        self.limits = limits = limits or LoginLimits()
        self._lock: AbstractContextManager[object] = lock or contextlib.nullcontext()
        self._trusted: tuple[_Network, ...] = tuple(
            ipaddress.ip_network(n, strict=False) for n in limits.trusted_networks
        )
        self._failures: OrderedDict[str, _Failures] = OrderedDict()
        self._unauthenticated: dict[str, int] = {}
        self._sessions: dict[tuple[str, str], int] = {}

    # ------------------------------------------------------------ addresses

    def address_key(self, host: str) -> str | None:
        """What ``host`` is counted as; None if it is trusted (not counted).

        A host that is not an IP address (a Unix socket's name) counts as
        itself.
        """
        try:
            address = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return host
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in network for network in self._trusted):
            return None
        if isinstance(address, ipaddress.IPv6Address):
            prefix = self.limits.ipv6_prefix
            return str(ipaddress.IPv6Network((address, prefix), strict=False))
        return str(address)

    # ---------------------------------------------------------- connections

    def connect(self, host: str) -> bool:
        """A connection from ``host`` arrived: False if its address already
        has ``max_unauthenticated_per_address`` connections not logged in
        (refuse it); True counts it until :meth:`login` or :meth:`disconnect`."""
        key = self.address_key(host)
        if key is None:
            return True
        limit = self.limits.max_unauthenticated_per_address
        with self._lock:
            count = self._unauthenticated.get(key, 0)
            if limit and count >= limit:
                return False
            self._unauthenticated[key] = count + 1
            return True

    def disconnect(self, host: str) -> None:
        """A connection admitted by :meth:`connect` ended without logging in."""
        key = self.address_key(host)
        if key is not None:
            with self._lock:
                self._release_unauthenticated(key)

    # ------------------------------------------------------------- sessions

    def login(self, host: str, username: str) -> bool:
        """Credentials of ``username`` were accepted on a connection from
        ``host``: False if the user already has ``max_sessions_per_user``
        sessions from that address (refuse the login, ``NO [LIMIT]``); True
        counts the session until :meth:`logout`, and the connection no
        longer counts as unauthenticated."""
        key = self.address_key(host)
        if key is None:
            return True
        limit = self.limits.max_sessions_per_user
        with self._lock:
            count = self._sessions.get((username, key), 0)
            if limit and count >= limit:
                return False
            self._sessions[username, key] = count + 1
            self._release_unauthenticated(key)
            return True

    def logout(self, host: str, username: str) -> None:
        """A session counted by :meth:`login` ended."""
        key = self.address_key(host)
        if key is None:
            return
        with self._lock:
            count = self._sessions.get((username, key), 0) - 1
            if count > 0:
                self._sessions[username, key] = count
            else:
                self._sessions.pop((username, key), None)

    # ------------------------------------------------------------- failures

    def login_failed(self, host: str, now: float, *, connection_failures: int = 1) -> float:
        """A login from ``host`` failed at ``now`` (the connection's
        ``connection_failures``-th failure): the time at which its answer
        may go out (``now`` when there is no delay).

        Failed answers to one address are spaced out one after the other, so
        parallel connections gain an attacker nothing; the queue is never
        longer than ``max_failure_delay`` times the connections that may
        wait in it, so connections that gave up do not hold it forever.
        """
        key = self.address_key(host)
        limits = self.limits
        if key is None or limits.failure_delay <= 0:
            return now
        with self._lock:
            entry = self._failures.get(key)
            if entry is None:
                entry = self._failures[key] = _Failures(now)
            else:
                self._failures.move_to_end(key)
            entry.score = self._decayed(entry, now) + 1
            entry.stamp = now
            count = max(entry.score, float(connection_failures))
            exponent = min(count - 1, _MAX_EXPONENT)
            delay = min(
                limits.max_failure_delay,
                limits.failure_delay * float(limits.failure_delay_growth**exponent),
            )
            waiting = max(1, limits.max_unauthenticated_per_address)
            release = min(max(now, entry.release) + delay, now + limits.max_failure_delay * waiting)
            entry.release = max(entry.release, release)
            self._forget(now)
            return release

    def failure_score(self, host: str, now: float) -> float:
        """The decayed number of recent failures of ``host``'s address."""
        key = self.address_key(host)
        with self._lock:
            entry = self._failures.get(key) if key is not None else None
            return 0.0 if entry is None else self._decayed(entry, now)

    # ------------------------------------------------------------ internals

    def _decayed(self, entry: _Failures, now: float) -> float:
        half_life = self.limits.failure_half_life
        if half_life <= 0:
            return 0.0
        elapsed = max(0.0, now - entry.stamp)
        return float(entry.score * 0.5 ** (elapsed / half_life))

    def _forget(self, now: float) -> None:
        """Drop the scores that decayed to nothing, oldest first, and the
        oldest beyond ``max_tracked_addresses`` (bounded memory whatever
        number of addresses an attacker uses)."""
        failures = self._failures
        cap = self.limits.max_tracked_addresses
        while failures:
            key, oldest = next(iter(failures.items()))
            if len(failures) > cap or (
                self._decayed(oldest, now) < _FORGOTTEN and oldest.release <= now
            ):
                del failures[key]
            else:
                break

    def _release_unauthenticated(self, key: str) -> None:
        count = self._unauthenticated.get(key, 0) - 1
        if count > 0:
            self._unauthenticated[key] = count
        else:
            self._unauthenticated.pop(key, None)
