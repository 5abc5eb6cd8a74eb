"""Dovecot's imaptest scripts, parsed and played against pure server connections.

The script format is documented in Dovecot's ``FORMAT.md`` (kept beside the
scripts in the repository's ``tests/data/imaptest/``); this module implements it as
imaptest itself reads it, so that a script passes here exactly when it
would pass against the same server over a socket:

* a header of ``key: value`` lines (``capabilities``, ``connections``,
  ``state``, ``messages``, ``ignore_extra_untagged``), then an empty line;
* command groups: ``[conn] [tagN] [ok|no|bad|""] command`` lines, the untagged
  replies expected (``* ...``), banned (``! ...``) or allowed (``? ...``),
  and, for commands written without an expected status, a later
  ``[conn] [tagN] ok|no|bad|"" [prefix]`` line;
* ``{{{`` ... ``}}}`` blocks for literals (``~{{{`` for literal8);
* ``$variables`` bound from the first reply that matches, ``$`` (anything,
  also a list), ``$n`` (the message that was number n when the group began,
  renumbered by the EXPUNGEs received since), ``$$`` (a literal ``$``),
  ``${case:text}``, the list directives ``$!unordered[=n]``, ``$!noextra``,
  ``$!extra``, ``$!ignore=x``, ``$!ban=x`` and their defaults for FETCH,
  FLAGS, LIST, LSUB and STATUS; ``!ordered``, ``!ifenv``/``!ifnenv``.

Matching follows imaptest: strings compare case-insensitively; untagged
OK/NO/BAD/BYE and tagged replies match as a prefix (text after the expected
words is ignored); one reply may satisfy several expectations; every ``*``
line of a group must be matched by some reply before the group's last
tagged reply.  An ``APPEND`` without message data appends the next message
of the script's mbox (``<name>.mbox``, else ``default.mbox``).

Everything here is pure: the caller reads the files and passes their bytes,
and supplies ``connect()`` returning a fresh connection with
``receive_data``/``data_to_send``/``closed`` (``IMAPServer.connect``)::

    script = parse_script(open(path, "rb").read(), name="fetch")
    result = run_script(script, server.connect, mbox=parse_mbox(mbox_bytes),
                        username="testuser", password="pass")
    assert result.status == "passed", result.message
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Literal, Protocol

__all__ = [
    "Arg",
    "CommandGroup",
    "ImaptestError",
    "ImaptestResult",
    "MboxMessage",
    "Script",
    "ScriptCommand",
    "UntaggedExpectation",
    "parse_args",
    "parse_mbox",
    "parse_script",
    "run_script",
]

ArgKind = Literal["atom", "string", "literal", "nil", "list"]
Existence = Literal["must", "must_not", "may"]
StartupState = Literal["nonauth", "auth", "created", "appended", "selected"]
_STATES: tuple[StartupState, ...] = ("nonauth", "auth", "created", "appended", "selected")


class ImaptestError(ValueError):
    """A script that imaptest itself would refuse to read."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Arg:
    """One IMAP argument as imaptest's parser sees it."""

    kind: ArgKind
    value: str = ""
    items: tuple[Arg, ...] = ()

    @property
    def is_astring(self) -> bool:
        return self.kind in ("atom", "string", "literal")

    def __str__(self) -> str:
        return _args_to_str((self,))


@dataclass(frozen=True, slots=True, kw_only=True)
class UntaggedExpectation:
    args: tuple[Arg, ...]
    existence: Existence
    line: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptCommand:
    line: int
    #: The command as written (variables not yet expanded), without tag.
    text: str
    #: N of ``tagN`` (0 for commands written without a tag).
    tag: int
    #: The expected tagged reply (``ok [read-write]`` -> atoms); prefix match.
    reply: tuple[Arg, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandGroup:
    """Commands sent together on one connection, and what must come back."""

    connection: int  # 0-based
    commands: tuple[ScriptCommand, ...]
    untagged: tuple[UntaggedExpectation, ...]
    ordered: bool = False
    have_bye: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Script:
    name: str
    capabilities: tuple[str, ...]
    connections: int
    state: StartupState
    #: Messages appended before the script runs; None = the whole mbox.
    messages: int | None
    ignore_extra_untagged: bool
    groups: tuple[CommandGroup, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class MboxMessage:
    data: bytes
    internal_date: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ImaptestResult:
    status: Literal["passed", "failed", "skipped"]
    #: Why it failed or was skipped (empty when it passed).
    message: str = ""
    #: The missing capabilities when skipped.
    missing: tuple[str, ...] = ()


# --------------------------------------------------------------- arguments

_ATOM_END_TOP = re.compile(r"[ \r\n]")
_ATOM_END_LIST = re.compile(r"[ \r\n)]")
_LITERAL = re.compile(r"(~?)\{(\d+)(\+?)\}\r\n")


def parse_args(text: str) -> tuple[Arg, ...]:
    """Read a line of IMAP arguments as imaptest does (atoms take any character).

    Atoms end at a space (or ``)`` inside a list), so ``BODY[HEADER.FIELDS
    (FROM)]`` is three arguments on both sides of a comparison; ``{n}\\r\\n``
    literals are read inline.
    """
    args, _ = _parse_list_body(text, 0, top=True)
    return tuple(args)


def _parse_list_body(text: str, pos: int, *, top: bool) -> tuple[list[Arg], int]:
    out: list[Arg] = []
    n = len(text)
    while pos < n:
        c = text[pos]
        if c in " \r\n":
            pos += 1
            continue
        if c == ")":
            if not top:
                return out, pos + 1
            end = _ATOM_END_TOP.search(text, pos)
            stop = end.start() if end else n
            out.append(Arg(kind="atom", value=text[pos:stop]))
            pos = stop
            continue
        if c == "(":
            items, pos = _parse_list_body(text, pos + 1, top=False)
            out.append(Arg(kind="list", items=tuple(items)))
            continue
        if c == '"':
            value, pos = _read_quoted(text, pos + 1)
            out.append(Arg(kind="string", value=value))
            continue
        m = _LITERAL.match(text, pos)
        if m is not None:
            size = int(m.group(2))
            start = m.end()
            out.append(Arg(kind="literal", value=text[start : start + size]))
            pos = start + size
            continue
        end = (_ATOM_END_TOP if top else _ATOM_END_LIST).search(text, pos)
        stop = end.start() if end else n
        atom = text[pos:stop]
        pos = stop
        if atom.upper() == "NIL":
            out.append(Arg(kind="nil"))
        else:
            out.append(Arg(kind="atom", value=atom))
    return out, pos


def _read_quoted(text: str, pos: int) -> tuple[str, int]:
    chars: list[str] = []
    n = len(text)
    while pos < n:
        c = text[pos]
        if c == "\\" and pos + 1 < n:
            chars.append(text[pos + 1])
            pos += 2
            continue
        if c == '"':
            return "".join(chars), pos + 1
        chars.append(c)
        pos += 1
    return "".join(chars), pos


def _args_to_str(args: Sequence[Arg]) -> str:
    parts: list[str] = []
    for arg in args:
        if arg.kind == "list":
            parts.append("(" + _args_to_str(arg.items) + ")")
        elif arg.kind == "nil":
            parts.append("NIL")
        elif arg.kind == "string":
            parts.append('"' + arg.value.replace("\\", "\\\\").replace('"', '\\"') + '"')
        elif arg.kind == "literal":
            parts.append(f"{{{len(arg.value)}}}\r\n{arg.value}")
        else:
            parts.append(arg.value)
    return " ".join(parts)


_STATUS_WORDS = frozenset({"OK", "NO", "BAD", "BYE", "PREAUTH"})


def _parse_server_args(text: str) -> tuple[Arg, ...]:
    """A server reply after ``*``/the tag: resp-text is words, not IMAP syntax."""
    word = text.split(" ", 1)[0]
    if word.upper() not in _STATUS_WORDS:
        return parse_args(text)
    out = [Arg(kind="atom", value=word)]
    rest = text[len(word) :].lstrip(" ")
    if rest.startswith("["):
        # The resp-text-code is IMAP syntax up to the atom holding "]".
        depth_text = rest
        args, pos = _parse_code(depth_text)
        out.extend(args)
        rest = depth_text[pos:]
    out.extend(Arg(kind="atom", value=w) for w in rest.split(" ") if w)
    return tuple(out)


def _parse_code(text: str) -> tuple[list[Arg], int]:
    out: list[Arg] = []
    pos, n = 0, len(text)
    while pos < n:
        if text[pos] == " ":
            pos += 1
            continue
        args, new_pos = _parse_one(text, pos)
        out.extend(args)
        pos = new_pos
        last = args[-1] if args else None
        if last is not None and last.kind == "atom" and "]" in last.value:
            break
    return out, pos


def _parse_one(text: str, pos: int) -> tuple[list[Arg], int]:
    """One top-level argument starting at ``pos``."""
    c = text[pos]
    if c == "(":
        items, pos = _parse_list_body(text, pos + 1, top=False)
        return [Arg(kind="list", items=tuple(items))], pos
    if c == '"':
        value, pos = _read_quoted(text, pos + 1)
        return [Arg(kind="string", value=value)], pos
    m = _LITERAL.match(text, pos)
    if m is not None:
        size = int(m.group(2))
        return [Arg(kind="literal", value=text[m.end() : m.end() + size])], m.end() + size
    end = _ATOM_END_TOP.search(text, pos)
    stop = end.start() if end else len(text)
    atom = text[pos:stop]
    return [Arg(kind="nil") if atom.upper() == "NIL" else Arg(kind="atom", value=atom)], stop


# ---------------------------------------------------------- script parsing


@dataclass(slots=True)
class _Cmd:
    line: int
    text: str
    tag: int
    reply: tuple[Arg, ...] | None


@dataclass(slots=True)
class _Group:
    connection: int = 0
    commands: list[_Cmd] = field(default_factory=list)
    untagged: list[UntaggedExpectation] = field(default_factory=list)
    ordered: bool = False
    have_bye: bool = False
    pending: int = 0


_REPLY_WORDS = {"ok": "ok", "no": "no", "bad": "bad", '""': ""}


def _split_reply(line: str) -> tuple[str | None, int, str]:
    """``[tagN] [ok|no|bad|""] rest`` -> (reply word or None, N, rest)."""
    tag = 0
    first = line.split(" ", 1)[0]
    if first[:3].lower() == "tag" and " " in line and first[3:].isdigit() and int(first[3:]) > 0:
        tag = int(first[3:])
        line = line.split(" ", 1)[1]
        first = line.split(" ", 1)[0]
    word = _REPLY_WORDS.get(first.lower())
    if word is None:
        return None, tag, line
    rest = line[len(first) :]
    return word, tag, rest[1:] if rest.startswith(" ") else rest


def _leading_number(line: str) -> int | None:
    first = line.split(" ", 1)[0]
    return int(first) if first.isdigit() else None


def parse_script(
    data: bytes | str, *, name: str = "script", env: Mapping[str, str] | None = None
) -> Script:
    """Parse an imaptest script (bytes are read as Latin-1, byte for byte)."""
    text = data.decode("latin-1") if isinstance(data, bytes) else data
    env = env or {}
    header: dict[str, str] = {}
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    parser = _ScriptParser(name, env)
    in_header = True
    continues = False
    binary = False
    multiline = ""
    start_pos = last_end = 0
    start_line = 0
    for number, raw in enumerate(lines, 1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if continues:
            if not line.startswith("}}}"):
                # A literal8 keeps the file's bytes (its CRs included); a
                # literal's lines end in CRLF.
                multiline += raw if binary else line
                last_end = len(multiline)
                multiline += "\n" if binary else "\r\n"
                continue
            multiline = multiline[:last_end]
            line = line[3:]
            size = len(multiline) - start_pos
            head = ("~" if binary else "") + f"{{{size}}}\r\n"
            multiline = multiline[:start_pos] + head + multiline[start_pos:]
            if line.endswith("{{{"):
                binary = line.endswith("~{{{")
                multiline += line[: -4 if binary else -3]
                start_pos = last_end = len(multiline)
                continue
            line = multiline + line
            continues = False
        else:
            start_line = number
            if line == "":
                in_header = False
                continue
            if line.startswith("#"):
                continue
            if line.endswith("{{{"):
                binary = line.endswith("~{{{")
                multiline = line[: -4 if binary else -3]
                start_pos = last_end = len(multiline)
                continues = True
                continue
        try:
            if in_header:
                key, sep, value = line.partition(":")
                if not sep:
                    raise ImaptestError("Missing ':'")
                header[key.strip().lower()] = value.strip()
            else:
                parser.command_line(start_line, line, header)
        except ImaptestError as exc:
            raise ImaptestError(f"{name} line {number}: {exc}") from None
    if continues:
        raise ImaptestError(f"{name}: multiline reply at line {start_line} not ended")
    return parser.finish(header)


class _ScriptParser:
    def __init__(self, name: str, env: Mapping[str, str]) -> None:
        self.name = name
        self.env = env
        self.groups: list[_Group] = []
        self.group: _Group | None = None
        self.ifenv: list[tuple[bool, bool]] = []  # (skip before, else seen)
        self.skip = False
        self.connections = 1

    def _connections(self, header: Mapping[str, str]) -> int:
        return max(self.connections, int(header.get("connections", "1") or "1"))

    def command_line(self, number: int, line: str, header: Mapping[str, str]) -> None:
        for prefix, wanted in (("!ifenv ", True), ("!ifnenv ", False)):
            if line.startswith(prefix):
                present = line[len(prefix) :] in self.env
                self.ifenv.append((self.skip, False))
                if present != wanted:
                    self.skip = True
                return
        if line == "!else":
            if not self.ifenv or self.ifenv[-1][1]:
                raise ImaptestError("!else without !ifenv")
            before, _ = self.ifenv[-1]
            self.ifenv[-1] = (before, True)
            if not before:
                self.skip = not self.skip
            return
        if line == "!endif":
            if not self.ifenv:
                raise ImaptestError("!endif without !ifenv")
            self.skip = self.ifenv.pop()[0]
            return
        if self.skip:
            return
        connections = self._connections(header)
        group = self.group
        if group is not None:
            if line.startswith(("!sleep ", "!output ")):
                return
            if line == "!ordered":
                group.ordered = True
                return
            if line[:2] in ("* ", "! ", "? "):
                self._untagged(group, number, line)
                return
            if group.pending > 0:
                rest = line
                conn = _leading_number(line) if connections > 1 else None
                if conn:
                    rest = line.split(" ", 1)[1] if " " in line else ""
                word, tag, _ = _split_reply(rest)
                if word is not None:
                    if connections > 1:
                        if not conn:
                            raise ImaptestError("Missing client index")
                        if conn - 1 != group.connection:
                            raise ImaptestError("Reply for wrong connection")
                    self._finish(group, tag, rest)
                    return
        if group is None or group.pending == 0:
            group = _Group()
            self.group = group
            self.groups.append(group)
        if connections > 1:
            conn = _leading_number(line)
            if not conn:
                raise ImaptestError("Missing client index")
            if group.commands and group.connection != conn - 1:
                raise ImaptestError("All pipelined commands must use the same connection")
            group.connection = conn - 1
            self.connections = max(self.connections, conn)
            line = line.split(" ", 1)[1] if " " in line else ""
        word, tag, rest = _split_reply(line)
        if tag == 0:
            if group.pending > 0:
                raise ImaptestError("Missing reply from previous command group")
        elif any(c.tag == tag for c in group.commands):
            raise ImaptestError("Tag reused within command group")
        if not group.commands and rest[:2] in ("* ", "! ", "? "):
            raise ImaptestError("banner checks are not supported")
        reply = None if word is None else (Arg(kind="atom", value=word),)
        if reply is None:
            group.pending += 1
        group.commands.append(_Cmd(line=number, text=rest, tag=tag, reply=reply))

    def _finish(self, group: _Group, tag: int, line: str) -> None:
        cmd = next((c for c in group.commands if c.tag == tag), None)
        if cmd is None:
            raise ImaptestError("Reply for unknown tag")
        if cmd.reply is not None:
            raise ImaptestError("Command already has a reply")
        args = parse_args(line)
        cmd.reply = args[1:] if tag else args
        group.pending -= 1

    def _untagged(self, group: _Group, number: int, line: str) -> None:
        existences: dict[str, Existence] = {"* ": "must", "! ": "must_not", "? ": "may"}
        existence = existences[line[:2]]
        args = parse_args(line[2:])
        name = ""
        if args and args[0].kind == "atom":
            name = args[0].value
            if name[:1] == "$" or name[:1].isdigit():
                name = args[1].value if len(args) > 1 and args[1].kind == "atom" else ""
        args = _with_default_directives(args, name.lower())
        if name.upper().startswith("BYE"):
            if existence == "may":
                raise ImaptestError("? BYE not currently supported")
            if existence == "must":
                group.have_bye = True
        group.untagged.append(UntaggedExpectation(args=args, existence=existence, line=number))

    def finish(self, header: Mapping[str, str]) -> Script:
        if self.ifenv:
            raise ImaptestError(f"{self.name}: !ifenv not closed with !endif")
        if self.group is None:
            raise ImaptestError(f"{self.name}: no commands in file")
        if self.group.pending > 0:
            missing = next(c for c in self.group.commands if c.reply is None)
            raise ImaptestError(
                f"{self.name}: missing reply from previous command at line {missing.line}"
            )
        has_logout = any(
            g.have_bye or any(c.text.lower() == "logout" for c in g.commands) for g in self.groups
        )
        groups = [
            CommandGroup(
                connection=g.connection,
                commands=tuple(
                    ScriptCommand(line=c.line, text=c.text, tag=c.tag, reply=c.reply or ())
                    for c in g.commands
                ),
                untagged=tuple(g.untagged),
                ordered=g.ordered,
                have_bye=g.have_bye,
            )
            for g in self.groups
        ]
        if not has_logout:
            # imaptest ends every script with a LOGOUT on the first connection.
            ok = (Arg(kind="atom", value="ok"),)
            logout = ScriptCommand(line=0, text="logout", tag=0, reply=ok)
            groups.append(CommandGroup(connection=0, commands=(logout,), untagged=()))
        state = header.get("state", "selected").lower()
        if state not in _STATES:
            raise ImaptestError(f"{self.name}: unknown state value {state!r}")
        messages_value = header.get("messages", "0")
        messages = None if messages_value == "all" else int(messages_value or "0")
        ignore = header.get("ignore_extra_untagged", "yes")[:1] == "y"
        return Script(
            name=self.name,
            capabilities=tuple(header.get("capabilities", "").split()),
            connections=self._connections(header),
            state=state,
            messages=messages,
            ignore_extra_untagged=ignore,
            groups=tuple(groups),
        )


def _directive(value: str) -> Arg:
    return Arg(kind="atom", value=value)


def _is_directive(arg: Arg) -> bool:
    return arg.kind == "atom" and arg.value.startswith("$!")


def _with_default_directives(args: tuple[Arg, ...], reply: str) -> tuple[Arg, ...]:
    """Add imaptest's default list directives (FETCH, FLAGS, LIST, LSUB, STATUS)."""
    out: list[Arg] = []
    for index, arg in enumerate(args):
        if arg.kind != "list":
            out.append(arg)
            continue
        items = arg.items
        has_directives = bool(items) and _is_directive(items[0])
        defaults: tuple[str, ...] = ()
        if not has_directives:
            if reply in ("list", "lsub") and index == 1:
                defaults = ("$!unordered",)
            elif reply in ("status", "fetch") and index == 2:
                defaults = ("$!unordered=2",)
        items = tuple(_directive(d) for d in defaults) + items
        if reply == "fetch" and index == 2:
            items = _fetch_inner_defaults(items)
        out.append(Arg(kind="list", items=items))
    return tuple(out)


def _fetch_inner_defaults(items: tuple[Arg, ...]) -> tuple[Arg, ...]:
    # "<seq> FETCH (FLAGS (...))": FLAGS lists match unordered, no extra
    # elements except \Recent (imaptest's defaults).
    out: list[Arg] = []
    prev_atom: str | None = None
    for arg in items:
        if arg.kind == "atom":
            prev_atom = arg.value.lower()
        if (
            arg.kind == "list"
            and prev_atom == "flags"
            and not (arg.items and _is_directive(arg.items[0]))
        ):
            defaults = (
                "$!unordered",
                "$!noextra",
                "$!ignore=\\recent",
                "$!ignore=$HasAttachment",
                "$!ignore=$HasNoAttachment",
            )
            out.append(Arg(kind="list", items=tuple(_directive(d) for d in defaults) + arg.items))
            continue
        out.append(arg)
    return tuple(out)


# -------------------------------------------------------------------- mbox

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_FROM_LINE = re.compile(
    rb"From \S+\s+(?:[A-Z][a-z]{2}\s+)?([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{1,2}):(\d{2})"
    rb"(?::(\d{2}))?\s+(?:([-+]\d{4})\s+)?(\d{4})(?:\s+([-+]\d{4}))?\s*$"
)


def _from_line_date(line: bytes) -> datetime | None:
    m = _FROM_LINE.match(line)
    if m is None or m.group(1).decode() not in _MONTHS:
        return None
    zone = m.group(6) or m.group(8)
    tz = UTC
    if zone is not None:
        sign = -1 if zone.startswith(b"-") else 1
        minutes = int(zone[1:3]) * 60 + int(zone[3:5])
        tz = timezone(sign * timedelta(minutes=minutes))
    return datetime(
        int(m.group(7)),
        _MONTHS[m.group(1).decode()],
        int(m.group(2)),
        int(m.group(3)),
        int(m.group(4)),
        int(m.group(5) or 0),
        tzinfo=tz,
    )


def parse_mbox(data: bytes) -> list[MboxMessage]:
    """Split an mbox as imaptest's source does: every line ends in CRLF.

    The internal date is the From line's date (UTC when it names no zone).
    """
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    messages: list[MboxMessage] = []
    current: list[bytes] | None = None
    date: datetime | None = None
    for raw in lines:
        line = raw[:-1] if raw.endswith(b"\r") else raw
        found = _from_line_date(line) if line.startswith(b"From ") else None
        if found is not None and (current is None or current):
            if current is not None and date is not None:
                messages.append(MboxMessage(data=b"".join(current), internal_date=date))
            current, date = [], found
            continue
        if current is None:
            raise ImaptestError("not a valid mbox file (no From line first)")
        current.append(line + b"\r\n")
    if current and date is not None:
        messages.append(MboxMessage(data=b"".join(current), internal_date=date))
    return messages


def _imap_datetime(value: datetime) -> str:
    offset = value.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    month = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[
        value.month - 1
    ]
    return (
        f"{value.day:02d}-{month}-{value.year:04d} "
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d} "
        f"{sign}{minutes // 60:02d}{minutes % 60:02d}"
    )


# ----------------------------------------------------------------- running


class Connection(Protocol):
    """What :func:`run_script` needs of a connection (``IMAPServer.connect()``)."""

    def receive_data(self, data: bytes) -> None: ...
    def data_to_send(self) -> bytes: ...
    @property
    def closed(self) -> bool: ...


class _Failed(Exception):
    pass


@dataclass(slots=True)
class _Reply:
    kind: Literal["untagged", "tagged", "continuation"]
    tag: str
    args: tuple[Arg, ...]
    raw: str


class _ReplyReader:
    """Server bytes -> complete replies (lines with their literals)."""

    def __init__(self) -> None:
        self.buffer = b""

    def feed(self, data: bytes) -> list[_Reply]:
        self.buffer += data
        out: list[_Reply] = []
        while True:
            end = self._reply_end()
            if end is None:
                return out
            raw = self.buffer[:end].decode("latin-1")
            self.buffer = self.buffer[end:]
            out.append(_classify(raw[:-2]))

    def _reply_end(self) -> int | None:
        pos = 0
        while True:
            eol = self.buffer.find(b"\r\n", pos)
            if eol < 0:
                return None
            m = re.search(rb"~?\{(\d+)\+?\}$", self.buffer[pos:eol])
            if m is None:
                return eol + 2
            pos = eol + 2 + int(m.group(1))
            if pos > len(self.buffer):
                return None


def _classify(raw: str) -> _Reply:
    if raw.startswith("+"):
        return _Reply(kind="continuation", tag="+", args=(), raw=raw)
    head, _, rest = raw.partition(" ")
    if head == "*":
        return _Reply(kind="untagged", tag="*", args=_parse_server_args(rest), raw=raw)
    return _Reply(kind="tagged", tag=head, args=_parse_server_args(rest), raw=raw)


def _split_literals(data: str) -> list[tuple[str, bool]]:
    """A command -> chunks to send; True = wait for ``+`` after this chunk."""
    chunks: list[tuple[str, bool]] = []
    pos = start = 0
    while True:
        m = _LITERAL.search(data, pos)
        if m is None:
            chunks.append((data[start:], False))
            return chunks
        sync = m.group(3) != "+"
        chunks.append((data[start : m.end()], sync))
        start, pos = m.end(), m.end() + int(m.group(2))


class _Client:
    def __init__(self, index: int, conn: Connection) -> None:
        self.index = index
        self.conn = conn
        self.reader = _ReplyReader()
        self.pending: list[_Reply] = []
        self.next_tag = 0
        self.count = 0  # messages this connection knows of (EXISTS - EXPUNGE)
        self.capabilities: tuple[str, ...] = ()
        self.seen_bye = False
        #: The selected mailbox (lower case), whether read-only, its UIDVALIDITY.
        self.mailbox: str | None = None
        self.read_only = False
        self.uidvalidity = ""

    def _collect(self) -> list[_Reply]:
        replies = []
        # Big output comes a piece per call (streamed FETCH literals), and
        # pipelined commands wait while much output is queued (output drives
        # input); this client takes everything, so let them run.
        while True:
            if chunk := self.conn.data_to_send():
                replies.extend(self.reader.feed(chunk))
            elif getattr(self.conn, "output_held", False):
                self.conn.pump()  # type: ignore[attr-defined]
            else:
                break
        self.pending.extend(r for r in replies if r.kind != "continuation")
        return replies

    def send(self, command: str) -> str:
        """Send ``tag command`` (literals waiting for ``+``); return the tag."""
        self.next_tag += 1
        tag = f"{self.index + 1}.{self.next_tag}"
        for chunk, sync in _split_literals(f"{tag} {command}\r\n"):
            if self.conn.closed:
                break
            self.conn.receive_data(chunk.encode("latin-1"))
            if sync:
                replies = self._collect()
                if not any(r.kind == "continuation" for r in replies):
                    break  # refused (tagged NO/BAD): the literal is not sent
        self._collect()
        return tag

    def take(self, *, track: bool = True) -> list[_Reply]:
        self._collect()
        replies, self.pending = self.pending, []
        if track:
            for reply in replies:
                self.track(reply)
        return replies

    def track(self, reply: _Reply) -> None:
        args = reply.args
        if reply.kind != "untagged" or not args:
            return
        word = args[0].value.upper() if args[0].kind == "atom" else ""
        if word == "BYE":
            self.seen_bye = True
        if word == "OK" and len(args) >= 3 and args[1].value.upper() == "[UIDVALIDITY":
            self.uidvalidity = args[2].value.rstrip("]")
        if len(args) >= 2 and args[0].value.isdigit() and args[1].kind == "atom":
            name = args[1].value.upper()
            if name == "EXISTS":
                self.count = int(args[0].value)
            elif name == "EXPUNGE":
                self.count = max(0, self.count - 1)

    def simple(self, command: str) -> tuple[list[_Reply], _Reply | None]:
        """Send a set-up command and return its untagged replies and tagged reply."""
        tag = self.send(command)
        untagged: list[_Reply] = []
        for reply in self.take():
            if reply.kind == "tagged" and reply.tag == tag:
                return untagged, reply
            untagged.append(reply)
        return untagged, None


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _status(reply: _Reply | None) -> str:
    if reply is None or not reply.args:
        return ""
    return reply.args[0].value.upper()


class _Runner:
    def __init__(
        self,
        script: Script,
        connect: Callable[[], Connection],
        *,
        mbox: Sequence[MboxMessage],
        username: str,
        password: str,
        mailbox: str,
    ) -> None:
        self.script = script
        self.connect = connect
        self.mbox = list(mbox)
        self.mbox_next = 0
        self.clients: list[_Client] = []
        domain = username.split("@", 1)[1] if "@" in username else "localhost"
        self.variables: dict[str, str] = {
            "user": username,
            "username": username.split("@", 1)[0],
            "domain": domain,
            "password": password,
            "mailbox": mailbox,
            "mailbox_url": mailbox,
        }
        for i in range(2, script.connections + 1):
            self.variables[f"user{i}"] = username
            self.variables[f"username{i}"] = username.split("@", 1)[0]
            self.variables[f"domain{i}"] = domain
            self.variables[f"password{i}"] = password
        self.username = username
        self.password = password
        self.mailbox = mailbox
        self.seqmap: list[int] = []
        self.added: list[str] = []
        self.modseq_idx = 0
        self.modseq_value = 0
        #: (mailbox, UIDVALIDITY, UID) -> the connection that saw it \Recent.
        self.recent_owner: dict[tuple[str, str, int], int] = {}

    # ------------------------------------------------------------ set-up

    def next_message(self) -> MboxMessage:
        if not self.mbox:
            raise _Failed("the mbox has no messages")
        message = self.mbox[self.mbox_next % len(self.mbox)]
        self.mbox_next += 1
        return message

    def append_command(self, args: str | None) -> str:
        message = self.next_message()
        body = message.data.decode("latin-1")
        if args is None:
            head = f'APPEND {_quote(self.mailbox)} "{_imap_datetime(message.internal_date)}"'
        else:
            head = f"APPEND {args}"
        return f"{head} {{{len(body)}}}\r\n{body}"

    def setup(self) -> ImaptestResult | None:
        script = self.script
        for index in range(script.connections):
            client = _Client(index, self.connect())
            client.take()
            self.clients.append(client)
        first = self.clients[0]
        if script.state == "nonauth":
            untagged, tagged = first.simple("CAPABILITY")
            return self.check_capabilities(untagged)
        for client in self.clients:
            login = f"LOGIN {_quote(self.username)} {_quote(self.password)}"
            _, tagged = client.simple(login)
            if _status(tagged) != "OK":
                shown = tagged.raw if tagged else "no reply"
                raise _Failed(f"initialization failed: LOGIN: {shown}")
        untagged, tagged = first.simple("CAPABILITY")
        skipped = self.check_capabilities(untagged)
        if skipped is not None:
            return skipped
        # state "auth": delete what an earlier run left behind.
        pattern = _quote(self.mailbox + "*")
        for command, verb in (("LIST", "DELETE"), ("LSUB", "UNSUBSCRIBE")):
            untagged, tagged = first.simple(f'{command} "" {pattern}')
            names = [
                r.args[3].value
                for r in untagged
                if len(r.args) >= 4 and r.args[0].value.upper() == command and r.args[3].is_astring
            ]
            for name in sorted(names, key=str.lower, reverse=True):
                first.simple(f"{verb} {_quote(name)}")
        order = _STATES.index(script.state)
        if order >= _STATES.index("created") and self.mailbox.upper() != "INBOX":
            self.setup_command(first, f"CREATE {_quote(self.mailbox)}")
        if order >= _STATES.index("appended"):
            count = script.messages
            total = len(self.mbox) if count is None else count
            for _ in range(total):
                self.setup_command(first, self.append_command(None))
        if order >= _STATES.index("selected"):
            for client in self.clients:
                self.setup_command(client, f"SELECT {_quote(self.mailbox)}")
                client.mailbox = self.mailbox.lower()
        return None

    def setup_command(self, client: _Client, command: str) -> None:
        _, tagged = client.simple(command)
        if _status(tagged) != "OK":
            shown = command.split("\r\n", 1)[0]
            raise _Failed(f"initialization failed: {shown}: {tagged.raw if tagged else 'no reply'}")

    def check_capabilities(self, untagged: list[_Reply]) -> ImaptestResult | None:
        have: set[str] = set()
        for reply in untagged:
            if reply.args and reply.args[0].value.upper() == "CAPABILITY":
                have.update(a.value.upper() for a in reply.args[1:] if a.is_astring)
        missing = tuple(c for c in self.script.capabilities if c.upper() not in have)
        if missing:
            return ImaptestResult(
                status="skipped",
                message="server lacks capability " + " ".join(missing),
                missing=missing,
            )
        return None

    # --------------------------------------------------------- variables

    def relative_seq(self, seq: int) -> str:
        if seq == 0:
            return "<zero seq>"
        if seq > len(self.seqmap):
            return "<out of range>"
        if self.seqmap[seq - 1] == 0:
            return "<expunged>"
        return str(self.seqmap[seq - 1])

    def expand_all(self, text: str, *, skip_uninitialized: bool = False) -> str:
        out: list[str] = []
        i, n = 0, len(text)
        while i < n:
            c = text[i]
            if c != "$" or i + 1 == n:
                out.append(c)
                i += 1
                continue
            i += 1
            if text[i] == "$":
                out.append("$")
                i += 1
                continue
            if text[i] == "!":
                while i + 1 < n and text[i + 1] != " ":
                    i += 1
                i += 1
                continue
            if text[i] == "{":
                close = text.find("}", i)
                if close < 0:
                    raise _Failed("Missing '}'")
                name, i = text[i + 1 : close], close + 1
            else:
                j = i
                while j < n and (text[j].isalnum() or text[j] == "_"):
                    j += 1
                name, i = text[i:j], j
            if name.isdigit():
                out.append(self.relative_seq(int(name)))
                continue
            value = self.variables.get(name)
            if value is None:
                if not skip_uninitialized:
                    raise _Failed(f"Uninitialized variable: {name}")
                value = "$"
            out.append(value)
        return "".join(out)

    def expand_input(self, pattern: str, text: str) -> tuple[str | None, bool]:
        """Match ``pattern`` (with variables) against ``text``, binding new ones.

        Returns the expanded pattern (None on a mismatch already seen) and
        whether the comparison is case-insensitive.
        """
        icase = True
        out: list[str] = []
        p, t = 0, 0
        np = len(pattern)
        while p < np:
            if pattern[p] != "$" or pattern[p + 1 : p + 2] == "$":
                if pattern[p] == "$":
                    p += 1
                if t >= len(text) or pattern[p].upper() != text[t].upper():
                    return None, icase
                out.append(pattern[p])
                p += 1
                t += 1
                continue
            p += 1
            if pattern[p : p + 1] == "{":
                close = pattern.find("}", p + 1)
                if close < 0:
                    return "", icase
                name, p = pattern[p + 1 : close], close + 1
            else:
                q = p
                while q < np and (pattern[q].isalnum() or pattern[q] == "_"):
                    q += 1
                name, p = pattern[p:q], q
            value: str
            if name.isdigit():
                value = self.relative_seq(int(name))
            elif name.startswith("case:"):
                icase = False
                value = name[5:]
            else:
                bound = self.variables.get(name) if name else None
                if bound is not None:
                    value = bound
                else:
                    rest = pattern[p:]
                    sub_icase = True
                    if rest.startswith("$"):
                        expanded, sub_icase = self.expand_input(rest, text[t:])
                        rest = expanded or ""
                    end = t
                    stop = rest[:1]
                    while end < len(text) and (
                        (text[end].upper() != stop.upper()) if sub_icase else (text[end] != stop)
                    ):
                        end += 1
                    value = text[t:end]
                    if name.startswith("modseq") and name[6:].isdigit():
                        value = self.new_modseq(int(name[6:]), value)
                        self.variables[name] = value
                    elif name:
                        self.variables[name] = value
                        self.added.append(name)
            out.append(value)
            for ch in value:
                if t >= len(text) or text[t] != ch:
                    return None, icase
                t += 1
        return "".join(out), icase

    def new_modseq(self, index: int, value: str) -> str:
        if not value.isdigit():
            return "$modseq-not-number"
        number = int(value)
        if self.modseq_idx > index:
            return "$modseq-order-mismatch"
        at_least = self.modseq_value + (index - self.modseq_idx)
        shown = value
        if number < at_least:
            shown = f"$modseq-at-least-{at_least}"
            number = at_least
        self.modseq_idx, self.modseq_value = index, number
        return shown

    # ---------------------------------------------------------- matching

    def match_list(self, match: Sequence[Arg], args: Sequence[Arg]) -> int | None:
        """None = full match, else how many elements matched."""
        unordered = False
        chain = 1
        noextra: bool | None = None
        ignores: list[str] = []
        bans: list[str] = []
        i = 0
        while i < len(match) and _is_directive(match[i]):
            d = match[i].value[2:]
            if d.startswith("unordered"):
                unordered = True
                if noextra is None:
                    noextra = False
                if d[9:10] == "=":
                    chain = int(d[10:])
            elif d == "ordered":
                unordered = False
            elif d == "extra":
                noextra = False
            elif d == "noextra":
                noextra = True
            elif d.startswith("ignore="):
                ignores.append(d[7:])
            elif d.startswith("ban="):
                bans.append(d[4:])
            i += 1
        match = match[i:]
        if noextra is None:
            noextra = True
        if not unordered:
            return self.match_args(match, args, None, prefix=False)
        if len(args) % chain != 0:
            return 0
        matched = [False] * len(args)
        ret = 0
        for m in range(0, len(match), chain):
            for a in range(0, len(args), chain):
                if self.match_args(match[m : m + chain], args[a:], chain, prefix=False) is None:
                    matched[a] = True
                    break
            else:
                return ret
            ret += 1
        for a in range(0, len(args), chain):
            if matched[a] or not args[a].is_astring:
                continue
            value = args[a].value.lower()
            if noextra and value not in (x.lower() for x in ignores):
                return ret
            if not noextra and value in (x.lower() for x in bans):
                return ret
        return None

    def match_args(
        self, match: Sequence[Arg], args: Sequence[Arg], limit: int | None, *, prefix: bool
    ) -> int | None:
        ret = 0
        a = 0
        for m, expected in enumerate(match):
            if limit is not None and m >= limit:
                return None
            actual = args[a] if a < len(args) else None
            if expected.kind == "nil":
                if actual is None or actual.kind != "nil":
                    return ret
            elif expected.kind == "list":
                if actual is None or actual.kind != "list":
                    return ret
                sub = self.match_list(expected.items, actual.items)
                if sub is not None:
                    return ret + sub
            elif expected.value == "$" and actual is not None and actual.kind == "list":
                pass  # "$" skips over a list too
            elif expected.value == "$]":
                # "$]" skips up to the atom that closes a response code.
                while a < len(args) and args[a].kind == "atom" and "]" not in args[a].value:
                    a += 1
            elif not self.match_string(expected.value, actual, prefix and m == len(match) - 1):
                return ret
            ret += 1
            a += 1
        if prefix or a >= len(args) or (limit is not None and len(match) >= limit):
            return None
        return ret

    def match_string(self, pattern: str, actual: Arg | None, prefix: bool) -> bool:
        if actual is None or not actual.is_astring:
            return False
        expanded, icase = self.expand_input(pattern, actual.value)
        if expanded is None:
            return False
        have, want = actual.value, expanded
        if icase:
            have, want = have.lower(), want.lower()
        return have.startswith(want) if prefix else have == want

    # ----------------------------------------------------------- running

    def fail(self, group_index: int, group: CommandGroup, message: str) -> _Failed:
        cmd = group.commands[0] if group.commands else None
        where = f"command {group_index + 1}/{len(self.script.groups)}"
        if cmd is not None:
            shown = cmd.text.splitlines()[0] if cmd.text else ""
            if len(shown) > 120:
                shown = shown[:120] + "..."
            where += f" (line {cmd.line}): {shown}"
        return _Failed(f"{where}\n - failed: {message}")

    def run_group(self, group_index: int, group: CommandGroup) -> None:
        client = self.clients[group.connection]
        self.seqmap = list(range(1, client.count + 1))
        expectations = group.untagged
        found = [False] * len(expectations)
        best: list[tuple[int, str]] = [(0, "")] * len(expectations)
        mismatches = 0
        first_extra: str | None = None
        waiting: dict[str, tuple[ScriptCommand, str]] = {}
        for cmd in group.commands:
            try:
                text = self.expand_all(cmd.text)
            except _Failed as exc:
                raise self.fail(group_index, group, str(exc)) from None
            lowered = text.lower()
            if lowered == "append":
                text = self.append_command(None)
            elif lowered.startswith("append ") and not _append_has_body(text[7:]):
                text = self.append_command(text[7:])
            if client.conn.closed:
                raise self.fail(group_index, group, "Unexpected disconnection")
            tag = client.send(text)
            # $tag is the tag of the command being run (imaptest sets it
            # anew for each command, it is never a binding).
            self.variables["tag"] = tag
            waiting[tag] = (cmd, text)
        for reply in client.take(track=False):
            if reply.kind == "untagged":
                if expectations or not self.script.ignore_extra_untagged:
                    matched = self.match_untagged(group, reply, found, best)
                    if matched is None:
                        raise self.fail(group_index, group, self.banned)
                    if not matched:
                        mismatches += 1
                        if first_extra is None and not self.script.ignore_extra_untagged:
                            first_extra = reply.raw
                self.renumber(reply)
                self.protocol_check(group_index, group, client, reply)
            elif reply.kind == "tagged" and reply.tag in waiting:
                cmd, sent = waiting.pop(reply.tag)
                if self.match_args(cmd.reply, reply.args, None, prefix=True) is not None:
                    raise self.fail(
                        group_index,
                        group,
                        f"Expected tagged reply '{_args_to_str(cmd.reply)}', got "
                        f"'{reply.raw.split(' ', 1)[1] if ' ' in reply.raw else reply.raw}'",
                    )
                self.track_selection(client, sent, reply)
        if waiting:
            if client.conn.closed and group.have_bye and client.seen_bye:
                bad = [c for c, _ in waiting.values() if _args_to_str(c.reply) != ""]
                if bad:
                    raise self.fail(
                        group_index,
                        group,
                        f"Command expected '{_args_to_str(bad[0].reply)}' as tagged reply - "
                        'only "" allowed when BYE happens',
                    )
            elif client.conn.closed:
                raise self.fail(group_index, group, "Unexpected disconnection")
            else:
                raise self.fail(group_index, group, "no tagged reply")
        missing = [i for i, e in enumerate(expectations) if e.existence == "must" and not found[i]]
        if missing:
            first = expectations[missing[0]]
            unexpanded = _args_to_str(first.args)
            raise self.fail(
                group_index,
                group,
                f"Missing {len(missing)} untagged replies ({mismatches} mismatches)\n"
                f" - first unexpanded: {unexpanded}\n"
                f" - first expanded: {self.expand_all(unexpanded, skip_uninitialized=True)}\n"
                f" - best match: {best[missing[0]][1]}",
            )
        if first_extra is not None:
            raise self.fail(
                group_index,
                group,
                f"{mismatches} unexpected untagged replies received, first: {first_extra}",
            )

    banned = ""

    def match_untagged(
        self,
        group: CommandGroup,
        reply: _Reply,
        found: list[bool],
        best: list[tuple[int, str]],
    ) -> bool | None:
        """True if some expectation matched, False if none, None for a banned one."""
        args = reply.args
        first = args[0].value.lower() if args and args[0].kind == "atom" else ""
        prefix = first in ("ok", "no", "bad", "bye")
        found_some = False
        for i, expected in enumerate(group.untagged):
            if found[i]:
                continue
            self.added = []
            count = self.match_args(expected.args, args, None, prefix=prefix)
            if count is None:
                if expected.existence == "must_not":
                    self.banned = (
                        f"Unexpected untagged match:\nMatch: {_args_to_str(expected.args)}\n"
                        f"Reply: {reply.raw[2:]}"
                    )
                    return None
                found[i] = True
                found_some = True
                if group.ordered:
                    break
                continue
            if best[i][0] < count or not best[i][1]:
                best[i] = (count, reply.raw[2:])
            for name in self.added:
                self.variables.pop(name, None)
            self.added = []
            if group.ordered and expected.existence == "must":
                break
        return found_some

    def renumber(self, reply: _Reply) -> None:
        args = reply.args
        if (
            len(args) >= 2
            and args[0].kind == "atom"
            and args[0].value.isdigit()
            and args[1].value.upper() == "EXPUNGE"
        ):
            seq = int(args[0].value)
            seqs = self.seqmap
            if seq == 0 or seq > len(seqs):
                return
            for i in range(seq - 1, len(seqs)):
                if seqs[i] >= seq:
                    seqs[i] = 0 if seqs[i] == seq else seqs[i] - 1

    def track_selection(self, client: _Client, sent: str, reply: _Reply) -> None:
        words = sent.split(" ", 1)
        verb = words[0].lower()
        ok = _status(reply) == "OK"
        if verb in ("close", "unselect") and ok:
            client.count, client.mailbox = 0, None
        elif verb in ("select", "examine"):
            selected = parse_args(words[1]) if len(words) > 1 else ()
            if ok and selected and selected[0].is_astring:
                client.mailbox = selected[0].value.lower()
                client.read_only = verb == "examine"
            else:
                client.mailbox = None

    def protocol_check(
        self, group_index: int, group: CommandGroup, client: _Client, reply: _Reply
    ) -> None:
        """What imaptest's client state tracking rejects outright."""
        args = reply.args
        before = client.count
        client.track(reply)
        if len(args) < 2 or args[0].kind != "atom" or not args[0].value.isdigit():
            return
        seq, name = int(args[0].value), args[1].value.upper()
        if name == "EXPUNGE" and not 1 <= seq <= before:
            raise self.fail(
                group_index, group, f"protocol error: EXPUNGE {seq} with {before} messages"
            )
        if name == "FETCH" and not 1 <= seq <= client.count:
            raise self.fail(
                group_index, group, f"protocol error: FETCH {seq} with {client.count} messages"
            )
        if name == "FETCH" and len(args) >= 3 and args[2].kind == "list":
            self.check_recent(group_index, group, client, args[2].items)

    def check_recent(
        self, group_index: int, group: CommandGroup, client: _Client, items: Sequence[Arg]
    ) -> None:
        """RFC 3501 2.3.2: \\Recent belongs to one session only (imaptest checks it)."""
        if client.mailbox is None or client.read_only:
            return
        uid: int | None = None
        recent = False
        for key, value in zip(items[::2], items[1::2], strict=False):
            name = key.value.upper() if key.kind == "atom" else ""
            if name == "UID" and value.value.isdigit():
                uid = int(value.value)
            elif name == "FLAGS" and value.kind == "list":
                recent = any(f.value.lower() == "\\recent" for f in value.items)
        if uid is None or not recent:
            return
        owner = self.recent_owner.setdefault(
            (client.mailbox, client.uidvalidity, uid), client.index
        )
        if owner != client.index:
            raise self.fail(
                group_index,
                group,
                f"protocol error: UID {uid} is \\Recent in connections {owner + 1} "
                f"and {client.index + 1}",
            )

    def run(self) -> ImaptestResult:
        try:
            skipped = self.setup()
            if skipped is not None:
                return skipped
            for index, group in enumerate(self.script.groups):
                self.run_group(index, group)
        except _Failed as exc:
            return ImaptestResult(status="failed", message=f"{self.script.name}: {exc}")
        return ImaptestResult(status="passed")


def _append_has_body(args_text: str) -> bool:
    """``mailbox [(flags)] ["datetime"]`` followed by a literal or CATENATE."""
    args = parse_args(args_text)
    if not args:
        return False
    i = 1
    if i < len(args) and args[i].kind == "list":
        i += 1
    if i < len(args) and args[i].kind == "string":
        i += 1
    if i >= len(args):
        return False
    return args[i].kind == "literal" or (
        args[i].kind == "atom" and args[i].value.lower() == "catenate"
    )


def run_script(
    script: Script,
    connect: Callable[[], Connection],
    *,
    mbox: Sequence[MboxMessage] = (),
    username: str = "testuser",
    password: str = "pass",
    mailbox: str = "imaptest",
) -> ImaptestResult:
    """Play ``script`` on fresh connections from ``connect()``.

    The account ``username``/``password`` must exist; ``mailbox`` and its
    children are deleted first (as imaptest does), unless the script starts
    in the ``nonauth`` state.  The result says passed, failed (with the
    first difference, in imaptest's words) or skipped (the capabilities the
    server does not advertise).
    """
    return _Runner(
        script, connect, mbox=mbox, username=username, password=password, mailbox=mailbox
    ).run()
