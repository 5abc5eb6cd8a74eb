"""The documentation pages generated from the code, and the Sphinx directive
that puts them in.

Each ``*_rst()`` function returns reStructuredText read from the code's own
tables at build time, so the pages cannot drift from the code:

- :func:`states_rst`: the connection state diagram (Graphviz) and table from
  ``imap_sansio._state.TRANSITIONS``, and the states each command is valid
  in, from the grammar's command table;
- :func:`capabilities_rst`: every capability the server can advertise, its
  RFC, when it is offered and which backends support it (the server's
  command table and the optional protocols the backends' accounts implement);
- :func:`cli_rst`: every option of ``imap-sansio``, walking its argparse
  parser;
- :func:`configuration_rst`: every key of the configuration file, from the
  schema in ``adapters/config.py``;
- :func:`conformance_rst`: Dovecot's imaptest scripts, each run as the test
  suite runs it (``tests/test_server_imaptest.py``), with its outcome;
- :func:`benchmarks_rst`: the committed benchmark report
  (``benchmarks/RESULTS.md``, ``benchmarks/results/latest.json``) and plot.

A page says ``.. imap-sansio-generated:: NAME``.  The functions need no
Sphinx, so ``tests/test_docs.py`` checks their content cheaply.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import inspect
import json
import pkgutil
import re
import sys
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
BENCHMARKS = ROOT / "benchmarks"

#: A generated page: its reStructuredText and the files it was read from.
Page = tuple[str, list[Path]]


def _module_file(module: ModuleType) -> Path:
    return Path(module.__file__ or "")


def _escape(text: str) -> str:
    """Plain text (help strings, script messages) as inline reST."""
    for char in "\\*`|_[]":
        text = text.replace(char, "\\" + char)
    return " ".join(text.split())


def _literal(text: str) -> str:
    """``text`` as an inline literal (empty: an em dash)."""
    return f"``{text}``" if text else "\u2014"


def _table(header: list[str], rows: list[list[str]], widths: str | None = None) -> list[str]:
    """A ``list-table`` (cells are reST already)."""
    out = [".. list-table::", "   :header-rows: 1"]
    if widths:
        out.append(f"   :widths: {widths}")
    out.append("")
    for row in [header, *rows]:
        for i, cell in enumerate(row):
            out.append(f"   {'*' if i == 0 else ' '} - {cell}")
    out.append("")
    return out


def _title(text: str, char: str) -> list[str]:
    return [text, char * len(text), ""]


# ---------------------------------------------------------------- states


def state_dot() -> str:
    """Graphviz source for the state diagram: one edge per (state, new
    state), labelled with the tagged answers that take it."""
    from imap_sansio._state import TRANSITIONS, State

    edges: dict[tuple[State, State], list[str]] = {}
    for (state, command, status), new in TRANSITIONS.items():
        edges.setdefault((state, new), []).append(f"{command} {status}")
    lines = [
        "digraph states {",
        '    graph [rankdir=TB, fontname="sans-serif"];',
        '    node [shape=box, style=rounded, fontname="sans-serif"];',
        '    edge [fontname="sans-serif", fontsize=10];',
        '    greeting [label="server greeting", shape=plaintext];',
    ]
    for state in State:
        lines.append(f'    {state.name} [label="{state.value}"];')
    # The start: RFC 3501 3, arrows (1) to (3); the greeting is not a command,
    # so it is not in the table.
    lines.append(f'    greeting -> {State.NOT_AUTHENTICATED.name} [label="OK", style=dashed];')
    lines.append(f'    greeting -> {State.AUTHENTICATED.name} [label="PREAUTH", style=dashed];')
    lines.append(f'    greeting -> {State.LOGOUT.name} [label="BYE", style=dashed];')
    for (state, new), labels in edges.items():
        label = "\\n".join(labels)
        lines.append(f'    {state.name} -> {new.name} [label="{label}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def transition_rows() -> list[tuple[str, str, str, str]]:
    """(state, command, status, new state) for every row of the table."""
    from imap_sansio._state import TRANSITIONS

    return [
        (state.name, command, status, new.name)
        for (state, command, status), new in TRANSITIONS.items()
    ]


def states_rst() -> Page:
    from imap_sansio import _parser, _state
    from imap_sansio._state import State
    from imap_sansio.server import _server

    out = [
        "The engine keeps each connection's state in :attr:`ConnectionState.state",
        "<imap_sansio.ConnectionState.state>` and moves it with one table,",
        "``imap_sansio._state.TRANSITIONS``: (state, command, tagged status) ->",
        "new state (:rfc:`3501#section-3`, :rfc:`9051#section-3`, and",
        "UNAUTHENTICATE from :rfc:`8437`).  The diagram and the tables below are",
        "drawn from that table and from the grammar's command table when the",
        "documentation is built.  Dashed arrows are the greeting (OK, PREAUTH or",
        "BYE); an untagged BYE moves any state to logout, and a ``[CLOSED]``",
        "response code (:rfc:`7162#section-3.2.11`) selected to authenticated,",
        "whatever command is running.",
        "",
        ".. graphviz::",
        "",
        *("   " + line for line in state_dot().splitlines()),
        "",
        *_title("Transitions", "-"),
        "Any answer not listed leaves the state as it is.",
        "",
    ]
    out += _table(
        ["state", "command", "tagged status", "new state"],
        [[_literal(c) for c in row] for row in transition_rows()],
    )
    out += [
        "The same table, asked through :func:`imap_sansio._state.next_state`:",
        "",
        ".. doctest::",
        "",
        "   >>> from imap_sansio import State",
        "   >>> from imap_sansio._state import next_state",
        '   >>> next_state(State.NOT_AUTHENTICATED, "LOGIN", "OK")',
        "   <State.AUTHENTICATED: 'authenticated'>",
        '   >>> next_state(State.SELECTED, "SELECT", "NO")',
        "   <State.AUTHENTICATED: 'authenticated'>",
        '   >>> next_state(State.AUTHENTICATED, "NOOP", "OK")',
        "   <State.AUTHENTICATED: 'authenticated'>",
        "",
    ]
    out += _title("Commands by state", "-")
    out += [
        "Where each command of the grammar is valid (a command sent in another",
        "state is answered ``BAD`` by the engine, and the app never sees it).",
        "*pauses*: the engine reads no pipelined input after it until the app has",
        "answered; *messages*: it names messages by number and has a ``UID`` form;",
        "*server*: :class:`~imap_sansio.server.IMAPServer` answers it (the others",
        "are parsed and answered ``BAD`` unless an application adds a handler).",
        "",
    ]
    states = [s for s in State if s is not State.LOGOUT]
    rows = []
    for name, spec in sorted(_parser.COMMANDS.items()):
        rows.append(
            [
                _literal(name),
                *("yes" if s in spec.states else "" for s in states),
                "yes" if spec.pauses else "",
                "yes" if spec.names_messages else "",
                "yes" if name in _server.SERVER_COMMANDS else "no",
            ]
        )
    out += _table(["command", *(s.value for s in states), "pauses", "messages", "server"], rows)
    return "\n".join(out), [_module_file(_state), _module_file(_parser)]


# ---------------------------------------------------------- capabilities

#: The RFC (or other specification) of every capability the server can
#: advertise.  A capability missing here fails the documentation build, so
#: a new extension cannot be left out of the table.  Keys ending in ``=``
#: cover every value of a family (``AUTH=``, ``APPENDLIMIT=``).
SPECS: dict[str, str] = {
    "IMAP4rev1": ":rfc:`3501`",
    "IMAP4rev2": ":rfc:`9051`",
    "LITERAL+": ":rfc:`7888`",
    "LITERAL-": ":rfc:`7888`",
    "SASL-IR": ":rfc:`4959`",
    "ID": ":rfc:`2971`",
    "ENABLE": ":rfc:`5161`",
    "IDLE": ":rfc:`2177`",
    "STARTTLS": ":rfc:`3501#section-6.2.1`",
    "LOGINDISABLED": ":rfc:`3501#section-6.2.3`",
    "AUTH=PLAIN": ":rfc:`4616`",
    "AUTH=LOGIN": "draft-murchison-sasl-login",
    "AUTH=SCRAM-SHA-1": ":rfc:`5802`",
    "AUTH=SCRAM-SHA-1-PLUS": ":rfc:`5802`, :rfc:`5929`",
    "AUTH=SCRAM-SHA-256": ":rfc:`7677`",
    "AUTH=SCRAM-SHA-256-PLUS": ":rfc:`7677`, :rfc:`5929`",
    "AUTH=OAUTHBEARER": ":rfc:`7628`",
    "AUTH=XOAUTH2": "Google's and Microsoft's XOAUTH2",
    "APPENDLIMIT=": ":rfc:`7889`",
    "COMPRESS=DEFLATE": ":rfc:`4978`",
    "UNAUTHENTICATE": ":rfc:`8437`",
    "UTF8=ACCEPT": ":rfc:`6855`",
    "UIDONLY": ":rfc:`9586`",
    "UNSELECT": ":rfc:`3691`",
    "UIDPLUS": ":rfc:`4315`",
    "NAMESPACE": ":rfc:`2342`",
    "CHILDREN": ":rfc:`3348`",
    "SPECIAL-USE": ":rfc:`6154`",
    "CREATE-SPECIAL-USE": ":rfc:`6154#section-3`",
    "LIST-EXTENDED": ":rfc:`5258`",
    "LIST-STATUS": ":rfc:`5819`",
    "LIST-MYRIGHTS": ":rfc:`8440`",
    "STATUS=SIZE": ":rfc:`8438`",
    "MULTIAPPEND": ":rfc:`3502`",
    "BINARY": ":rfc:`3516`",
    "PREVIEW": ":rfc:`8970`",
    "MOVE": ":rfc:`6851`",
    "ESEARCH": ":rfc:`4731`",
    "SEARCHRES": ":rfc:`5182`",
    "WITHIN": ":rfc:`5032`",
    "SORT": ":rfc:`5256`",
    "SORT=DISPLAY": ":rfc:`5957`",
    "ESORT": ":rfc:`5267#section-3`",
    "CONTEXT=SEARCH": ":rfc:`5267`",
    "CONTEXT=SORT": ":rfc:`5267`",
    "THREAD=": ":rfc:`5256`",
    "QUOTA": ":rfc:`9208`",
    "QUOTA=": ":rfc:`9208`",
    "QUOTASET": ":rfc:`9208`",
    "CONDSTORE": ":rfc:`7162`",
    "QRESYNC": ":rfc:`7162`",
    "INPROGRESS": ":rfc:`9585`",
    "ACL": ":rfc:`4314`",
    "RIGHTS=": ":rfc:`4314`",
    "METADATA": ":rfc:`5464`",
    "METADATA-SERVER": ":rfc:`5464`",
    "PARTIAL": ":rfc:`9394`",
    "MULTISEARCH": ":rfc:`7377`",
    "CATENATE": ":rfc:`4469`",
    "URLAUTH": ":rfc:`4467`",
    "URLAUTH=BINARY": ":rfc:`5524`",
    "URL-PARTIAL": ":rfc:`5550`",
    "NOTIFY": ":rfc:`5465`",
    "OBJECTID": ":rfc:`8474`",
    "SAVEDATE": ":rfc:`8514`",
    "REPLACE": ":rfc:`8508`",
    "SEARCH=FUZZY": ":rfc:`6203`",
    "STATUS=DELETED": ":rfc:`9051`",
    "LANGUAGE": ":rfc:`5255`",
    "FILTERS": ":rfc:`5466`",
    "I18NLEVEL=": ":rfc:`5255`",
    "CONVERT": ":rfc:`5259`",
    "ANNOTATE-EXPERIMENT-1": ":rfc:`5257`",
    "UTF8=ONLY": ":rfc:`6855`",
    "LOGIN-REFERRALS": ":rfc:`2221`",
    "MAILBOX-REFERRALS": ":rfc:`2193`",
    "LIST-METADATA": ":rfc:`9590`",
    "JMAPACCESS": ":rfc:`9698`",
    "MESSAGELIMIT=": ":rfc:`9738`",
    "SAVELIMIT=": ":rfc:`9738`",
}


def spec_of(capability: str) -> str:
    """The specification of ``capability`` (raises ``KeyError`` naming it)."""
    if capability in SPECS:
        return SPECS[capability]
    family, sep, _ = capability.partition("=")
    if sep and family + "=" in SPECS:
        return SPECS[family + "="]
    raise KeyError(f"capability {capability!r} has no specification: add it to SPECS in {__file__}")


#: The stores shipped, as (name, backend class as ``module:name``).
BACKENDS = (
    ("memory", "imap_sansio.server:MemoryBackend"),
    ("Maildir", "imap_sansio.adapters.maildir:MaildirBackend"),
    ("PostgreSQL", "imap_sansio.adapters.postgres_backend:PostgresBackend"),
)


def _load(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _account_class(backend: type) -> type:
    """The account class a backend's ``authenticate`` returns (from its annotation)."""
    hint = typing.get_type_hints(backend.authenticate)["return"]
    options = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
    return typing.cast(type, options[0])


def _implements(account: type, protocol: type) -> bool:
    """Whether instances of ``account`` satisfy the runtime-checkable
    ``protocol`` (as the server's ``isinstance`` check at login)."""
    try:
        return issubclass(account, protocol)
    except TypeError:  # a protocol with data members: look for every member
        members = typing._get_protocol_attrs(protocol)  # type: ignore[attr-defined]
        hints = typing.get_type_hints(account)
        return all(hasattr(account, m) or m in hints for m in members)


def _greeting_capabilities(**connect: bool) -> list[str]:
    from imap_sansio.server import IMAPServer, MemoryBackend
    from imap_sansio.testing import fixed_clock

    server = IMAPServer(MemoryBackend(users={}), clock=fixed_clock())
    line = server.connect(**connect).data_to_send().decode()
    return line.split("[CAPABILITY ", 1)[1].split("]", 1)[0].split()


def capability_rows() -> list[dict[str, str]]:
    """One dict per capability: ``name``, ``spec``, ``offered``, ``commands``
    and one ``yes``/``no`` per backend name (:data:`BACKENDS`)."""
    from imap_sansio.adapters.accounts import scram_mechanisms

    from imap_sansio.server import ClearPasswords, OAuthBearer, XOAuth2, _server

    accounts = {name: _account_class(_load(path)) for name, path in BACKENDS}
    rows: list[dict[str, str]] = []
    seen: set[str] = set()

    def add(name: str, offered: str, commands: str = "", protocol: type | None = None) -> None:
        if name in seen:
            return
        seen.add(name)
        row = {"name": name, "spec": spec_of(name), "offered": offered, "commands": commands}
        for backend, account in accounts.items():
            row[backend] = "yes" if protocol is None or _implements(account, protocol) else "no"
        rows.append(row)

    insecure = _greeting_capabilities(secure=False, tls_available=True)
    secure = _greeting_capabilities(secure=True)
    for name in [*secure, *insecure]:
        if name in secure and name in insecure:
            offered = "always" if name.startswith(("IMAP4", "LITERAL")) else "before login"
        elif name == "STARTTLS":
            offered = "before login, when TLS is configured and not yet active"
        elif name == "LOGINDISABLED":
            offered = "before login, on a transport that is not secure"
        else:
            offered = "before login, on a secure transport (TLS or loopback)"
        add(name, offered)
    for mechanism in [
        *(m.name for m in scram_mechanisms(ClearPasswords({}), plus=True)),
        OAuthBearer.name,
        XOAuth2.name,
    ]:
        needs = "with TLS (channel binding)" if mechanism.endswith("-PLUS") else "on any transport"
        if mechanism in {"OAUTHBEARER", "XOAUTH2"}:
            needs = "on a secure transport"
        add(f"AUTH={mechanism}", f"before login, when given in ``sasl_mechanisms``, {needs}")
    add("APPENDLIMIT=", "after login, with the limit (``Limits.max_append_literal``)")
    by_capability: dict[str, list[str]] = {}
    for name, command in _server.SERVER_COMMANDS.items():
        for capability in command.capabilities:
            by_capability.setdefault(capability, []).append(name)
    for capability in _server.BASE_CAPABILITIES:
        commands = ", ".join(_literal(c) for c in by_capability.get(capability, []))
        if capability in seen:
            for row in rows:
                if row["name"] == capability:
                    row["offered"] += " and after login"
                    row["commands"] = commands
            continue
        add(capability, "after login", commands)
    public = importlib.import_module("imap_sansio.server")
    for capability, protocol in _server.ACCOUNT_CAPABILITIES:
        name = protocol.__qualname__
        home = public.__name__ if getattr(public, name, None) is protocol else protocol.__module__
        add(
            capability,
            f"after login, when the account implements :class:`~{home}.{name}`",
            protocol=protocol,
        )
    add("INPROGRESS", "after login, with ``IMAPServer(progress_interval=N)``")
    # Whatever else a logged-in session is offered (a capability decided
    # some other way than the tables above) still gets its row.
    for name in _session_capabilities():
        family = name.partition("=")[0] + "="
        if name not in seen and not (family in seen and family in SPECS):
            add(name, "after login (seen in a session over the memory store)")
            for backend in accounts:
                rows[-1][backend] = "yes" if backend == BACKENDS[0][0] else "not checked"
    return rows


def _session_capabilities() -> list[str]:
    """The CAPABILITY answer of a logged-in session over MemoryBackend."""
    from imap_sansio.server import IMAPServer, MemoryBackend
    from imap_sansio.testing import fixed_clock

    server = IMAPServer(MemoryBackend(users={"u": "p"}), clock=fixed_clock())
    session = server.connect()
    session.data_to_send()
    session.receive_data(b"1 LOGIN u p\r\n2 CAPABILITY\r\n")
    for line in session.data_to_send().decode().splitlines():
        if line.startswith("* CAPABILITY "):
            return line.split()[2:]
    raise AssertionError("no CAPABILITY answer")


def capabilities_rst() -> Page:
    from imap_sansio.server import _backend, _server

    rows = capability_rows()
    names = [name for name, _ in BACKENDS]
    out = [
        "Every capability :class:`~imap_sansio.server.IMAPServer` can advertise,",
        "read from its command table (the capabilities each handler module",
        "declares beside its commands), from the optional protocols of",
        ":mod:`imap_sansio.server` that bring capabilities when an account",
        "implements them, and from the greetings of a server on a secure and an",
        "insecure transport.  *stores*: the stores shipped (memory, Maildir,",
        "PostgreSQL) whose account class implements what the capability needs.",
        "The specification column is",
        "the one list kept by hand (``SPECS`` in ``docs/_ext/imap_sansio_docs.py``):",
        "a capability missing from it fails the build.",
        "",
    ]
    out += _table(
        ["capability", "specification", "offered", "commands", "stores"],
        [
            [_literal(r["name"]), r["spec"], r["offered"], r["commands"], _stores(r, names)]
            for r in rows
        ],
        widths="22 16 32 16 14",
    )
    out += [
        "Commands the grammar knows but the server does not answer (``BAD``",
        "unless an application adds a handler with",
        ":meth:`~imap_sansio.server.IMAPServer.add_command`):",
        (", ".join(_literal(n) for n in _unanswered()) or "none") + ".",
        "",
    ]
    return "\n".join(out), [_module_file(_server), _module_file(_backend)]


def _stores(row: dict[str, str], names: list[str]) -> str:
    """The stores of :data:`BACKENDS` whose accounts support a capability."""
    yes = [name for name in names if row[name] == "yes"]
    return "all" if yes == names else ", ".join(yes) or "none"


def _unanswered() -> list[str]:
    from imap_sansio import _parser
    from imap_sansio.server import _server

    return sorted(set(_parser.COMMANDS) - set(_server.SERVER_COMMANDS))


# ------------------------------------------------------------------ CLI


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _option_signature(action: argparse.Action, formatter: argparse.HelpFormatter) -> str:
    if not action.option_strings:
        return formatter._metavar_formatter(action, action.dest.upper())(1)[0]
    if action.nargs == 0:
        return ", ".join(action.option_strings)
    metavar = formatter._format_args(action, action.dest.upper())
    return ", ".join(f"{option} {metavar}" for option in action.option_strings)


def cli_rst() -> Page:
    from imap_sansio.adapters import cli, config

    parser = cli.build_parser()
    keys = {
        f.metadata["flag"]: f"{section}.{f.name}" if section else f.name
        for section, cls in config._SECTIONS
        for f in config._leaves(cls)
    }
    out = [
        "Every option of the ``imap-sansio`` program, read from its argparse",
        "parser (:func:`imap_sansio.adapters.cli.build_parser`) when the",
        "documentation is built.  Every option of ``serve`` but ``--config`` and",
        "``-v`` is also a key of the configuration file, in the table shown in its",
        "group's title (see :doc:`configuration`).",
        "",
        ".. code-block:: text",
        "",
        *("   " + line for line in parser.format_usage().splitlines()),
        "",
    ]
    for name, sub in _subcommands(parser).items():
        program = f"imap-sansio {name}"
        formatter = sub._get_formatter()
        out += _title(f"``{program}``", "-")
        out += [f".. program:: {program}", ""]
        if sub.description:
            out += [_escape(sub.description), ""]
        out += [".. code-block:: text", ""]
        out += ["   " + line for line in sub.format_usage().splitlines()]
        out.append("")
        for group in sub._action_groups:
            actions = [a for a in group._group_actions if a.help is not argparse.SUPPRESS]
            actions = [a for a in actions if not isinstance(a, argparse._HelpAction)]
            if not actions:
                continue
            if group.title not in {"positional arguments", "options"}:
                out += _title(group.title or "", "~")
                if group.description:
                    out += [_escape(group.description), ""]
            for action in actions:
                out += [f".. option:: {_option_signature(action, formatter)}", ""]
                text = formatter._expand_help(action) if action.help else ""
                out += ["   " + _escape(text), ""]
                if action.choices and not isinstance(action.choices, dict):
                    choices = ", ".join(_literal(str(c)) for c in action.choices)
                    out += [f"   One of {choices}.", ""]
                key = next((keys[o] for o in action.option_strings if o in keys), None)
                if name == "serve" and key:
                    out += [f"   The configuration file's :confval:`{key}`.", ""]
    return "\n".join(out), [_module_file(cli), _module_file(config)]


# ------------------------------------------------------------ configuration


def config_keys() -> list[tuple[str, str, str, str, str]]:
    """(table, key, type, default, flag) for every setting of the schema."""
    from imap_sansio.adapters import config

    keys = []
    for section, cls in config._SECTIONS:
        hints = typing.get_type_hints(cls)
        for f in config._leaves(cls):
            keys.append(
                (
                    section or "",
                    f.name,
                    _type_name(hints[f.name]),
                    config._toml(f.default) if f.default is not None else "",
                    f.metadata["flag"],
                )
            )
    return keys


def _type_name(hint: Any) -> str:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) is tuple:
        return "list of strings"
    if args and len(args) < len(typing.get_args(hint)):
        return _type_name(args[0]) + " (optional)"
    return {str: "string", int: "integer", float: "number", bool: "boolean"}.get(hint, str(hint))


def configuration_rst() -> Page:
    from imap_sansio.adapters import config

    out = [
        "``imap-sansio serve --config FILE`` reads a TOML file with one table per",
        "section and ``runtime`` at the top; ``imap-sansio check-config FILE``",
        "checks one and prints the settings in force.  Every key below is also",
        "an option of ``serve`` (flags override the file), both read from one",
        "schema (:mod:`imap_sansio.adapters.config`) when the documentation is",
        "built.  An unknown key, or a value of the wrong type, stops the server",
        "with a message naming the key.",
        "",
    ]
    helps = {
        (section or "", f.name): f.metadata
        for section, cls in config._SECTIONS
        for f in config._leaves(cls)
    }
    docs = {section or "": cls.__doc__ or "" for section, cls in config._SECTIONS}
    defaults = {
        (section or "", f.name): f.default
        for section, cls in config._SECTIONS
        for f in config._leaves(cls)
    }
    current = None
    for table, key, kind, default, flag in config_keys():
        if table != current:
            current = table
            out += _title(f"[{table}]" if table else "Top level", "-")
            doc = docs[table].strip()
            if table and doc:
                out += [_escape(doc), ""]
        meta = helps[(table, key)]
        # As the option's help shows it (adapters/config.py, _add_flag).
        value = defaults[(table, key)]
        shown = ",".join(value) if isinstance(value, tuple) else str(value)
        help_text = meta["help"].replace("%(default)s", shown)
        out += [
            f".. confval:: {f'{table}.{key}' if table else key}",
            f"   :type: {kind}",
            f"   :default: {_literal(default) if default else 'not set'}",
            "",
            f"   {_escape(help_text)}",
            "",
        ]
        facts = [f"Option: :option:`imap-sansio serve {flag}`"]
        if meta["choices"]:
            facts.append("one of " + ", ".join(_literal(c) for c in meta["choices"]))
        if meta["secret"]:
            facts.append("redacted by ``check-config``")
        out += ["   " + "; ".join(facts) + ".", ""]
    out += _title("The defaults as a file", "-")
    out += [
        "What ``check-config`` prints for an empty file:",
        "",
        ".. code-block:: toml",
        "",
        *("   " + line if line else "" for line in config.dump(config.merge()).splitlines()),
        "",
    ]
    return "\n".join(out), [_module_file(config)]


# ------------------------------------------------------------- conformance


@contextlib.contextmanager
def _tests_on_path() -> Iterator[None]:
    sys.path.insert(0, str(TESTS))
    try:
        yield
    finally:
        sys.path.remove(str(TESTS))


def _imaptest_module() -> ModuleType:
    """``tests/test_server_imaptest.py``, imported as the test suite does."""
    path = TESTS / "test_server_imaptest.py"
    spec = importlib.util.spec_from_file_location("_docs_test_server_imaptest", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with _tests_on_path():
        spec.loader.exec_module(module)
    return module


def conformance_results(names: list[str] | None = None) -> list[tuple[str, str, str]]:
    """(script, outcome, message) for every imaptest script (or ``names``): each runs
    through the test suite's own test function, and its outcome is the one
    pytest would report (``passed``, ``skipped``, ``xfailed`` for the
    scripts declared wrong, ``failed``, ``xpassed``)."""
    import pytest

    module = _imaptest_module()
    gaps: dict[str, str] = module._SCRIPT_BUGS
    results = []
    with _tests_on_path():
        for name in module.paths.imaptest_scripts() if names is None else names:
            try:
                module.test_imaptest_script(name)
            except pytest.skip.Exception as exc:
                outcome, message = "skipped", str(exc.msg)
            except (pytest.fail.Exception, AssertionError) as exc:
                message = str(getattr(exc, "msg", exc))
                outcome = "xfailed" if name in gaps else "failed"
                if name in gaps:
                    message = gaps[name]
            else:
                outcome, message = ("xpassed", gaps[name]) if name in gaps else ("passed", "")
            results.append((name, outcome, message))
    return results


def conformance_rst() -> Page:
    results = conformance_results()
    counts: dict[str, int] = {}
    for _, outcome, _ in results:
        counts[outcome] = counts.get(outcome, 0) + 1
    summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
    out = [
        "Dovecot's imaptest (MIT licence) comes with scripts that state, command",
        "by command, what an IMAP server must answer.  The test suite runs each",
        "one against :class:`~imap_sansio.server.IMAPServer` over",
        ":class:`~imap_sansio.server.MemoryBackend` with",
        ":func:`imap_sansio.testing.run_script`",
        "(``tests/test_server_imaptest.py``, scripts in ``tests/data/imaptest/``).",
        "This page ran the same test function on every script when the",
        "documentation was built: a script is *skipped* when it needs an",
        "extension the server does not implement, and *xfailed* when the",
        "script itself is wrong, checked against imaptest's source (both lists",
        "are kept in the test file, and fail the suite the day they are wrong).",
        "",
        f"**{len(results)} scripts: {summary}.**",
        "",
    ]
    out += _table(
        ["script", "outcome", "why"],
        [[_literal(n), o, _escape(m)] for n, o, m in results],
        widths="25 10 65",
    )
    return "\n".join(out), [TESTS / "test_server_imaptest.py", TESTS / "data" / "SHA256SUMS"]


# -------------------------------------------------------------- benchmarks


def benchmarks_rst() -> Page:
    latest = BENCHMARKS / "results" / "latest.json"
    report = BENCHMARKS / "RESULTS.md"
    plot = BENCHMARKS / "cost_per_unit.png"
    # The runner's plot, and any other plot a results run left there.
    plots = sorted(BENCHMARKS.glob("*.png")) + sorted((BENCHMARKS / "results").glob("*.png"))
    payload = json.loads(latest.read_text("utf-8"))
    machine = payload["machine"]
    suites = payload["results"]
    runs = payload.get("runs", {})
    rows = [
        [
            _literal(suite),
            str(len(items)),
            _escape(runs.get(suite, {}).get("date", machine["date"])),
            _escape(runs.get(suite, {}).get("load", "?")),
        ]
        for suite, items in suites.items()
    ]
    out = [
        "The latest committed run of ``python -m benchmarks`` (install the",
        "``bench`` extra; ``--quick`` takes about a minute, ``--output",
        "benchmarks`` rewrites the files this page is built from:",
        "``benchmarks/RESULTS.md``, ``benchmarks/results/latest.json`` and the",
        "plot).",
        "",
        f"Machine: {_escape(machine['implementation'])} {_escape(machine['python'])},",
        f"{_escape(machine['cpu'])} ({_escape(str(machine['cores']))} cores),",
        f"{_escape(machine['system'])}.  Each suite's rows come from its own latest run",
        "(``--only`` replaces those suites' rows and keeps the others'), with the load",
        "average of the whole machine over it.",
        "",
    ]
    out += _table(["suite", "rows", "run", "load average"], rows)
    for figure in plots:
        where = figure.relative_to(ROOT).as_posix()
        out += [
            f".. figure:: /../{where}",
            f"   :alt: {figure.stem.replace('_', ' ')}",
            "",
            f"   ``{where}``"
            + (": cost per unit at sizes 10x apart; flat is linear." if figure == plot else ""),
            "",
        ]
    out += [
        f".. include:: /{Path('..') / report.relative_to(ROOT)}",
        "   :parser: myst_parser.sphinx_",
        "",
    ]
    return "\n".join(out), [latest, report, *plots]


# ------------------------------------------------------------- API reference


def _is_autodoc_member(module: ModuleType, name: str) -> bool:
    """Whether ``automodule`` finds ``name`` itself: classes and functions
    that ``dir(module)`` lists (a lazy ``__getattr__`` without ``__dir__``
    hides them), and data the module assigns with a comment or annotation."""
    from sphinx.pycode import ModuleAnalyzer

    obj = getattr(module, name)
    if inspect.isclass(obj) or inspect.isroutine(obj):
        return name in dir(module)
    # Data: autodoc documents what the module itself assigns with a ``#:``
    # comment or an annotation.
    if name in getattr(module, "__annotations__", {}):
        return True
    try:
        return ("", name) in ModuleAnalyzer.for_module(module.__name__).find_attr_docs()
    except Exception:
        return False


def _attribute_doc(module: ModuleType, name: str) -> list[str]:
    """The ``#:`` comment of ``name`` where it is assigned: ``module`` or any
    loaded module of the project that holds the same object under that name."""
    from sphinx.pycode import ModuleAnalyzer

    obj = getattr(module, name)
    root = module.__name__.split(".")[0]
    homes = [
        module.__name__,
        *sorted(
            m
            for m, loaded in list(sys.modules.items())
            if m.startswith(root + ".") and getattr(loaded, name, None) is obj
        ),
    ]
    for home in homes:
        try:
            docs = ModuleAnalyzer.for_module(home).find_attr_docs()
        except Exception:
            continue
        if ("", name) in docs:
            return [line for line in docs[("", name)] if line.strip() or line == ""]
    return []


def _short_repr(obj: Any) -> str:
    text = obj if isinstance(obj, str) else repr(obj)
    # Module paths add nothing to a type alias's members.
    text = re.sub(r"\b(?:[a-z_]\w*\.)+(?=[A-Za-z_])", "", text)
    return " ".join(text.split())


def module_rst(modname: str, exclude: tuple[str, ...] = ()) -> str:
    """``automodule`` for ``modname`` (its ``__all__``), plus an entry for
    each public name that autodoc would leave out: constants and type
    aliases (re-exported from a private module, so autodoc finds no source
    for them) and names a lazy ``__getattr__`` provides."""
    module = importlib.import_module(modname)
    out = [f".. automodule:: {modname}"]
    if exclude:
        out.append(f"   :exclude-members: {', '.join(exclude)}")
    out.append("")
    for name in getattr(module, "__all__", []):
        obj = getattr(module, name)
        if name in exclude or inspect.ismodule(obj) or _is_autodoc_member(module, name):
            continue
        if inspect.isclass(obj):
            out += [f".. autoclass:: {modname}.{name}", ""]
            continue
        value = _short_repr(obj)
        out += [f".. py:data:: {name}", f"   :module: {modname}"]
        if len(value) <= 300:
            out.append(f"   :value: {value}")
        out.append("")
        out += ["   " + line if line else "" for line in rfc_links(_attribute_doc(module, name))]
        out.append("")
    return "\n".join(out)


def submodules_rst(package: str) -> str:
    """A section per public submodule of ``package`` (found on disk, so a
    new module gets its reference without anyone listing it)."""
    module = importlib.import_module(package)
    out: list[str] = []
    for info in sorted(pkgutil.iter_modules(module.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        name = f"{package}.{info.name}"
        out += ["", *_title(f"``{name}``", "-"), f".. imap-sansio-module:: {name}", ""]
    return "\n".join(out)


def module_names(modname: str) -> list[str]:
    """The public names of ``modname`` that :func:`module_rst` documents."""
    module = importlib.import_module(modname)
    return [
        name
        for name in getattr(module, "__all__", [])
        if not inspect.ismodule(getattr(module, name))
    ]


# ------------------------------------------------------------- RFC links

#: "RFC 3501", "RFC 3501 7.4.1", "RFC 9051 section 6.3" in running text.
_RFC = re.compile(r"(?<![\w`:/.-])RFC (\d{3,4})(?: (?:[Ss]ection )?(\d+(?:\.\d+)*)(?![\w.]\w))?")
#: Inline literals, roles and interpreted text: left as they are.
_INLINE = re.compile(r"(``.+?``|:\w+:`[^`]*`|`[^`]*`_{0,2})")


def _rfc_role(match: re.Match[str]) -> str:
    number, section = match.groups()
    return (
        f":rfc:`RFC {number} {section} <{number}#section-{section}>`"
        if section
        else (f":rfc:`{number}`")
    )


_WRAPPED_RFC = re.compile(r"(?<![\w`:/.-])RFC \d{3,4}$")
_SECTION_START = re.compile(r"(\d+(?:\.\d+)*)(?=[\s).,;:]|$)")


def _join_wrapped_sections(lines: list[str]) -> list[str]:
    """Bring a section number that a line break took from its "RFC NNNN"
    back onto the RFC's line (the rest of the paragraph stays)."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        after = lines[i + 1] if i + 1 < len(lines) else ""
        indent = len(line) - len(line.lstrip())
        section = _SECTION_START.match(after.lstrip())
        if _WRAPPED_RFC.search(line) and section and len(after) - len(after.lstrip()) == indent:
            out.append(f"{line} {section.group(1)}")
            rest = after.lstrip()[section.end() :].lstrip()
            if rest:
                out.append(" " * indent + rest)
            i += 2
            continue
        out.append(lines[i])
        i += 1
    return out


def rfc_links(lines: list[str]) -> list[str]:
    """Docstring ``lines`` with each RFC reference in running text as an
    ``:rfc:`` role (a link to the section, when one is named).  Literal
    blocks, doctest lines, inline literals and roles are left alone."""
    lines = _join_wrapped_sections(lines)
    out: list[str] = []
    literal_indent: int | None = None  # inside a literal block deeper than this
    for line in lines:
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if literal_indent is not None:
            if not stripped or indent > literal_indent:
                out.append(line)
                continue
            literal_indent = None
        if stripped.startswith((">>>", "...", "..")):
            out.append(line)
        else:
            parts = _INLINE.split(line)
            out.append(
                "".join(
                    part if i % 2 else _RFC.sub(_rfc_role, part) for i, part in enumerate(parts)
                )
            )
        if line.rstrip().endswith("::"):
            literal_indent = indent
    return out


def _docstring_rfc_links(*event: Any) -> None:
    """``autodoc-process-docstring`` (app, what, name, obj, options, lines)."""
    lines: list[str] = event[5]
    lines[:] = rfc_links(lines)


# ------------------------------------------------------------------ Sphinx

GENERATORS: dict[str, Callable[[], Page]] = {
    "states": states_rst,
    "capabilities": capabilities_rst,
    "cli": cli_rst,
    "configuration": configuration_rst,
    "conformance": conformance_rst,
    "benchmarks": benchmarks_rst,
}


#: The modules whose every public name the reference must show.
REFERENCE_MODULES = (
    "imap_sansio",
    "imap_sansio.commands",
    "imap_sansio.responses",
    "imap_sansio.server",
    "imap_sansio.server.names",
    "imap_sansio.mime",
    "imap_sansio.testing",
    "imap_sansio.adapters",
)


def _public_modules() -> list[str]:
    """:data:`REFERENCE_MODULES` and the public submodules of the testing
    and adapters packages."""
    names = list(REFERENCE_MODULES)
    for package in ("imap_sansio.testing", "imap_sansio.adapters"):
        path = importlib.import_module(package).__path__
        names += [f"{package}.{i.name}" for i in pkgutil.iter_modules(path) if i.name[0] != "_"]
    return names


def _check_reference(app: Any, env: Any) -> None:
    """After reading: warn (an error under ``-W``) for each public name of a
    public module that no page documents under that module's name."""
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    objects = env.get_domain("py").objects
    modules = {name: importlib.import_module(name) for name in _public_modules()}
    # A name re-exported by two modules is documented once (``:exclude:``),
    # under either; any documented entry of the same object counts.
    documented = {id(_resolve(name)) for name in objects if _resolve(name) is not None}
    for modname, module in modules.items():
        for name in module_names(modname):
            if f"{modname}.{name}" in objects:
                continue
            if not isinstance(getattr(module, name), type) or id(getattr(module, name)) not in (
                documented
            ):
                logger.warning("%s.%s is public but not in the reference", modname, name)


def _resolve(fullname: str) -> Any:
    """The object a documented name stands for (None for attributes and
    anything else that is not a module member)."""
    modname, _, name = fullname.rpartition(".")
    module = sys.modules.get(modname)
    return getattr(module, name, None) if module is not None else None


def setup(app: Any) -> dict[str, Any]:
    from sphinx.util.docutils import SphinxDirective

    class Generated(SphinxDirective):
        """``.. imap-sansio-generated:: NAME``: the page :data:`GENERATORS` makes."""

        required_arguments = 1

        def run(self) -> list[Any]:
            name = self.arguments[0]
            text, sources = GENERATORS[name]()
            for source in [Path(__file__), *sources]:
                self.env.note_dependency(str(source))
            self.state_machine.insert_input(text.splitlines(), f"<generated: {name}>")
            return []

    class Module(SphinxDirective):
        """``.. imap-sansio-module:: MODULE``: every public name of MODULE
        (``:exclude:`` names documented on another page)."""

        required_arguments = 1
        option_spec: typing.ClassVar[dict[str, Callable[[str], Any]]] = {
            "exclude": lambda text: tuple(text.replace(",", " ").split())
        }

        def run(self) -> list[Any]:
            modname = self.arguments[0]
            text = module_rst(modname, self.options.get("exclude", ()))
            self.state_machine.insert_input(text.splitlines(), f"<module: {modname}>")
            return []

    class Submodules(SphinxDirective):
        """``.. imap-sansio-submodules:: PACKAGE``: a section for each public
        submodule of PACKAGE."""

        required_arguments = 1

        def run(self) -> list[Any]:
            package = self.arguments[0]
            text = submodules_rst(package)
            self.state_machine.insert_input(text.splitlines(), f"<submodules: {package}>")
            return []

    app.connect("autodoc-process-docstring", _docstring_rfc_links)
    app.connect("env-check-consistency", _check_reference)
    app.add_directive("imap-sansio-generated", Generated)
    app.add_directive("imap-sansio-module", Module)
    app.add_directive("imap-sansio-submodules", Submodules)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


__all__ = [
    "GENERATORS",
    "SPECS",
    "benchmarks_rst",
    "capabilities_rst",
    "capability_rows",
    "cli_rst",
    "config_keys",
    "configuration_rst",
    "conformance_results",
    "conformance_rst",
    "module_names",
    "module_rst",
    "rfc_links",
    "setup",
    "spec_of",
    "state_dot",
    "states_rst",
    "submodules_rst",
    "transition_rows",
]
