"""Slotted (mostly frozen) record classes that cost little to create.

``dataclasses.dataclass(frozen=True, slots=True)`` compiles six methods per
class when the class is created (``__init__``, ``__repr__``, ``__eq__``,
``__hash__``, ``__setattr__``, ``__delattr__``), checks every annotation
and builds the class twice; for the ~190 command, response and record
classes that was most of the cost of ``import imap_sansio``, and importing
:mod:`dataclasses` (which imports :mod:`inspect`) a quarter of the rest.

The :func:`dataclass` here makes the same classes without importing
either: the field records are its own, and it shares one ``__repr__``,
``__eq__``, ``__hash__``, frozen ``__setattr__`` and ``__delattr__`` (and
the pickle state methods dataclasses adds) between all classes; a class's
``__init__`` (the method that is hot) is compiled the first time an
instance is made, so a class nobody makes costs no compilation.  What
:mod:`dataclasses` reads is made when it first asks: ``dataclasses.fields``,
``replace``, ``asdict`` and ``is_dataclass`` work on these classes, an
extension may subclass them with ``dataclasses.dataclass``, and
``inspect.signature`` gives their annotated fields.  Instances compare,
hash, print, copy and pickle as dataclasses' do and refuse assignment with
``dataclasses.FrozenInstanceError``.

Slotted classes are made here, frozen or not, keyword-only or not, with
fields declared by :func:`field` (``dataclasses.field``'s arguments); any
other option, and any class using what is not needed here (``InitVar``,
``KW_ONLY``, a base made by dataclasses), goes to ``dataclasses.dataclass``
itself.  :func:`replace` and :func:`fields` are dataclasses' for these
classes, without importing it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from operator import attrgetter
from types import MappingProxyType, MemberDescriptorType
from typing import TYPE_CHECKING, Any, TypeVar, dataclass_transform, overload

if TYPE_CHECKING:
    import dataclasses
    import inspect

__all__ = ["Field", "dataclass", "field", "fields", "replace"]

_T = TypeVar("_T")
_set = object.__setattr__
_SLOT = MemberDescriptorType


class _Missing:
    """No default (dataclasses' ``MISSING``, which stands for it once
    dataclasses is imported)."""

    def __repr__(self) -> str:
        return "MISSING"


_MISSING: Any = _Missing()
_NO_METADATA: Mapping[Any, Any] = MappingProxyType({})


class Field:
    """One field of a class made here: :func:`field`'s arguments, and the
    name and annotation once the class is made."""

    __slots__ = (
        "classvar",
        "compare",
        "default",
        "default_factory",
        "hash",
        "init",
        "kw_only",
        "metadata",
        "name",
        "repr",
        "type",
    )

    def __init__(
        self,
        *,
        default: Any,
        default_factory: Any,
        init: bool,
        repr: bool,
        hash: bool | None,
        compare: bool,
        metadata: Mapping[Any, Any] | None,
        kw_only: Any,
    ) -> None:
        if default is not _MISSING and default_factory is not _MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name = ""
        self.type: Any = None
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.hash = hash
        self.compare = compare
        self.metadata = _NO_METADATA if metadata is None else MappingProxyType(metadata)
        self.kw_only = kw_only
        self.classvar = False

    def __repr__(self) -> str:
        return f"Field(name={self.name!r}, type={self.type!r}, default={self.default!r})"


def _plain_field(default: Any) -> Field:
    """``field(default=default)``, made the quick way (most fields are
    declared with a plain default or none)."""
    spec = object.__new__(Field)
    spec.default = default
    spec.default_factory = _MISSING
    spec.init = spec.repr = spec.compare = True
    spec.hash = None
    spec.metadata = _NO_METADATA
    spec.kw_only = _MISSING
    spec.classvar = False
    return spec


@overload
def field(
    *,
    default: _T,
    init: bool = True,
    repr: bool = True,
    hash: bool | None = None,
    compare: bool = True,
    metadata: Mapping[Any, Any] | None = None,
    kw_only: bool = ...,
) -> _T: ...
@overload
def field(
    *,
    default_factory: Callable[[], _T],
    init: bool = True,
    repr: bool = True,
    hash: bool | None = None,
    compare: bool = True,
    metadata: Mapping[Any, Any] | None = None,
    kw_only: bool = ...,
) -> _T: ...
@overload
def field(
    *,
    init: bool = True,
    repr: bool = True,
    hash: bool | None = None,
    compare: bool = True,
    metadata: Mapping[Any, Any] | None = None,
    kw_only: bool = ...,
) -> Any: ...
def field(
    *,
    default: Any = _MISSING,
    default_factory: Any = _MISSING,
    init: bool = True,
    repr: bool = True,
    hash: bool | None = None,
    compare: bool = True,
    metadata: Mapping[Any, Any] | None = None,
    kw_only: Any = _MISSING,
) -> Any:
    """``dataclasses.field`` for the classes made by :func:`dataclass`."""
    return Field(
        default=default,
        default_factory=default_factory,
        init=init,
        repr=repr,
        hash=hash,
        compare=compare,
        metadata=metadata,
        kw_only=kw_only,
    )


@dataclass_transform(field_specifiers=(field,))
def dataclass(
    *,
    frozen: bool = False,
    slots: bool = False,
    kw_only: bool = False,
    **options: Any,
) -> Callable[[type[_T]], type[_T]]:
    """``dataclasses.dataclass``; cheap to create with ``slots`` true and no
    other option but ``frozen`` and ``kw_only`` (see the module text)."""
    if not slots or options:
        import dataclasses  # noqa: PLC0415 - only for what is not made here

        return dataclasses.dataclass(frozen=frozen, slots=slots, kw_only=kw_only, **options)

    def make(cls: type[_T]) -> type[_T]:
        return _make(cls, frozen=frozen, kw_only=kw_only)

    return make


def _make(cls: type[_T], *, frozen: bool, kw_only: bool) -> type[_T]:
    fields = _fields(cls, frozen, kw_only)
    if fields is None:
        import dataclasses  # noqa: PLC0415 - only for what is not made here

        made: type[_T] = dataclasses.dataclass(cls, frozen=frozen, slots=True, kw_only=kw_only)
        return made
    own = [f for f in fields.values() if not f.classvar]
    body = cls.__dict__
    methods: dict[str, Any] = {
        "__init__": _first_init,
        "__repr__": _repr,
        "__eq__": _eq,
        "__signature__": _SIGNATURE,
        "__dataclass_fields__": _DATACLASS_FIELDS,
        "__dataclass_params__": _FROZEN_PARAMS if frozen else _PARAMS,
    }
    if frozen:
        methods["__setattr__"] = _setattr
        methods["__delattr__"] = _delattr
        # What dataclasses gives a frozen slotted class, so that pickle
        # and copy do not go through __setattr__.
        methods["__getstate__"] = _getstate
        methods["__setstate__"] = _setstate
    if not ("__hash__" in body and not (body["__hash__"] is None and "__eq__" in body)):
        # dataclasses: eq and frozen give a hash of the compared fields;
        # eq without frozen makes instances unhashable.
        methods["__hash__"] = _hash if frozen else None
    if not cls.__doc__:
        methods["__doc__"] = _signature_text(cls.__name__, own)
    new = _slotted(cls, own, methods)
    _FIELDS[new] = fields
    _OWN[new] = own
    if frozen:
        _FROZEN.add(new)
    return new


def _fields(cls: type, frozen: bool, kw_only: bool) -> dict[str, Field] | None:
    """What dataclasses would put in ``__dataclass_fields__`` (in this
    module's own records); None for a class using what is not needed here,
    which dataclasses then makes (or refuses) itself."""
    body = cls.__dict__
    annotations = body.get("__annotations__")
    if annotations is None:
        if "__annotate__" in body:  # Python 3.14's lazily evaluated annotations
            return None
        annotations = {}
    if "__slots__" in body or type(cls) is not type:
        return None
    fields: dict[str, Field] = {}
    plain_bases = []  # classes a default could be inherited from
    for base in cls.__mro__[-2:0:-1]:
        if "__dataclass_fields__" not in base.__dict__:
            plain_bases.append(base)
            continue
        if base not in _FIELDS:
            return None  # a base made by dataclasses
        if (base in _FROZEN) != frozen:
            raise TypeError(
                "cannot inherit frozen dataclass from a non-frozen one"
                if frozen
                else "cannot inherit non-frozen dataclass from a frozen one"
            )
        fields.update(_FIELDS[base])
    for name, annotation in annotations.items():
        # Every module here has ``from __future__ import annotations``.
        if type(annotation) is not str:
            return None
        classvar = annotation.startswith("ClassVar") and (
            annotation == "ClassVar" or annotation.startswith("ClassVar[")
        )
        if not classvar and ("Var" in annotation or "KW_ONLY" in annotation):
            return None  # ClassVar spelled otherwise, InitVar, KW_ONLY
        default = body.get(name, _MISSING)
        if default is _MISSING:
            if plain_bases and any(name in base.__dict__ for base in plain_bases):
                return None  # a default inherited from a class that is not a dataclass
            spec = _plain_field(_MISSING)
        elif type(default) is Field:
            spec = default
        elif type(default).__name__ == "Field" and type(default).__module__ == "dataclasses":
            return None  # declared with dataclasses.field
        else:
            spec = _plain_field(default)
        spec.name = name
        spec.type = annotation
        if classvar:
            if spec.default_factory is not _MISSING or spec.kw_only is not _MISSING:
                return None
            spec.classvar = True
        else:
            if spec.default.__class__.__hash__ is None:
                raise ValueError(
                    f"mutable default {type(spec.default)} for field {name} is not allowed:"
                    " use default_factory"
                )
            if spec.kw_only is _MISSING:
                spec.kw_only = kw_only
        fields[name] = spec
    return fields


def _slotted(cls: type[_T], own: list[Field], methods: dict[str, Any]) -> type[_T]:
    """The slotted class dataclasses would make of ``cls``, with ``methods``
    where the class has none of its own (given to the new class as it is
    made: setting them after would update the type's slots one by one)."""
    names = [f.name for f in own]
    positional, _ = _split(own)
    after_default = None
    for spec in positional:
        if spec.default is not _MISSING or spec.default_factory is not _MISSING:
            after_default = spec.name
        elif after_default is not None:
            raise TypeError(f"non-default argument {spec.name!r} follows default argument")
    inherited: set[str] = set()
    for base in cls.__mro__[1:-1]:
        slots = base.__dict__.get("__slots__", ())
        inherited.update((slots,) if isinstance(slots, str) else slots)
    namespace = {**methods, **cls.__dict__}
    if "__hash__" in methods:
        namespace["__hash__"] = methods["__hash__"]
    if "__doc__" in methods:
        namespace["__doc__"] = methods["__doc__"]
    for name in names:
        namespace.pop(name, None)  # defaults live in the fields, the slots take the names
    namespace.pop("__dict__", None)
    namespace.pop("__weakref__", None)
    namespace["__slots__"] = tuple(name for name in names if name not in inherited)
    namespace["__qualname__"] = cls.__qualname__
    namespace.setdefault("__match_args__", tuple(f.name for f in positional if f.init))
    new: type[_T] = type(cls.__name__, cls.__bases__, namespace)
    return new


#: The records of every class made here (ClassVars included, as dataclasses).
_FIELDS: dict[type, dict[str, Field]] = {}
#: The same without the ClassVars: what __init__, __repr__ and replace() read.
_OWN: dict[type, list[Field]] = {}
#: The frozen ones (their instances refuse every assignment).
_FROZEN: set[type] = set()


def _own(cls: type) -> list[Field]:
    """The fields of ``cls``, a class made here or a subclass that added none."""
    found = _OWN.get(cls)
    if found is None:
        found = _inherited(cls)
        if found is None:
            raise TypeError(f"{cls.__qualname__} is not made by imap_sansio._frozen.dataclass")
    return found


def _inherited(cls: type) -> list[Field] | None:
    for klass in cls.__mro__:
        if "__dataclass_fields__" in klass.__dict__:
            return _OWN.get(klass)  # None: made by dataclasses
    return None


def fields(class_or_instance: Any) -> tuple[Any, ...]:
    """``dataclasses.fields`` (made here or not)."""
    cls = class_or_instance if isinstance(class_or_instance, type) else type(class_or_instance)
    found = _OWN.get(cls) or _inherited(cls)
    if found is None:
        import dataclasses  # noqa: PLC0415 - a class not made here

        return dataclasses.fields(class_or_instance)
    return tuple(found)


def replace(obj: _T, /, **changes: Any) -> _T:
    """``dataclasses.replace`` (made here or not): a new instance, made by
    its ``__init__``, with ``changes`` and the other init fields as they are."""
    found = _OWN.get(type(obj)) or _inherited(type(obj))
    if found is None:
        import dataclasses  # noqa: PLC0415 - a class not made here

        return dataclasses.replace(obj, **changes)  # type: ignore[type-var]
    for spec in found:
        if not spec.init:
            if spec.name in changes:
                raise ValueError(
                    f"field {spec.name} is declared with init=False, "
                    "it cannot be specified with replace()"
                )
        elif spec.name not in changes:
            changes[spec.name] = getattr(obj, spec.name)
    return type(obj)(**changes)


def _split(specs: list[Field]) -> tuple[list[Field], list[Field]]:
    """The fields ``__init__`` takes: positional ones, then keyword-only ones
    (the order dataclasses gives them)."""
    positional: list[Field] = []
    keyword: list[Field] = []
    for spec in specs:
        if spec.init:
            (keyword if spec.kw_only else positional).append(spec)
    return positional, keyword


def _parameters(cls: type) -> tuple[list[Field], list[Field]]:
    return _split(_own(cls))


def _signature_text(name: str, specs: list[Field]) -> str:
    """What dataclasses puts in ``__doc__`` for a class without one:
    ``Name(field: 'annotation', *, field: 'annotation' = default, ...)``."""
    positional, keyword = _split(specs)
    params = []
    for spec in [*positional, *keyword]:
        text = f"{spec.name}: {spec.type!r}"
        if spec.default is not _MISSING:
            text += f" = {spec.default!r}"
        elif spec.default_factory is not _MISSING:
            text += " = <factory>"
        if keyword and spec is keyword[0]:
            params.append("*")
        params.append(text)
    return f"{name}({', '.join(params)})"


# ---------------------------------------------------------------------------
# What dataclasses and inspect read, made when they first ask


class _DataclassFields:
    """``__dataclass_fields__``: dataclasses' own ``Field`` records, made
    (and kept in the class) the first time dataclasses reads them."""

    def __get__(self, instance: object, cls: type) -> dict[str, dataclasses.Field[Any]]:
        import dataclasses  # noqa: PLC0415 - imported by whoever asks

        def theirs(value: Any) -> Any:
            return dataclasses.MISSING if value is _MISSING else value

        made: dict[str, dataclasses.Field[Any]] = {}
        for klass in cls.__mro__:
            if klass in _FIELDS:
                break
        for spec in _FIELDS[klass].values():
            one: Any = dataclasses.field(
                default=theirs(spec.default),
                default_factory=theirs(spec.default_factory),
                init=spec.init,
                repr=spec.repr,
                hash=spec.hash,
                compare=spec.compare,
                metadata=spec.metadata or None,
                kw_only=theirs(spec.kw_only),
            )
            one.name = spec.name
            one.type = spec.type
            # dataclasses' marks of a field and of a ClassVar pseudo-field
            one._field_type = dataclasses._FIELD_CLASSVAR if spec.classvar else dataclasses._FIELD  # type: ignore[attr-defined]
            made[spec.name] = one
        type.__setattr__(cls, "__dataclass_fields__", made)
        return made


class _DataclassParams:
    """``__dataclass_params__``: dataclasses' record of the options, made
    the first time dataclasses reads it (its type differs between Python
    versions, so it is dataclasses' own)."""

    def __init__(self, frozen: bool) -> None:
        self.frozen = frozen

    def __get__(self, instance: object, cls: type) -> Any:
        import dataclasses  # noqa: PLC0415 - imported by whoever asks

        template: Any = dataclasses.dataclass(init=False, repr=False, eq=False)(
            type("_Params", (), {"__doc__": "-"})
        )
        params = template.__dataclass_params__
        params.init = params.repr = params.eq = True
        params.frozen = self.frozen
        type.__setattr__(cls, "__dataclass_params__", params)
        return params


class _Signature:
    """``inspect.signature(cls)`` (and Sphinx's) for a class made here: its
    fields as ``__init__`` takes them, annotated, whether or not that
    ``__init__`` has been compiled yet (the compiled one has no annotations)."""

    def __get__(self, instance: object, cls: type) -> inspect.Signature:
        import inspect  # noqa: PLC0415 - imported by whoever asks

        positional, keyword = _parameters(cls)
        params = []
        for spec in [*positional, *keyword]:
            if spec.default is not _MISSING:
                default = spec.default
            elif spec.default_factory is not _MISSING:
                default = _FACTORY
            else:
                default = inspect.Parameter.empty
            kind = (
                inspect.Parameter.KEYWORD_ONLY
                if spec.kw_only
                else inspect.Parameter.POSITIONAL_OR_KEYWORD
            )
            params.append(inspect.Parameter(spec.name, kind, default=default, annotation=spec.type))
        return inspect.Signature(params, return_annotation=None)


class _Factory:
    def __repr__(self) -> str:
        return "<factory>"  # as dataclasses shows a default_factory


_DATACLASS_FIELDS = _DataclassFields()
_PARAMS = _DataclassParams(frozen=False)
_FROZEN_PARAMS = _DataclassParams(frozen=True)
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
    names: dict[str, Any] = {"__missing": _MISSING}
    params: dict[str, str] = {}
    lines: list[str] = []
    # A class that keeps object's __setattr__ (not frozen) is assigned to,
    # as dataclasses does: a slot's store costs a tenth of a setter's call.
    plain = getattr(cls, "__setattr__", None) is object.__setattr__
    for spec in _own(cls):
        name = spec.name
        # Each field is a slot: its descriptor's own setter skips the
        # lookup object.__setattr__ makes by name (a fifth of the cost of
        # making an event), and the class's frozen __setattr__ as well.
        slot = getattr(cls, name, None)
        if plain:
            setter = f"self.{name} = ("
        elif type(slot) is _SLOT:
            names[f"__set_{name}"] = slot.__set__
            setter = f"__set_{name}(self, "
        else:
            names.setdefault("__set", _set)
            setter = f"__set(self, {name!r}, "
        if spec.default is not _MISSING:
            names[f"__default_{name}"] = spec.default
            default = f"__default_{name}"
        elif spec.default_factory is not _MISSING:
            names[f"__factory_{name}"] = spec.default_factory
            default = "__missing"
        else:
            default = ""
        if not spec.init:
            if spec.default is not _MISSING:
                lines.append(f"{setter}__default_{name})")
            elif spec.default_factory is not _MISSING:
                lines.append(f"{setter}__factory_{name}())")
            continue
        params[name] = f"{name}={default}" if default else name
        if spec.default_factory is not _MISSING:
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


def _getter(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The values of ``names`` of an instance, as one tuple."""
    if len(names) >= 2:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()


def _compared(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    """The values ``__eq__`` uses, as one tuple (as dataclasses)."""
    getter = _COMPARED.get(cls)
    if getter is None:
        getter = _COMPARED[cls] = _getter([f.name for f in _own(cls) if f.compare])
    return getter


def _hashed(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    """The values ``__hash__`` uses, as one tuple (as dataclasses)."""
    getter = _HASHED.get(cls)
    if getter is None:
        specs = _own(cls)
        names = [f.name for f in specs if (f.compare if f.hash is None else f.hash)]
        same = names == [f.name for f in specs if f.compare]
        getter = _compared(cls) if same else _getter(names)
        _HASHED[cls] = getter
    return getter


_COMPARED: dict[type, Callable[[Any], tuple[Any, ...]]] = {}
_HASHED: dict[type, Callable[[Any], tuple[Any, ...]]] = {}


def _eq(self: Any, other: object) -> Any:
    if other.__class__ is self.__class__:
        compared = _compared(self.__class__)
        return compared(self) == compared(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(_hashed(self.__class__)(self))


def _setattr(self: Any, name: str, value: Any) -> None:
    # What dataclasses' frozen __setattr__ does, shared: a subclass that is
    # not frozen itself may still set attributes that are not fields.
    cls = self.__class__
    if cls in _FROZEN or name in cls.__dataclass_fields__:
        from dataclasses import FrozenInstanceError  # noqa: PLC0415 - an error path

        raise FrozenInstanceError(f"cannot assign to field {name!r}")
    object.__setattr__(self, name, value)


def _delattr(self: Any, name: str) -> None:
    cls = self.__class__
    if cls in _FROZEN or name in cls.__dataclass_fields__:
        from dataclasses import FrozenInstanceError  # noqa: PLC0415 - an error path

        raise FrozenInstanceError(f"cannot delete field {name!r}")
    object.__delattr__(self, name)


def _getstate(self: Any) -> list[Any]:
    return [getattr(self, f.name) for f in _own(self.__class__)]


def _setstate(self: Any, state: list[Any]) -> None:
    for spec, value in zip(_own(self.__class__), state, strict=False):
        object.__setattr__(self, spec.name, value)


def _repr(self: Any) -> str:
    shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in _own(self.__class__) if f.repr)
    return f"{self.__class__.__qualname__}({shown})"


def maker(cls: type[_T], *names: str) -> Callable[..., _T]:
    """A function of the values of the fields ``names``, given by position,
    that makes the instance ``cls(**dict(zip(names, values)))`` makes (the
    other fields take their defaults).  Calling a class with keywords makes
    a dict of them for ``__init__`` (a third of the cost of a small event);
    this stores them in the slots as ``__init__`` does, without the call."""
    specs = _own(cls)
    known = {spec.name for spec in specs if spec.init}
    if not set(names) <= known or len(set(names)) != len(names):
        raise TypeError(f"{cls.__qualname__} has no fields {names!r} to make it of")
    scope: dict[str, Any] = {"__new": object.__new__, "__cls": cls}
    lines = []
    for spec in specs:
        slot = getattr(cls, spec.name, None)
        if spec.name not in names and (not spec.init or spec.default is _MISSING):
            # A factory, a field __init__ does not take, or no default: __init__ decides.
            return _maker_by_init(cls, names)
        if type(slot) is not _SLOT:
            return _maker_by_init(cls, names)
        scope[f"__set_{spec.name}"] = slot.__set__
        if spec.name in names:
            lines.append(f" __set_{spec.name}(self, {spec.name})\n")
        else:
            scope[f"__default_{spec.name}"] = spec.default
            lines.append(f" __set_{spec.name}(self, __default_{spec.name})\n")
    if hasattr(cls, "__post_init__"):
        return _maker_by_init(cls, names)
    source = f"def make({', '.join(names)}):\n self = __new(__cls)\n{''.join(lines)} return self\n"
    namespace: dict[str, Any] = {}
    exec(source, scope, namespace)
    make: Callable[..., _T] = namespace["make"]
    make.__qualname__ = f"{cls.__qualname__}.make"
    return make


def _maker_by_init(cls: type[_T], names: tuple[str, ...]) -> Callable[..., _T]:
    init = cls.__init__
    if init is _first_init:
        init = _make_init(cls)
        cls.__init__ = init  # type: ignore[method-assign]
    arguments = ", ".join(f"{name}={name}" for name in names)
    source = (
        f"def make({', '.join(names)}):\n"
        f" self = __new(__cls)\n __init(self, {arguments})\n return self\n"
    )
    namespace: dict[str, Any] = {}
    exec(source, {"__new": object.__new__, "__cls": cls, "__init": init}, namespace)
    make: Callable[..., _T] = namespace["make"]
    make.__qualname__ = f"{cls.__qualname__}.make"
    return make
