"""Dovecot's imaptest scripts for SEARCH, ESEARCH, SORT and THREAD.

A small runner for the script subset these commands need (see
``tests/data/imaptest/FORMAT.md``): one connection, state
``selected``, ``ok``/``no``/``bad`` commands followed by the untagged lines
that must appear (extra untagged lines are allowed), ``$variables``.  The
messages come from the script's ``.mbox``, appended with the internal date of
each ``From `` line (as imaptest does), lines ending in CRLF.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import paths
import pytest

from imap_sansio.server import IMAPServer, MemoryBackend
from imap_sansio.testing import fixed_clock

IMAPTEST = paths.IMAPTEST

SCRIPTS = [
    "search-addresses",
    "search-body",
    "search-date",
    "search-flags",
    "search-header",
    "search-sets",
    "search-size",
    "esearch",
    # esearch-condstore needs imaptest's FETCH matching (items as a subset, in
    # any order) and the trailing text of "* OK [HIGHESTMODSEQ n] ..." ignored;
    # tests/test_server_imaptest.py runs it with those rules.
    "sort-addresses",
    "sort-arrival",
    "sort-date",
    "sort-display-from",
    "sort-display-to",
    "sort-size",
    "sort-subject",
    "thread",
    "thread-orderedsubject",
    "thread-orderedsubject2",
    "thread2",
    "thread3",
    "thread4",
    "thread5",
    "thread6",
    "thread7",
    "thread8",
]

MAILBOX = "imaptest"


def read_mbox(path: Path) -> list[tuple[datetime, bytes]]:
    messages: list[tuple[datetime, list[bytes]]] = []
    previous = b""
    for line in path.read_bytes().split(b"\n"):
        starts = line.startswith(b"From ") and previous.strip() == b""
        previous = line
        if starts:
            fields = line.decode().split()[2:]
            when = datetime.strptime(" ".join(fields[:5]), "%a %b %d %H:%M:%S %Y")
            if len(fields) > 5:  # an optional zone: "... 2007 +0200"
                when = datetime.strptime(
                    f"{when:%Y-%m-%d %H:%M:%S} {fields[5]}", "%Y-%m-%d %H:%M:%S %z"
                )
            else:
                when = when.replace(tzinfo=UTC)
            messages.append((when, []))
        elif messages:
            messages[-1][1].append(line)
    out = []
    for when, lines in messages:
        while lines and lines[-1] == b"":
            lines.pop()
        out.append((when, b"".join(x.rstrip(b"\r") + b"\r\n" for x in lines)))
    return out


def parse_script(text: str) -> tuple[dict[str, str], list[tuple[str, str, list[str]]]]:
    header_text, _, body = text.partition("\n\n")
    headers = {}
    for line in header_text.splitlines():
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    steps: list[tuple[str, str, list[str]]] = []
    for line in body.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("* "):
            steps[-1][2].append(line)
            continue
        status, _, command = line.partition(" ")
        steps.append((status.upper(), command, []))
    return headers, steps


def _pattern(expected: str, variables: dict[str, str]) -> re.Pattern[str]:
    out = []
    names: set[str] = set()
    for token in re.split(r"(\$[A-Za-z_][A-Za-z0-9_]*|\$)", expected.rstrip()):
        if token == "$":
            out.append(r"\S+")
        elif token.startswith("$"):
            name = token[1:]
            if name in variables:
                out.append(re.escape(variables[name]))
            elif name in names:
                out.append(f"(?P={name})")
            else:
                names.add(name)
                out.append(f"(?P<{name}>[^\\s(),:]+)")
        else:
            out.append(re.escape(token))
    return re.compile("".join(out), re.IGNORECASE)


def _unquote(line: str) -> str:
    # imaptest compares atoms and quoted strings alike: (TAG "t5") is (tag t5).
    return re.sub(r'"([^"\\\s]*)"', r"\1", line.rstrip())


def run_script(name: str) -> None:
    headers, steps = parse_script((IMAPTEST / name).read_text())
    backend = MemoryBackend(users={"user": "pass"})
    account = backend.account("user")
    account.create_mailbox(MAILBOX)
    mbox = read_mbox(IMAPTEST / f"{name}.mbox") if (IMAPTEST / f"{name}.mbox").exists() else []
    if not mbox:
        mbox = read_mbox(IMAPTEST / "default.mbox")
    state = headers.get("state", "selected")
    wanted = headers.get("messages", "all")
    count = len(mbox) if wanted == "all" else int(wanted)
    appended = 0

    def append_next() -> None:
        nonlocal appended
        when, data = mbox[appended % len(mbox)]
        account.append(MAILBOX, data, internal_date=when)
        appended += 1

    if state in ("appended", "selected"):
        for _ in range(count):
            append_next()
    session = IMAPServer(backend, clock=fixed_clock()).connect()
    session.data_to_send()
    variables = {"mailbox": MAILBOX}
    counter = 0

    def send(line: str) -> tuple[str, list[str]]:
        nonlocal counter
        counter += 1
        tag = f"t{counter}"
        variables["tag"] = tag
        session.receive_data(f"{tag} {line}\r\n".encode())
        lines = session.data_to_send().decode("utf-8", "replace").split("\r\n")
        tagged = next(x for x in lines if x.startswith(tag + " "))
        return tagged, [x for x in lines if x.startswith("* ")]

    login = send("LOGIN user pass")[0]
    assert login.startswith("t1 OK")
    advertised = set(login.upper().split("[CAPABILITY ", 1)[-1].split("]")[0].split())
    missing = set(headers.get("capabilities", "").upper().split()) - advertised
    assert not missing, f"{name}: the server does not advertise {' '.join(sorted(missing))}"
    if state == "selected":
        assert send(f"SELECT {MAILBOX}")[0].split()[1] == "OK"
    for status, command, expected in steps:
        if command.lower() == "append":  # the next message of the mbox
            append_next()
            send("NOOP")  # as after a real APPEND: the session learns of it
            continue
        line = command
        for var in sorted(variables, key=len, reverse=True):
            line = line.replace("${" + var + "}", variables[var]).replace("$" + var, variables[var])
        tagged, untagged = send(line)
        assert tagged.split()[1] == status, f"{name}: {line!r} -> {tagged!r}"
        for exp in expected:
            pattern = _pattern(exp, variables)
            match = next((m for u in untagged if (m := pattern.fullmatch(_unquote(u)))), None)
            assert match is not None, f"{name}: {line!r}: no {exp!r} in {untagged!r}"
            variables.update(match.groupdict())


@pytest.mark.parametrize("name", SCRIPTS)
def test_imaptest_script_passes(name: str) -> None:
    run_script(name)


QUERIES = [
    b"SEARCH TEXT x",
    b"SEARCH BODY x",
    b'SEARCH HEADER X-Foo ""',
    b"SEARCH SENTON 1-Jan-2000 SENTBEFORE 1-Jan-2010",
    b"SEARCH FROM a TO b CC c BCC d SUBJECT e",
    b"SORT (ARRIVAL CC DATE FROM SIZE SUBJECT TO DISPLAYFROM DISPLAYTO) UTF-8 ALL",
    b"THREAD REFERENCES UTF-8 ALL",
    b"THREAD ORDEREDSUBJECT UTF-8 ALL",
]


def test_every_key_answers_ok_over_all_imaptest_messages() -> None:
    # 175 messages, some of them malformed on purpose (the "broken" and
    # "nil" fixtures): no key, sort criterion or threading may fail on one.
    backend = MemoryBackend(users={"user": "pass"})
    account = backend.account("user")
    for mbox in paths.imaptest_mboxes():
        for when, data in read_mbox(mbox):
            account.append("INBOX", data, internal_date=when)
    errors: list[BaseException] = []
    session = IMAPServer(backend, on_error=errors.append, clock=fixed_clock()).connect()
    session.data_to_send()
    session.receive_data(b"L LOGIN user pass\r\nS SELECT INBOX\r\n")
    session.data_to_send()
    for query in QUERIES:
        session.receive_data(b"T " + query + b"\r\n")
        assert session.data_to_send().splitlines()[-1].startswith(b"T OK "), query
    assert errors == []
