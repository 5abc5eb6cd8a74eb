"""Round trip of typed commands through bytes, and the parser's only failure mode: ParseError."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_grammar_vectors import client_commands

from imap_sansio._commands import Command
from imap_sansio._parser import ParseError, parse_command
from imap_sansio.testing._command_strategies import commands, encode_command


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands())
def test_encoding_a_command_and_parsing_it_gives_the_same_command(command: Command) -> None:
    data = encode_command(command)
    assert parse_command(data) == command


def _parse_or_parse_error(data: bytes, utf8: bool = False) -> None:
    try:
        parse_command(data, utf8=utf8)
    except ParseError as exc:
        assert 0 <= exc.offset <= len(data)
        # The catch-all that guards the contract never had to act: every
        # error is one the grammar explains.
        assert not exc.message.startswith(("invalid command (", "nesting too deep")), exc.message


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=200), st.booleans())
def test_arbitrary_bytes_raise_nothing_but_parse_error(data: bytes, utf8: bool) -> None:
    _parse_or_parse_error(data, utf8)
    _parse_or_parse_error(b"a " + data + b"\r\n", utf8)


_VALID = [data for data, _ in client_commands()[0]]
_INTERESTING = [
    b" ",
    b"(",
    b")",
    b"{",
    b"}",
    b"~{",
    b"\r\n",
    b'"',
    b"\\",
    b"*",
    b"0",
    b"9" * 30,
    b"$",
    b":",
    b",",
    b"[",
    b"]",
    b"<",
    b">",
    b"\x00",
    b"\xff",
    b"{99999999999}\r\n",
]


@settings(max_examples=600, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(0, len(_VALID) - 1))
def test_mutated_valid_commands_raise_nothing_but_parse_error(
    rng: random.Random, index: int
) -> None:
    data = bytearray(_VALID[index])
    for _ in range(rng.randint(1, 4)):
        pos = rng.randint(0, len(data))
        action = rng.randint(0, 3)
        if action == 0 and data:
            del data[pos : pos + rng.randint(1, 5)]
        elif action == 1:
            data[pos:pos] = rng.choice(_INTERESTING)
        elif action == 2 and pos < len(data):
            data[pos] = rng.randint(0, 255)
        else:
            data = data[:pos]
    _parse_or_parse_error(bytes(data))
    _parse_or_parse_error(bytes(data), utf8=True)


def test_huge_numbers_and_literals_are_parse_errors() -> None:
    for data in [
        b"a FETCH " + b"9" * 5000 + b" FLAGS\r\n",
        b"a SEARCH LARGER " + b"9" * 5000 + b"\r\n",
        b"a SELECT {" + b"9" * 5000 + b"}\r\nx\r\n",
        b"a SEARCH " + b"(" * 100000 + b"\r\n",
        b"a FETCH 1 (" + b"BODY[" + b"1." * 10000 + b"1] " + b")\r\n",
    ]:
        _parse_or_parse_error(data)
