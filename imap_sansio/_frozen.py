"""Frozen, slotted event classes that cost little to create.

``dataclasses.dataclass(frozen=True, slots=True)`` compiles six methods per
class when the class is created (``__init__``, ``__repr__``, ``__eq__``,
``__hash__``, ``__setattr__``, ``__delattr__``); for the ~190 command,
response and record classes that was most of the cost of
``import imap_sansio``.  The :func:`dataclass` here makes the same classes
(``dataclasses.fields``, ``replace``, ``asdict`` and ``is_dataclass`` work
on them; their instances compare, hash, print, copy and pickle as before,
refuse assignment with ``FrozenInstanceError``, and an extension may
subclass them with ``dataclasses.dataclass``), but shares one ``__repr__``,
``__eq__``, ``__hash__``, and frozen ``__setattr__`` and ``__delattr__``
between all classes and compiles a class's
``__init__`` (the method that is hot) the first time an instance is made:
a class nobody makes costs no compilation for it.

Frozen and slotted classes are made here, keyword-only or not; any other
combination of options goes to ``dataclasses.dataclass`` itself.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from operator import attrgetter
from types import MemberDescriptorType
from typing import Any, TypeVar, dataclass_transform

__all__ = ["dataclass"]

_T = TypeVar("_T")
_MISSING = dataclasses.MISSING
_set = object.__setattr__
_SLOT = MemberDescriptorType


@dataclass_transform(field_specifiers=(dataclasses.field,))
def dataclass(
    *,
    frozen: bool = False,
    slots: bool = False,
    kw_only: bool = False,
    **options: Any,
) -> Callable[[type[_T]], type[_T]]:
    """``dataclasses.dataclass``; cheap to create with ``frozen`` and
    ``slots`` true and no other option but ``kw_only`` (see the module text)."""
    if not (frozen and slots) or options:
        return dataclasses.dataclass(frozen=frozen, slots=slots, kw_only=kw_only, **options)
    return _frozen if kw_only else _frozen_positional


def _frozen_positional(cls: type[_T]) -> type[_T]:
    return _frozen(cls, kw_only=False)


def _frozen(cls: type[_T], kw_only: bool = True) -> type[_T]:
    body = cls.__dict__
    documented = bool(cls.__doc__)
    if not documented:
        # dataclasses would compute the text with inspect.signature (the
        # __init__ is not there yet); _signature_text writes it below.
        cls.__doc__ = "-"
    explicit_hash = "__hash__" in body and not (body["__hash__"] is None and "__eq__" in body)
    # The field bookkeeping and the slots are dataclasses' own; the other
    # methods it would compile (exec) for each class are shared ones here.
    # (Processed as not frozen, which dataclasses refuses under a frozen
    # base: the bases made here say so only meanwhile.)
    bases = [b.__dataclass_params__ for b in cls.__mro__[1:] if b in _FROZEN]  # type: ignore[attr-defined]
    for params in bases:
        params.frozen = False
    try:
        new = dataclasses.dataclass(
            cls, init=False, repr=False, eq=False, frozen=False, slots=True, kw_only=kw_only
        )
    finally:
        for params in bases:
            params.frozen = True
    _FROZEN.add(new)
    own = {
        "__init__": _first_init,
        "__repr__": _repr,
        "__eq__": _eq,
        "__setattr__": _setattr,
        "__delattr__": _delattr,
        # What dataclasses gives a frozen slotted class, so that pickle
        # and copy do not go through __setattr__.
        "__getstate__": _getstate,
        "__setstate__": _setstate,
        "__signature__": _SIGNATURE,
    }
    for name, method in own.items():
        if name not in body:
            setattr(new, name, method)
    if not explicit_hash:
        # dataclass: eq and frozen give a hash of the compared fields.
        new.__hash__ = _hash  # type: ignore[method-assign]
    if not documented:
        new.__doc__ = _signature_text(new)
    # Say what the class has (an __init__, a repr, an eq), as dataclasses would.
    own_params: Any = new.__dataclass_params__  # type: ignore[attr-defined]
    own_params.init = own_params.repr = own_params.eq = own_params.frozen = True
    return new


def _parameters(cls: type) -> tuple[list[dataclasses.Field[Any]], list[dataclasses.Field[Any]]]:
    """The fields ``__init__`` takes: positional ones, then keyword-only ones
    (the order dataclasses gives them)."""
    positional: list[dataclasses.Field[Any]] = []
    keyword: list[dataclasses.Field[Any]] = []
    for field in dataclasses.fields(cls):
        if field.init:
            (keyword if field.kw_only else positional).append(field)
    return positional, keyword


def _signature_text(cls: type) -> str:
    """What dataclasses puts in ``__doc__`` for a class without one:
    ``Name(field: 'annotation', *, field: 'annotation' = default, ...)``."""
    positional, keyword = _parameters(cls)
    params = []
    for field in [*positional, *keyword]:
        text = f"{field.name}: {field.type!r}"
        if field.default is not _MISSING:
            text += f" = {field.default!r}"
        elif field.default_factory is not _MISSING:
            text += " = <factory>"
        if field is (keyword or [None])[0]:
            params.append("*")
        params.append(text)
    return f"{cls.__name__}({', '.join(params)})"


class _Signature:
    """``inspect.signature(cls)`` (and Sphinx's) for a class made here: its
    fields as ``__init__`` takes them, annotated, whether or not that
    ``__init__`` has been compiled yet (the compiled one has no annotations)."""

    def __get__(self, instance: object, cls: type) -> inspect.Signature:
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        positional, keyword = _parameters(cls)
        params = []
        for field in [*positional, *keyword]:
            if field is (keyword or [None])[0]:
                kind = inspect.Parameter.KEYWORD_ONLY
            if field.default is not _MISSING:
                default = field.default
            elif field.default_factory is not _MISSING:
                default = _FACTORY
            else:
                default = inspect.Parameter.empty
            params.append(
                inspect.Parameter(field.name, kind, default=default, annotation=field.type)
            )
        return inspect.Signature(params, return_annotation=None)


class _Factory:
    def __repr__(self) -> str:
        return "<factory>"  # as dataclasses shows a default_factory


_SIGNATURE = _Signature()
_FACTORY = _Factory()


# ---------------------------------------------------------------------------
# What dataclasses would generate per class, shared


def _first_init(self: Any, *args: Any, **values: Any) -> None:
    """Compile this class's ``__init__`` (first instance only), then run it."""
    cls = type(self)
    init = _make_init(cls)
    cls.__init__ = init
    init(self, *args, **values)  # positional arguments: the same TypeError as ever


def _make_init(cls: type) -> Callable[..., None]:
    fields = dataclasses.fields(cls)
    names: dict[str, Any] = {"__missing": _MISSING}
    params: dict[str, str] = {}
    lines: list[str] = []
    for field in fields:
        name = field.name
        # Each field is a slot: its descriptor's own setter skips the
        # lookup object.__setattr__ makes by name (a fifth of the cost of
        # making an event), and the class's frozen __setattr__ as well.
        slot = getattr(cls, name, None)
        if type(slot) is _SLOT:
            names[f"__set_{name}"] = slot.__set__
            setter = f"__set_{name}(self, "
        else:
            names.setdefault("__set", _set)
            setter = f"__set(self, {name!r}, "
        if field.default is not _MISSING:
            names[f"__default_{name}"] = field.default
            default = f"__default_{name}"
        elif field.default_factory is not _MISSING:
            names[f"__factory_{name}"] = field.default_factory
            default = "__missing"
        else:
            default = ""
        if not field.init:
            if field.default is not _MISSING:
                lines.append(f"{setter}__default_{name})")
            elif field.default_factory is not _MISSING:
                lines.append(f"{setter}__factory_{name}())")
            continue
        params[name] = f"{name}={default}" if default else name
        if field.default_factory is not _MISSING:
            value = f"__factory_{name}() if {name} is __missing else {name}"
        else:
            value = name
        lines.append(f"{setter}{value})")
    if hasattr(cls, "__post_init__"):
        lines.append("self.__post_init__()")
    positional, keyword = _parameters(cls)
    signature = ", ".join(
        [
            "self",
            *(params[f.name] for f in positional),
            *(["*"] if keyword else []),
            *(params[f.name] for f in keyword),
        ]
    )
    source = f"def __init__({signature}):\n" + "".join(f" {line}\n" for line in lines or ["pass"])
    namespace: dict[str, Any] = {}
    exec(source, names, namespace)  # the method dataclasses would have made
    init: Callable[..., None] = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def _compared(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    """The values ``__eq__`` and ``__hash__`` use, as one tuple (as dataclasses)."""
    getter = _GETTERS.get(cls)
    if getter is None:
        names = [f.name for f in dataclasses.fields(cls) if f.compare]
        if len(names) >= 2:
            getter = attrgetter(*names)
        elif names:
            one = attrgetter(names[0])
            getter = lambda obj: (one(obj),)  # noqa: E731
        else:
            getter = lambda obj: ()  # noqa: E731
        _GETTERS[cls] = getter
    return getter


_GETTERS: dict[type, Callable[[Any], tuple[Any, ...]]] = {}


def _eq(self: Any, other: object) -> Any:
    if other.__class__ is self.__class__:
        compared = _compared(self.__class__)
        return compared(self) == compared(other)
    return NotImplemented


#: The classes made by :func:`_frozen` (their instances refuse every assignment).
_FROZEN: set[type] = set()


def _setattr(self: Any, name: str, value: Any) -> None:
    # What dataclasses' frozen __setattr__ does, shared: a subclass that is
    # not frozen itself may still set attributes that are not fields.
    cls = self.__class__
    if cls in _FROZEN or name in cls.__dataclass_fields__:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
    object.__setattr__(self, name, value)


def _delattr(self: Any, name: str) -> None:
    cls = self.__class__
    if cls in _FROZEN or name in cls.__dataclass_fields__:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
    object.__delattr__(self, name)


def _getstate(self: Any) -> list[Any]:
    return [getattr(self, f.name) for f in dataclasses.fields(self)]


def _setstate(self: Any, state: list[Any]) -> None:
    for field, value in zip(dataclasses.fields(self), state, strict=False):
        object.__setattr__(self, field.name, value)


def _hash(self: Any) -> int:
    return hash(_compared(self.__class__)(self))


def _repr(self: Any) -> str:
    shown = ", ".join(
        f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self) if f.repr
    )
    return f"{self.__class__.__qualname__}({shown})"
