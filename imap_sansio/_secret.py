"""A wrapper that keeps passwords and SASL data out of reprs and logs."""

from __future__ import annotations

from typing import Generic, TypeVar

__all__ = ["Secret"]

T = TypeVar("T", str, bytes)


class Secret(Generic[T]):
    """Holds a secret value (a password, a SASL response).

    ``repr()`` and ``str()`` never show the value; call :meth:`reveal` where
    the value is really needed (checking a password).  Two secrets compare
    equal when their values do, so typed commands holding secrets still
    compare by value in tests.
    """

    __slots__ = ("_value",)

    _value: T

    def __init__(self, value: T) -> None:
        self._value = value

    def reveal(self) -> T:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and bool(self._value == other._value)

    def __hash__(self) -> int:
        return hash(self._value)
