"""The documentation's generated pages say what the code's tables say.

``docs/_ext/imap_sansio_docs.py`` writes the state diagram, the capability
table, the CLI and configuration reference, the conformance and benchmark
pages from the code when Sphinx builds the site (``.ci/run``).  These tests
run the generators without Sphinx and check rows taken from the RFCs and
from the parser, so a generator that breaks or drifts fails the default run.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    path = DOCS / "_ext" / "imap_sansio_docs.py"
    spec = importlib.util.spec_from_file_location("imap_sansio_docs", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_state_table_has_login_from_not_authenticated_to_authenticated(gen: ModuleType) -> None:
    rows = gen.transition_rows()
    # RFC 3501 3, arrow (4): a successful LOGIN.
    assert ("NOT_AUTHENTICATED", "LOGIN", "OK", "AUTHENTICATED") in rows
    # RFC 3501 6.3.1: a failed SELECT leaves the selected state.
    assert ("SELECTED", "SELECT", "NO", "AUTHENTICATED") in rows
    dot = gen.state_dot()
    assert 'NOT_AUTHENTICATED -> AUTHENTICATED [label="LOGIN OK\\nAUTHENTICATE OK"];' in dot
    text, _sources = gen.states_rst()
    assert ".. graphviz::" in text
    assert "   * - ``NOT_AUTHENTICATED``\n     - ``LOGIN``\n     - ``OK``\n" in text


def test_command_table_says_where_each_command_is_valid(gen: ModuleType) -> None:
    text, _sources = gen.states_rst()
    # RFC 3501 6.2.3: LOGIN only before authentication; 6.4.5: FETCH only
    # when selected, and it names messages.
    assert "   * - ``LOGIN``\n     - yes\n     - \n     - \n     - yes\n" in text
    assert "   * - ``FETCH``\n     - \n     - \n     - yes\n     - \n     - yes\n" in text


def test_capability_table_names_rfc_and_backends(gen: ModuleType) -> None:
    rows = {row["name"]: row for row in gen.capability_rows()}
    move = rows["MOVE"]
    assert move["spec"] == ":rfc:`6851`"
    assert move["commands"] == "``MOVE``"
    assert (move["memory"], move["Maildir"], move["PostgreSQL"]) == ("yes", "yes", "yes")
    # An optional protocol: offered where the account implements it.
    assert "QuotaAccount" in rows["QUOTA"]["offered"]
    assert rows["STARTTLS"]["offered"].startswith("before login")
    assert rows["LOGINDISABLED"]["spec"] == ":rfc:`3501#section-6.2.3`"
    assert rows["AUTH=SCRAM-SHA-256"]["spec"] == ":rfc:`7677`"


def test_every_capability_the_server_can_advertise_has_a_specification(
    gen: ModuleType,
) -> None:
    from imap_sansio.server import _server

    for name in [*_server.BASE_CAPABILITIES, *(c for c, _ in _server.ACCOUNT_CAPABILITIES)]:
        assert gen.spec_of(name)
    names = {row["name"] for row in gen.capability_rows()}
    for name in gen._session_capabilities():  # what a logged-in client is offered
        assert name in names or name.partition("=")[0] + "=" in names, name
    with pytest.raises(KeyError, match="XNOSUCH"):
        gen.spec_of("XNOSUCH")


def test_cli_page_has_every_option_of_serve(gen: ModuleType) -> None:
    from imap_sansio.adapters.cli import build_parser

    text, _sources = gen.cli_rst()
    assert ".. program:: imap-sansio serve" in text
    assert (
        ".. option:: --port PORT\n\n"
        "   plain/STARTTLS port (default 1143; 0: any free)\n\n"
        "   The configuration file's :confval:`listen.port`.\n"
    ) in text
    assert ".. option:: --runtime {asyncio,trio,threads}" in text
    assert ".. option:: -s SCHEME, --scheme SCHEME" in text
    serve = gen._subcommands(build_parser())["serve"]
    for action in serve._actions:
        for option in action.option_strings:
            if option not in {"-h", "--help"}:
                assert option in text, option


def test_configuration_page_has_every_key_of_the_schema(gen: ModuleType) -> None:
    keys = gen.config_keys()
    assert ("listen", "port", "integer", "1143", "--port") in keys
    assert ("", "runtime", "string (optional)", "", "--runtime") in keys
    text, _sources = gen.configuration_rst()
    assert "[limits]\n--------" in text
    assert ".. confval:: limits.max_connections\n   :type: integer\n" in text
    assert "Option: :option:`imap-sansio serve --max-connections`" in text
    assert "   [listen]\n   host = " in text  # the defaults as a file


def test_conformance_page_reports_each_script_as_the_test_suite_does(gen: ModuleType) -> None:
    results = gen.conformance_results(["append", "catenate", "append-binary"])
    assert results[0] == ("append", "passed", "")
    assert results[1] == ("catenate", "passed", "")
    assert results[2][:2] == ("append-binary", "xfailed")
    assert "contradicts itself" in results[2][2]


def test_benchmarks_page_includes_the_committed_report(gen: ModuleType) -> None:
    text, sources = gen.benchmarks_rst()
    assert ".. include:: /../benchmarks/RESULTS.md" in text
    assert "   * - ``core``\n" in text
    assert all(path.exists() for path in sources)


def test_docstring_rfc_references_become_rfc_roles_outside_literals(gen: ModuleType) -> None:
    lines = [
        "No EXPUNGE during FETCH (RFC 3501 7.4.1); see RFC 9051.",
        "``RFC 3501`` stays, and so does :rfc:`3501`::",
        "",
        "    RFC 3501 in a literal block",
        ">>> 'RFC 3501'",
    ]
    assert gen.rfc_links(lines) == [
        "No EXPUNGE during FETCH (:rfc:`RFC 3501 7.4.1 <3501#section-7.4.1>`); see :rfc:`9051`.",
        *lines[1:],
    ]


def test_a_section_number_wrapped_to_the_next_line_is_linked_too(gen: ModuleType) -> None:
    lines = ["its superiors first (RFC 3501", "6.3.3).  Then"]
    assert gen.rfc_links(lines) == [
        "its superiors first (:rfc:`RFC 3501 6.3.3 <3501#section-6.3.3>`",
        ").  Then",
    ]


def test_reference_lists_every_public_adapters_module_and_no_private_one(
    gen: ModuleType,
) -> None:
    text = gen.submodules_rst("imap_sansio.adapters")
    assert ".. imap-sansio-module:: imap_sansio.adapters.cli\n" in text
    assert ".. imap-sansio-module:: imap_sansio.adapters.maildir\n" in text
    assert "_driver" not in text
