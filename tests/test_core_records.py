"""The record classes (events, responses, values) behave as dataclasses' own.

They are made by ``imap_sansio._frozen.dataclass``, which shares the methods
dataclasses would compile for each class and makes what dataclasses reads
only when it asks; each behaviour here is checked against the same class
made by ``dataclasses.dataclass``.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
import subprocess
import sys
from typing import Any, ClassVar

import pytest

from imap_sansio import _frozen, parse_command
from imap_sansio.commands import Fetch, Noop
from imap_sansio.responses import Status, StatusResponse


def _keyword_only(decorator: Any) -> Any:
    @decorator(frozen=True, slots=True, kw_only=True)
    class Item:
        """An item."""

        kind: ClassVar[str] = "item"
        name: str
        size: int = 0
        parts: tuple[str, ...] = _frozen.field(default=(), repr=False)
        notes: tuple[str, ...] = _frozen.field(default_factory=tuple, compare=False)

    return Item


def _positional(decorator: Any, frozen: bool) -> Any:
    @decorator(frozen=frozen, slots=True)
    class Pair:
        first: int
        second: list[int] = _frozen.field(default_factory=list)
        third: str = _frozen.field(default="x", kw_only=True)

    return Pair


def _make_theirs(cls: type, options: dict[str, Any]) -> type:
    """The class made by dataclasses.dataclass, with this module's fields as its own."""
    for name, value in list(vars(cls).items()):
        if isinstance(value, _frozen.Field):
            given = {key: getattr(value, key) for key in ("init", "repr", "hash", "compare")}
            for key in ("default", "default_factory", "kw_only"):
                if getattr(value, key) is not _frozen._MISSING:
                    given[key] = getattr(value, key)
            setattr(cls, name, dataclasses.field(**given))
    made: type = dataclasses.dataclass(**options)(cls)
    return made


def theirs(**options: Any) -> Any:
    """dataclasses.dataclass, for the declarations above."""
    return lambda cls: _make_theirs(cls, options)


OURS_KW, THEIRS_KW = _keyword_only(_frozen.dataclass), _keyword_only(theirs)
OURS_POS, THEIRS_POS = _positional(_frozen.dataclass, True), _positional(theirs, True)
OURS_MUT, THEIRS_MUT = _positional(_frozen.dataclass, False), _positional(theirs, False)


def _same_fields(ours: type, theirs_: type) -> None:
    def describe(cls: type) -> list[tuple[Any, ...]]:
        return [
            (f.name, f.type, repr(f.default), f.init, f.repr, f.compare, f.kw_only)
            for f in dataclasses.fields(cls)
        ]

    assert describe(ours) == describe(theirs_)
    assert dataclasses.is_dataclass(ours)
    assert ours.__slots__ == theirs_.__slots__  # type: ignore[attr-defined]
    assert ours.__match_args__ == theirs_.__match_args__  # type: ignore[attr-defined]
    assert str(inspect.signature(ours)) == str(inspect.signature(theirs_))
    assert ours.__dataclass_params__.frozen == theirs_.__dataclass_params__.frozen  # type: ignore[attr-defined]


def test_keyword_only_frozen_records_behave_as_dataclasses() -> None:
    _same_fields(OURS_KW, THEIRS_KW)
    for cls in (OURS_KW, THEIRS_KW):
        item = cls(name="a", size=2, parts=("p",), notes=("n",))
        assert repr(item) == "_keyword_only.<locals>.Item(name='a', size=2, notes=('n',))"
        assert item == cls(name="a", size=2, parts=("p",), notes=("other",))
        assert item != cls(name="a", size=3, parts=("p",))
        assert hash(item) == hash(cls(name="a", size=2, parts=("p",)))
        assert cls(name="b").notes == () and cls.kind == "item"
        with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'size'"):
            item.size = 3
        with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete field 'size'"):
            del item.size
        with pytest.raises(TypeError):
            cls("a")
        assert dataclasses.replace(item, size=5).size == 5
        assert _frozen.replace(item, size=5) == dataclasses.replace(item, size=5)
        assert dataclasses.asdict(item) == {
            "name": "a",
            "size": 2,
            "parts": ("p",),
            "notes": ("n",),
        }
        assert copy.copy(item) == item and copy.deepcopy(item) == item
        assert not hasattr(item, "__dict__")
    assert OURS_KW.__doc__ == "An item."


def test_positional_and_mutable_records_behave_as_dataclasses() -> None:
    _same_fields(OURS_POS, THEIRS_POS)
    _same_fields(OURS_MUT, THEIRS_MUT)
    assert (
        OURS_POS.__doc__
        == THEIRS_POS.__doc__
        == ("Pair(first: 'int', second: 'list[int]' = <factory>, *, third: 'str' = 'x')")
    )
    for cls in (OURS_POS, THEIRS_POS):
        pair = cls(1, [2], third="y")
        assert repr(pair) == "_positional.<locals>.Pair(first=1, second=[2], third='y')"
        assert cls(1).second == [] and cls(1).second is not cls(1).second
    for cls in (OURS_MUT, THEIRS_MUT):
        pair = cls(1)
        pair.first = 2
        assert pair == cls(2) and pair != cls(3)
        with pytest.raises(TypeError, match="unhashable"):
            hash(pair)


def test_a_maker_makes_what_the_keyword_call_makes() -> None:
    # _frozen.maker: the values by position, the other fields their defaults,
    # the same instance (fields, equality, hash) as the class called with keywords.
    make = _frozen.maker(OURS_KW, "name", "parts")
    item = make("a", ("p",))
    assert type(item) is OURS_KW
    assert dataclasses.asdict(item) == {"name": "a", "size": 0, "parts": ("p",), "notes": ()}
    assert item == OURS_KW(name="a", parts=("p",)) and hash(item) == hash(
        OURS_KW(name="a", parts=("p",))
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.size = 1
    # A default factory (or __post_init__) is __init__'s to run: the maker calls it.
    pair = _frozen.maker(OURS_POS, "first")(1)
    assert pair == OURS_POS(1) and pair.second == [] and pair.third == "x"
    fetch = _frozen.maker(Fetch, "tag", "messages", "items")("a", None, ())
    assert fetch == Fetch(tag="a", messages=None, items=())  # type: ignore[arg-type]
    assert (fetch.invalid_names, fetch.changedsince, fetch.uid) == ((), None, False)
    with pytest.raises(TypeError, match="no fields"):
        _frozen.maker(OURS_KW, "name", "nosuch")
    with pytest.raises(TypeError, match="no fields"):
        _frozen.maker(OURS_KW, "name", "name")


def test_a_record_may_be_subclassed_with_dataclasses() -> None:
    @dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
    class Sized(OURS_KW):  # type: ignore[misc,valid-type]
        weight: int = 1

    sized = Sized(name="a", weight=2)
    assert [f.name for f in dataclasses.fields(sized)] == [
        "name",
        "size",
        "parts",
        "notes",
        "weight",
    ]
    assert sized == Sized(name="a", weight=2) != Sized(name="a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        sized.weight = 3  # type: ignore[misc]


def test_declarations_dataclasses_refuses_are_refused() -> None:
    with pytest.raises(ValueError, match="mutable default"):

        @_frozen.dataclass(frozen=True, slots=True)
        class Listed:
            items: list[int] = []

    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):

        @_frozen.dataclass(frozen=True, slots=True)
        class Ordered:
            a: int = 0
            b: int  # type: ignore[misc]


def test_a_class_with_evaluated_annotations_goes_to_dataclasses() -> None:
    cls: Any = _frozen.dataclass(frozen=True, slots=True, kw_only=True)(
        type("Evaluated", (), {"__annotations__": {"a": int}})
    )
    assert cls not in _frozen._FIELDS
    assert repr(cls(a=1)) == "Evaluated(a=1)" and cls(a=1) == cls(a=1)


def test_the_package_records_have_annotated_signatures() -> None:
    assert str(inspect.signature(Noop)) == (
        "(*, tag: 'str', invalid_names: 'tuple[InvalidName, ...]' = ()) -> None"
    )
    assert "messages: 'SequenceSet | UidSet'" in str(inspect.signature(Fetch))
    assert Noop.__doc__ == "Noop(*, tag: 'str', invalid_names: 'tuple[InvalidName, ...]' = ())"
    ok = StatusResponse(tag="a1", status=Status.OK, text="done")
    assert _frozen.replace(ok, text="fine") == dataclasses.replace(ok, text="fine")
    assert pickle.loads(pickle.dumps(ok)) == ok
    fetch = parse_command(b"a1 UID FETCH 1:* (FLAGS)\r\n")
    assert pickle.loads(pickle.dumps(fetch)) == fetch


def test_importing_the_engine_imports_neither_dataclasses_nor_inspect() -> None:
    code = (
        "import sys\n"
        "from imap_sansio import ConnectionState\n"
        "from imap_sansio.server import IMAPServer\n"
        "print(sorted({'dataclasses', 'inspect'} & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
