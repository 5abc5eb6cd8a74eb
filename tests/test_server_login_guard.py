"""LoginGuard: the accounting behind the login limits, with the clock passed in.

The numbers come from the documented schedule (``LoginLimits``): the n-th
failure of an address waits ``failure_delay * growth ** (n - 1)`` (at most
``max_failure_delay``) after the previous failed answer to that address, n
decays with ``failure_half_life``; connections not logged in are counted
per address, sessions per user and address.
"""

from __future__ import annotations

import threading

import pytest

from imap_sansio.server import LoginGuard, LoginLimits

A = "192.0.2.1"
B = "198.51.100.7"


def guard(**changes: object) -> LoginGuard:
    """A guard over ``LoginLimits(**changes)`` with loopback not exempt."""
    changes.setdefault("trusted_networks", ())
    return LoginGuard(LoginLimits(**changes))  # type: ignore[arg-type]


def test_failed_answers_to_one_address_are_spaced_by_growing_delays() -> None:
    g = guard(failure_delay=0.5, failure_delay_growth=2.0, max_failure_delay=15.0)
    # All at t=100: each answer waits for the previous one, then its own delay.
    releases = [g.login_failed(A, 100.0) for _ in range(7)]
    gaps = [b - a for a, b in zip([100.0, *releases], releases, strict=False)]
    assert gaps == pytest.approx([0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 15.0], abs=0.01)


def test_one_failure_at_a_time_waits_the_delay_of_its_rank() -> None:
    g = guard(failure_delay=1.0, failure_delay_growth=2.0, failure_half_life=0.0)
    # No memory per address: only the connection's own count makes it grow.
    assert g.login_failed(A, 10.0, connection_failures=1) == 11.0
    assert g.login_failed(A, 20.0, connection_failures=2) == 22.0
    assert g.login_failed(A, 30.0, connection_failures=3) == 34.0


def test_the_failure_count_of_an_address_decays_with_its_half_life() -> None:
    g = guard(failure_delay=1.0, failure_delay_growth=4.0, failure_half_life=10.0)
    assert g.login_failed(A, 0.0) == 1.0
    assert g.failure_score(A, 10.0) == pytest.approx(0.5)
    # Score 0.5 + 1 = 1.5: delay 1 * 4 ** 0.5 = 2.
    assert g.login_failed(A, 10.0) == pytest.approx(12.0)
    assert g.failure_score(A, 10.0 + 10 * 20) < 1e-5


def test_another_address_is_not_slowed() -> None:
    g = guard(failure_delay=0.2)
    for _ in range(20):
        g.login_failed(A, 0.0)
    assert g.login_failed(B, 0.0) == pytest.approx(0.2)
    assert g.failure_score(B, 0.0) == pytest.approx(1.0)


def test_trusted_networks_are_not_limited() -> None:
    default = LoginGuard()
    assert LoginLimits().trusted_networks == ("127.0.0.0/8", "::1/128")
    assert default.login_failed("127.0.0.1", 5.0) == 5.0
    assert default.login_failed("::1", 5.0) == 5.0
    assert default.login_failed("::ffff:127.0.0.2", 5.0) == 5.0
    assert default.login_failed(A, 5.0) == 5.5
    counted = guard()
    assert counted.login_failed("127.0.0.1", 5.0) == 5.5


def test_addresses_are_counted_as_ipv4_or_ipv6_slash_64() -> None:
    g = guard()
    assert g.address_key("2001:db8::1") == g.address_key("2001:db8::ffff:2") == "2001:db8::/64"
    assert g.address_key("2001:db8:0:1::1") == "2001:db8:0:1::/64"
    assert g.address_key("::ffff:192.0.2.1") == g.address_key(A) == A
    assert g.address_key("fe80::1%eth0") == "fe80::/64"
    assert g.address_key("/run/imap.sock") == "/run/imap.sock"
    assert guard(ipv6_prefix=128).address_key("2001:db8::1") == "2001:db8::1/128"


def test_the_queue_of_failed_answers_is_bounded() -> None:
    # Two connections may wait per address, each at most 1 s: nothing waits
    # longer than 2 s, however many connections came and went.
    g = guard(
        failure_delay=1.0,
        failure_delay_growth=1.0,
        max_failure_delay=1.0,
        max_unauthenticated_per_address=2,
    )
    assert [g.login_failed(A, 0.0) for _ in range(5)] == [1.0, 2.0, 2.0, 2.0, 2.0]
    assert g.login_failed(A, 10.0) == 11.0


def test_no_delay_when_failure_delay_is_zero() -> None:
    g = guard(failure_delay=0.0)
    assert [g.login_failed(A, 3.0) for _ in range(3)] == [3.0, 3.0, 3.0]


def test_connections_not_logged_in_are_limited_per_address() -> None:
    g = guard(max_unauthenticated_per_address=2)
    assert g.connect(A) and g.connect(A)
    assert not g.connect(A)
    assert g.connect(B)
    g.disconnect(A)
    assert g.connect(A)
    # A login moves the connection out of the count.
    assert g.login(A, "alice")
    assert g.connect(A)
    assert not g.connect(A)
    assert guard(max_unauthenticated_per_address=0).connect(A)  # 0: no limit


def test_sessions_are_limited_per_user_and_address() -> None:
    g = guard(max_sessions_per_user=2, max_unauthenticated_per_address=0)
    assert g.login(A, "alice") and g.login(A, "alice")
    assert not g.login(A, "alice")
    assert g.login(B, "alice")
    assert g.login(A, "bob")
    g.logout(A, "alice")
    assert g.login(A, "alice")
    assert not g.login(A, "alice")


def test_scores_are_forgotten_when_decayed_or_beyond_the_cap() -> None:
    g = guard(failure_half_life=1.0, max_tracked_addresses=2)
    for index in range(4):
        g.login_failed(f"192.0.2.{index}", 0.0)
    assert [g.failure_score(f"192.0.2.{i}", 0.0) for i in range(4)] == [0.0, 0.0, 1.0, 1.0]
    g.login_failed(B, 100.0)  # the others decayed to nothing meanwhile
    assert len(g._failures) == 1


def test_many_threads_keep_the_counts_exact() -> None:
    g = LoginGuard(
        LoginLimits(trusted_networks=(), max_unauthenticated_per_address=5),
        lock=threading.Lock(),
    )

    def churn() -> None:
        for _ in range(2000):
            if g.connect(A):
                g.disconnect(A)
            g.login_failed(A, 0.0)

    threads = [threading.Thread(target=churn) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [g.connect(A) for _ in range(6)] == [True] * 5 + [False]
    assert g.failure_score(A, 0.0) == pytest.approx(8 * 2000)


@pytest.mark.parametrize(
    "changes",
    [
        {"failure_delay": -1.0},
        {"failure_delay_growth": 0.5},
        {"max_sessions_per_user": -1},
        {"ipv6_prefix": 129},
        {"trusted_networks": ("not a network",)},
    ],
)
def test_invalid_limits_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        LoginLimits(**changes)  # type: ignore[arg-type]
