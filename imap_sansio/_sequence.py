"""Sequence sets and UID sets (RFC 3501 section 9 ``sequence-set``, RFC 5182 ``$``).

Two distinct types with the same shape: :class:`SequenceSet` holds message
sequence numbers, :class:`UidSet` holds UIDs.  They never compare equal to
each other.  A set is a tuple of ``(low, high)`` ranges as the client sent
them, where :data:`STAR` (0) stands for ``*``; number ranges are normalised so
that ``low <= high`` (``4:2`` is ``2:4``, RFC 3501 9: "the range is from 2 to
4 regardless of order") and a range with ``*`` keeps ``*`` as ``high``.

``$`` (SEARCHRES, RFC 5182) is a set with ``saved=True`` and no ranges; the
selected-mailbox view substitutes the saved result before resolving.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Self, TypeVar

from ._frozen import dataclass

__all__ = ["MAX_NUMBER", "STAR", "SequenceSet", "UidSet"]

_S = TypeVar("_S", bound="_NumberSet")

#: ``*`` in a range: the largest number in use (the sequence number of the
#: last message, or the largest UID).  0 is never a valid member.
STAR = 0
#: The largest sequence number or UID (nz-number, RFC 3501 9).
MAX_NUMBER = 2**32 - 1


@dataclass(frozen=True, slots=True, kw_only=True)
class _NumberSet:
    ranges: tuple[tuple[int, int], ...] = ()
    saved: bool = False

    kind: ClassVar[str] = "number"
    #: An empty set never comes from the grammar, but a UID set resolved
    #: against a mailbox can name nothing (``UID FETCH 1:*`` on an empty one).
    may_be_empty: ClassVar[bool] = False

    def __post_init__(self) -> None:
        if self.saved:
            if self.ranges:
                raise ValueError("a saved ($) set has no ranges")
            return
        if not self.ranges and not self.may_be_empty:
            raise ValueError(f"a {self.kind} set needs at least one range")
        for low, high in self.ranges:
            if not (0 <= low <= MAX_NUMBER and 0 <= high <= MAX_NUMBER):
                raise ValueError(f"{self.kind} out of range in {low}:{high}")
            if (low == STAR and high != STAR) or (high != STAR and low > high):
                raise ValueError(f"range {low}:{high} is not normalised")

    @classmethod
    def from_ranges(cls, *ranges: tuple[int, int] | int) -> Self:
        """Build a set from ints and ``(a, b)`` pairs in any order (``STAR`` for ``*``)."""
        out: list[tuple[int, int]] = []
        for item in ranges:
            low, high = (item, item) if isinstance(item, int) else item
            out.append(_normalise(low, high))
        return cls(ranges=tuple(out))

    @property
    def uses_star(self) -> bool:
        """True if any range refers to ``*`` (the answer depends on the mailbox)."""
        return any(high == STAR for _, high in self.ranges)

    def iter_ranges(self, largest: int) -> list[tuple[int, int]]:
        """The ranges with ``*`` replaced by ``largest``, sorted and merged.

        Numbers above ``largest`` are kept (a sequence number beyond the last
        message is a client error the caller reports; a UID beyond the largest
        simply matches nothing).  ``n:*`` with ``n > largest`` becomes
        ``largest:n`` (RFC 3501 9: ``*`` is the largest number in use, and the
        range is unordered).  With an empty mailbox (``largest == 0``) a range
        that needs ``*`` keeps only its numbers.
        """
        if self.saved:
            raise ValueError("resolve the saved ($) set before using it")
        ranges = self.ranges
        if len(ranges) == 1 and largest:
            # One range (1:*, 1:20, 5): nothing to sort or merge.
            low, high = ranges[0]
            if high == STAR:
                high = largest
                if low == STAR:
                    low = largest
                elif low > high:
                    low, high = high, low
            return [(low, high)]
        spans: list[tuple[int, int]] = []
        for first, last in ranges:
            low, high = first, last
            if high == STAR:
                if largest == 0:
                    if low == STAR:
                        continue
                    spans.append((low, low))
                    continue
                high = largest
                if low == STAR:
                    low = largest
                elif low > high:
                    low, high = high, low
            spans.append((low, high))
        spans.sort()
        merged: list[tuple[int, int]] = []
        for low, high in spans:
            if merged and low <= merged[-1][1] + 1:
                if high > merged[-1][1]:
                    merged[-1] = (merged[-1][0], high)
            else:
                merged.append((low, high))
        return merged

    def resolve(self, largest: int) -> list[int]:
        """Sorted distinct members in ``1..largest`` (``*`` = ``largest``)."""
        out: list[int] = []
        for low, high in self.iter_ranges(largest):
            if low > largest:
                break
            out.extend(range(low, min(high, largest) + 1))
        return out

    def max_number(self, largest: int) -> int:
        """The largest member once ``*`` is ``largest`` (to check sequence numbers)."""
        spans = self.iter_ranges(largest)
        return spans[-1][1] if spans else 0

    def contains(self, number: int, largest: int) -> bool:
        """True if ``number`` is in the set once ``*`` means ``largest``."""
        return any(low <= number <= high for low, high in self.iter_ranges(largest))

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return iter(self.ranges)

    def __str__(self) -> str:
        if self.saved:
            return "$"
        return ",".join(_format(low, high) for low, high in self.ranges)


def _normalise(low: int, high: int) -> tuple[int, int]:
    if low == STAR:
        return (high, STAR) if high != STAR else (STAR, STAR)
    if high != STAR and low > high:
        return (high, low)
    return (low, high)


def _format(low: int, high: int) -> str:
    if low == high:
        return "*" if low == STAR else str(low)
    return f"{'*' if low == STAR else low}:{'*' if high == STAR else high}"


# The slots' setters (a frozen class refuses setattr).
_set_ranges = _NumberSet.__dict__["ranges"].__set__
_set_saved = _NumberSet.__dict__["saved"].__set__


def _checked(cls: type[_S], ranges: tuple[tuple[int, int], ...], saved: bool) -> _S:
    """A set whose ranges are known to be valid and normalised (the parser
    has checked them): made without the checks of ``__post_init__``."""
    new = object.__new__(cls)
    _set_ranges(new, ranges)
    _set_saved(new, saved)
    return new


@dataclass(frozen=True, slots=True, kw_only=True)
class SequenceSet(_NumberSet):
    """A set of message sequence numbers (``1:4,7,9:*``)."""

    kind: ClassVar[str] = "sequence number"


@dataclass(frozen=True, slots=True, kw_only=True)
class UidSet(_NumberSet):
    """A set of UIDs (the argument of UID commands and of the ``UID`` search key)."""

    kind: ClassVar[str] = "UID"
    may_be_empty: ClassVar[bool] = True
