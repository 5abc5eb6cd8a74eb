"""Sequence sets and UID sets (RFC 3501 9, RFC 5182)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imap_sansio._sequence import STAR, SequenceSet, UidSet


def test_sequence_and_uid_sets_are_distinct_types() -> None:
    assert SequenceSet.from_ranges(1) != UidSet.from_ranges(1)
    assert SequenceSet.from_ranges((4, 2)) == SequenceSet.from_ranges((2, 4))


def test_str_writes_the_imap_form() -> None:
    assert str(SequenceSet.from_ranges((2, 4), 7, (9, STAR), STAR)) == "2:4,7,9:*,*"
    assert str(SequenceSet.from_ranges((STAR, 9))) == "9:*"
    assert str(UidSet(saved=True)) == "$"


def test_resolve_replaces_star_with_the_largest_number() -> None:
    s = SequenceSet.from_ranges((2, 4), (9, STAR))
    assert s.resolve(10) == [2, 3, 4, 9, 10]
    assert s.iter_ranges(10) == [(2, 4), (9, 10)]
    # RFC 3501 9: n:* with n beyond the last message still includes the last.
    assert UidSet.from_ranges((1000, STAR)).resolve(500) == [500]
    assert UidSet.from_ranges((1000, STAR)).iter_ranges(500) == [(500, 1000)]
    assert SequenceSet.from_ranges(STAR).resolve(0) == []
    assert SequenceSet.from_ranges(5, 3).max_number(2) == 5


def test_contains_and_merging() -> None:
    s = UidSet.from_ranges((1, 3), (2, 6), 8)
    assert s.iter_ranges(100) == [(1, 6), (8, 8)]
    assert s.contains(5, 100)
    assert not s.contains(7, 100)
    assert UidSet.from_ranges(STAR).contains(100, 100)


def test_a_saved_set_must_be_resolved_first() -> None:
    with pytest.raises(ValueError, match="saved"):
        SequenceSet(saved=True).resolve(5)


@pytest.mark.parametrize(
    "ranges",
    [(), ((0, 1),), ((5, 2),), ((STAR, 4),), ((1, 2**32),)],
)
def test_invalid_values_are_refused(ranges: tuple[tuple[int, int], ...]) -> None:
    with pytest.raises(ValueError):
        SequenceSet(ranges=ranges)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 60), st.integers(1, 60)), min_size=1, max_size=6),
    st.integers(0, 80),
)
def test_resolve_matches_a_naive_model(pairs: list[tuple[int, int]], largest: int) -> None:
    s = SequenceSet.from_ranges(*pairs)
    expected = sorted(
        {n for a, b in pairs for n in range(min(a, b), max(a, b) + 1) if n <= largest}
    )
    assert s.resolve(largest) == expected
    assert all(s.contains(n, largest) for n in expected)
