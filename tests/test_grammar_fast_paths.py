"""The parser's shortcuts read exactly what its general readers read.

Common shapes are read in one regular-expression match (a one-range set,
a list of plain words, FETCH items that are all name, the CONDSTORE
modifiers, sort criteria of words, searches of flag keys; issue 16) and anything else goes to
the general reader, one item at a time.  Here every command is parsed
twice, once with the shortcuts switched off, and the two must agree: the
same event, or the same error at the same byte with the same code.  The
inputs are the real client lines, the imap-codec and RFC vectors, and lines
made to sit at the edges of each shortcut (case, ranges, limits, nesting).
"""

from __future__ import annotations

import dataclasses
import re

import pytest
from test_grammar_vectors import client_commands, rows, unescape

from imap_sansio import _parser
from imap_sansio._commands import Command, Fetch, FetchBody, Section, SortKey
from imap_sansio._parser import COMMANDS, MAX_MODSEQ, CommandSpec, ParseError, parse_command
from imap_sansio._sequence import STAR, SequenceSet, UidSet

_NEVER = re.compile(rb"(?!)")

EDGES = [
    # Sequence sets: one range, reversed, with *, out of range, zero, $.
    b"a FETCH 4:2 FLAGS\r\n",
    b"a FETCH *:5 FLAGS\r\n",
    b"a FETCH * FLAGS\r\n",
    b"a FETCH *:* FLAGS\r\n",
    b"a FETCH 4294967295 FLAGS\r\n",
    b"a FETCH 4294967296 FLAGS\r\n",
    b"a FETCH 9999999999:1 FLAGS\r\n",
    b"a FETCH 0 FLAGS\r\n",
    b"a FETCH 0:4 FLAGS\r\n",
    b"a FETCH 01 FLAGS\r\n",
    b"a FETCH 1:2:3 FLAGS\r\n",
    b"a FETCH 1,2:4,* FLAGS\r\n",
    b"a FETCH 1,9999999999,2:3 FLAGS\r\n",
    b"a FETCH $ FLAGS\r\n",
    # Sets of many ranges without "*": reversed, zero, leading zero, long,
    # out of range, empty ranges, a range of three ends.
    b"a FETCH 1:3,5,9:7,11 FLAGS\r\n",
    b"a UID STORE 1:3,5,7:9,11:14,26:29,31,34,41:43,50 +FLAGS (\\Seen)\r\n",
    b"a FETCH 1,4294967295:2,3 FLAGS\r\n",
    b"a FETCH 1,4294967296:2,3 FLAGS\r\n",
    b"a FETCH 1,2:99999999999 FLAGS\r\n",
    b"a FETCH 1,99999999999:2,4294967296 FLAGS\r\n",
    b"a FETCH 4294967296,99999999999 FLAGS\r\n",
    b"a FETCH 1,0,3 FLAGS\r\n",
    b"a FETCH 1,2:0 FLAGS\r\n",
    b"a FETCH 1,02 FLAGS\r\n",
    b"a FETCH 1,2:03 FLAGS\r\n",
    b"a FETCH 1,00 FLAGS\r\n",
    b"a FETCH 1,,2 FLAGS\r\n",
    b"a FETCH 1, FLAGS\r\n",
    b"a FETCH ,1 FLAGS\r\n",
    b"a FETCH 1,2: FLAGS\r\n",
    b"a FETCH 1,:2 FLAGS\r\n",
    b"a FETCH 1,1:2:3 FLAGS\r\n",
    b"a FETCH 1:2,3::4 FLAGS\r\n",
    b"a SEARCH 1:3,5 UID 2,4:6,8\r\n",
    # Text search keys with an atom value, beside their neighbours.
    b"a SEARCH from alice To bob BCC x CC y BODY z TEXT t SUBJECT s x-gm-raw r\r\n",
    b"a SEARCH FROMX alice\r\n",
    b"a SEARCH FROM  alice\r\n",
    b'a SEARCH FROM "alice" TO {3+}\r\nbob\r\n',
    b"a SEARCH OR FROM a] TO b)\r\n",
    b"a SEARCH (FROM a TO b) NOT CC c\r\n",
    b"a SEARCH FROM a\x80b\r\n",
    b"a SEARCH FROM\r\n",
    b"a SEARCH FROM {\r\n",
    b"a SEARCH OR OR FROM a TO b OR CC c BCC d\r\n",
    # NOTIFY's MessageNew fetch attributes: names looked up as in FETCH.
    b"a NOTIFY SET (SELECTED (MessageNew (UID flags BODY.PEEK[HEADER] MODSEQ) FlagChange))\r\n",
    b"a NOTIFY SET (SELECTED (MessageNew (UID BODY[HEADER.FIELDS (To)] BINARY[1])))\r\n",
    b"a NOTIFY SET (SELECTED (MessageNew (UID NOSUCH) FlagChange))\r\n",
    b"a NOTIFY SET (SELECTED (MessageNew (UID FLAGS ) FlagChange))\r\n",
    b"a FETCH 1: FLAGS\r\n",
    b"a UID FETCH 1:* (FLAGS)\r\n",
    b"a uid fetch 1:* (flags uid)\r\n",
    # FETCH items: names, sections, partials, unknown names, case.
    b"a FETCH 1 (FLAGS UID RFC822.SIZE ENVELOPE BODYSTRUCTURE)\r\n",
    b"a FETCH 1 (body.peek[] Body[Header] BODY[text] BINARY.PEEK[] BINARY.SIZE[])\r\n",
    b"a FETCH 1 (BODY BODY[] BODY[MIME])\r\n",
    b"a FETCH 1 (BODY.PEEK[]<0.10> FLAGS)\r\n",
    b"a FETCH 1 (BODY[1] BODY[HEADER.FIELDS (From To)] UID)\r\n",
    b"a FETCH 1 (FLAGS NOSUCH)\r\n",
    b"a FETCH 1 (FLAGS  UID)\r\n",
    b"a FETCH 1 (FLAGS UID\r\n",
    b"a FETCH 1 (PREVIEW (LAZY) FLAGS)\r\n",
    b"a FETCH 1 (BODY[HEADER.FIELDS (a b c d e f g)])\r\n",
    b'a FETCH 1 (BODY[HEADER.FIELDS (From "To")])\r\n',
    b"a FETCH 1 (BODY[HEADER.FIELDS.NOT (X-Spam)])\r\n",
    # Modifiers.
    b"a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 5)\r\n",
    b"a UID FETCH 1:* (FLAGS) (changedsince 5 vanished)\r\n",
    b"a UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)\r\n" % MAX_MODSEQ,
    b"a UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)\r\n" % (MAX_MODSEQ + 1),
    b"a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 0)\r\n",
    b"a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 00000000000000000000007)\r\n",
    b"a UID FETCH 1:* (FLAGS) (VANISHED CHANGEDSINCE 5)\r\n",
    b"a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 5 PARTIAL 1:10)\r\n",
    b"a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 5) \r\n",
    # Lists of words: STATUS, LIST, SEARCH RETURN, STORE, SORT.
    b"a STATUS INBOX (MESSAGES uidnext UNSEEN)\r\n",
    b"a STATUS INBOX (MESSAGES NOSUCH)\r\n",
    b"a STATUS INBOX ()\r\n",
    b'a LIST "" "*" RETURN (SUBSCRIBED children)\r\n',
    b'a LIST "" "*" RETURN (CHILDREN STATUS (MESSAGES))\r\n',
    b'a LIST "" "*" RETURN (STATUS)\r\n',
    b'a LIST "" "*" RETURN ()\r\n',
    b"a SEARCH RETURN (MIN MAX COUNT) ALL\r\n",
    b"a SEARCH RETURN (MIN NOSUCH) ALL\r\n",
    b"a SEARCH RETURN (PARTIAL 1:5) ALL\r\n",
    b"a STORE 1 +FLAGS (\\seen \\Deleted $Junk custom)\r\n",
    b"a STORE 1 FLAGS ()\r\n",
    b"a STORE 1 FLAGS (\\*)\r\n",
    b"a STORE 1 X-GM-LABELS (\\Important Custom)\r\n",
    b"a SORT (REVERSE DATE subject) UTF-8 ALL\r\n",
    b"a SORT (REVERSE REVERSE DATE) UTF-8 ALL\r\n",
    b"a SORT (DATE REVERSE) UTF-8 ALL\r\n",
    b"a SORT (NOSUCH) UTF-8 ALL\r\n",
    b"a SORT (ANNOTATION /comment value.priv) UTF-8 ALL\r\n",
    # Searches of flag keys only.
    b"a SEARCH UNSEEN\r\n",
    b"a UID SEARCH unseen Deleted\n",
    b"a SEARCH UNSEEN NOSUCH\r\n",
    b"a SEARCH UNSEEN \r\n",
    b"a SEARCH SEEN1\r\n",
    b"a SEARCH UNSEEN 1:5\r\n",
    b"a UID SEARCH RETURN (COUNT) UNDELETED SEEN\r\n",
    # Mailbox names and patterns: INBOX in any case, "&" (modified UTF-7),
    # escapes, 8-bit and control bytes, literals, what ends an atom.
    b"a SELECT inbox\r\n",
    b'a SELECT "InBoX"\r\n',
    b"a SELECT INBOX.foo\r\n",
    b"a SELECT a&b\r\n",
    b"a SELECT &AOQ-\r\n",
    b'a SELECT "a&AOQ-b"\r\n',
    b'a SELECT "a\\"b"\r\n',
    b'a SELECT "a\\\\b"\r\n',
    b'a SELECT ""\r\n',
    b'a SELECT "\xc3\xa4"\r\n',
    b"a SELECT \xc3\xa4\r\n",
    b"a SELECT foo\x80\r\n",
    b"a SELECT foo]\r\n",
    b"a SELECT foo(\r\n",
    b"a SELECT {3}\r\nabc\r\n",
    b'a SELECT "a\tb"\r\n',
    b'a SELECT "a\x01b"\r\n',
    b'a SELECT "abc\r\n',
    b"a SELECT \r\n",
    b'a STATUS "a b" (MESSAGES)\r\n',
    b"a RENAME a&b c\r\n",
    b'a COPY 1 "Sent Items"\r\n',
    b'a LIST "" %\r\n',
    b'a LIST "" a*&\r\n',
    b'a LIST "" "a%"\r\n',
    b"a LIST inbox inbox\r\n",
    b'a LIST "~" *\r\n',
    b'a LIST "a&" *\r\n',
    b'a LIST "" ("a" b% "c&")\r\n',
    b"a LSUB foo& *\r\n",
    # The head: UID and its command name.
    b"a UID  FETCH 1 FLAGS\r\n",
    b"a UID UID FETCH 1 FLAGS\r\n",
    b"a UID\r\n",
    b"a UID NOOP\r\n",
    b"a UIDX FETCH 1 FLAGS\r\n",
    # Whole lines read in one match, and lines one step off each shape.
    b"a FETCH 1 (FLAGS)\r\n",
    b"a FETCH 1 (FLAGS)\n",
    b"a FETCH 1 (FLAGS)",
    b"a FETCH 1 (FLAGS) \r\n",
    b"a FETCH 1 (FLAGS)\r\r\n",
    b"a FETCH 1 (FLAGS)\x00\r\n",
    b"a  FETCH 1 (FLAGS)\r\n",
    b"+ FETCH 1 (FLAGS)\r\n",
    b"a fetch *:* (flags)\r\n",
    b"a FETCH 1 ()\r\n",
    b"a FETCH 1 (FLAGS NOSUCH UID)\r\n",
    b"a FETCH 4294967296:1 (FLAGS)\r\n",
    b"a FETCH 12345678901 (FLAGS)\r\n",
    b"a FETCH 1 (BODY[TEXT] body.peek[header] BODY[])\r\n",
    b"a FETCH 1 (BODY[TEXT.X])\r\n",
    b"a FETCH 1 (BODY[TEXT)\r\n",
    b"a FETCH 1 (FLAGS) (CHANGEDSINCE 0)\r\n",
    b"a FETCH 1 (FLAGS) (CHANGEDSINCE 9223372036854775807)\r\n",
    b"a FETCH 1 (FLAGS) (CHANGEDSINCE 9223372036854775808)\r\n",
    b"a FETCH 1 (FLAGS) (CHANGEDSINCE 99999999999999999999)\r\n",
    b"a FETCH 1 (FLAGS) (VANISHED)\r\n",
    b"a FETCH 1 (FLAGS) (CHANGEDSINCE 5 VANISHED) \r\n",
    b"a UID FETCH 9:3 (UID FLAGS) (changedsince 1 vanished)\r\n",
    b"a UID fetch 1:* (FLAGS MODSEQ) (CHANGEDSINCE 1)\n",
    b"a UID FETCH 1 (FLAGS) (CHANGEDSINCE 1)(VANISHED)\r\n",
    b"a SEARCH ALL\r\n",
    b"a search unseen deleted\r\n",
    b"a UID SEARCH ALL\n",
    b"a SEARCH\r\n",
    b"a SEARCH \r\n",
    b"a SEARCH ALL  SEEN\r\n",
    b"a SEARCH NOSUCH\r\n",
    b"a SEARCH RETURN\r\n",
    b"a SEARCH CHARSET\r\n",
    b"a SEARCH ALL SEEN DELETED UNSEEN FLAGGED\r\n",
    b"a NOOP\r\n",
    b"a noop\n",
    b"a NOOP \r\n",
    b"a NOOPX\r\n",
    b"a NOOP\r\n\r\n",
    b"a LOGOUT\r\n",
    b"a Capability\r\n",
    b"a IDLE\r\n",
    b"a FETCH\r\n",
    b"a LOGIN\r\n",
    b"a UID SEARCH\r\n",
]

#: Limits that put each list exactly at, and just over, its bound.
LIMITS = [
    {"max_items": 2},
    {"max_items": 3},
    {"max_items": 5},
    {"max_ranges": 1},
    {"max_ranges": 2},
    {"max_depth": 1},
    {"max_depth": 2},
    {"max_search_depth": 0},
    {"max_search_depth": -1},
    {"max_items": 0},
    {"max_items": 1},
    {"max_ranges": 0},
    {"max_depth": 0},
]


def _tables() -> list[dict[str, CommandSpec]]:
    """Command tables an application may pass: a name missing, a parser
    under another name, FETCH and SEARCH that name no messages."""
    without = {n: s for n, s in COMMANDS.items() if n not in ("FETCH", "SEARCH", "NOOP")}
    renamed = dict(COMMANDS, NOP=COMMANDS["NOOP"], FETCHX=COMMANDS["FETCH"])
    plain = dict(COMMANDS)
    for name in ("FETCH", "SEARCH"):
        plain[name] = dataclasses.replace(COMMANDS[name], names_messages=False)
    return [without, renamed, plain]


def _outcome(data: bytes, **options: object) -> Command | tuple[str, int, str | None]:
    try:
        return parse_command(data, **options)  # type: ignore[arg-type]
    except ParseError as exc:
        return (exc.message, exc.offset, exc.code)


def _without_shortcuts(monkeypatch: pytest.MonkeyPatch) -> None:
    shortcuts = (
        "_LINE",
        "_SEQ_ONE",
        "_FETCH_SIMPLE_ITEM",
        "_CHANGEDSINCE",
        "_FLAG_WORDS",
        "_SP_VALUE",
    )
    for name in (*shortcuts, "_PLAIN_MAILBOX", "_PLAIN_PATTERN"):
        monkeypatch.setattr(_parser, name, _NEVER)
    monkeypatch.setattr(_parser, "_word_list", lambda *args, **kwargs: None)
    monkeypatch.setattr(_parser, "_number_ranges", lambda token: None)


def _inputs() -> list[tuple[bytes, bool]]:
    commands, _ = client_commands()
    codec = [unescape(r[0]) for r in rows("imap_codec_commands.txt")]
    return commands + [(c, False) for c in codec] + [(e, False) for e in EDGES]


def test_shortcuts_read_what_the_general_readers_read(monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = _inputs()
    assert len(inputs) > 500
    cases: list[tuple[bytes, dict[str, object]]] = [(data, {"utf8": utf8}) for data, utf8 in inputs]
    cases += [(data, {"utf8": True}) for data in EDGES]
    cases += [(data, dict(limits)) for data in EDGES for limits in LIMITS]
    more = [b"a NOP\r\n", b"a FETCHX 1 (FLAGS)\r\n", b"a UID SEARCH ALL\r\n"]
    cases += [(data, {"commands": t}) for data in EDGES + more for t in _tables()]
    fast = [_outcome(data, **options) for data, options in cases]
    with monkeypatch.context() as patch:
        _without_shortcuts(patch)
        general = [_outcome(data, **options) for data, options in cases]
    differ = [(c[0], f, g) for c, f, g in zip(cases, fast, general, strict=True) if f != g]
    assert differ == []


def test_shortcut_values_are_those_of_the_grammar() -> None:
    # RFC 3501 9: "4:2" is 2:4; "*:5" keeps * as the high end; fetch
    # attribute names are case-insensitive.
    fetch = parse_command(b"a uid fetch *:5 (flags body.peek[header]) (changedsince 7)\r\n")
    assert isinstance(fetch, Fetch)
    assert fetch.messages == UidSet(ranges=((5, STAR),))
    assert [getattr(i, "name", None) for i in fetch.items] == ["FLAGS", None]
    assert fetch.items[1] == FetchBody(section=Section(text="HEADER"), peek=True)
    assert (fetch.changedsince, fetch.vanished, fetch.uid) == (7, False, True)
    again = parse_command(b"a FETCH 4:2 BODY[]\r\n")
    assert isinstance(again, Fetch)
    assert again.messages == SequenceSet(ranges=((2, 4),))
    sort = parse_command(b"a SORT (REVERSE DATE SUBJECT) UTF-8 ALL\r\n")
    assert sort.sort_keys == (  # type: ignore[attr-defined]
        SortKey(key="DATE", reverse=True),
        SortKey(key="SUBJECT"),
    )


def test_the_remembered_item_and_key_lists_stay_small_whatever_clients_send() -> None:
    # The whole-line FETCH/SEARCH remember lists by their bytes in a cache
    # the whole process shares: a client must not be able to fill it with
    # long lists (each up to a line's length) that stay for good.
    long_items = b" ".join([b"FLAGS"] * 60)  # 359 bytes, each item known
    long_keys = b" ".join([b"SEEN"] * 80)  # 399 bytes, each key a flag key
    fetch = parse_command(b"f1 FETCH 1:5 (" + long_items + b")\r\n")
    search = parse_command(b"s1 SEARCH " + long_keys + b"\r\n")
    assert isinstance(fetch, Fetch) and len(fetch.items) == 60
    assert search == parse_command(b"s1 SEARCH " + long_keys + b"\r\n")
    assert long_items not in _parser._FETCH_LISTS
    assert long_keys not in _parser._SEARCH_LISTS
    for n in range(2 * _parser._REMEMBERED):
        parse_command(b"f%d FETCH 1 (%s)\r\n" % (n, b" ".join([b"UID"] * (n % 40 + 1))))
        parse_command(b"f%d FETCH 1 (FLAGS BODY.PEEK[%d])\r\n" % (n, n + 1))
    assert len(_parser._FETCH_LISTS) <= _parser._REMEMBERED
    assert max(map(len, _parser._FETCH_LISTS)) <= _parser._REMEMBERED_LENGTH
