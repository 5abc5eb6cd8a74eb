"""The transcript helper (imap_sansio.testing.transcript) and transcripts from the RFCs."""

from __future__ import annotations

import doctest

import pytest

import imap_sansio.testing.transcript as transcript_module
from imap_sansio.server import IMAPServer, MemoryBackend
from imap_sansio.testing import fixed_clock
from imap_sansio.testing.transcript import TranscriptError, TranscriptMismatch, play


def _server() -> IMAPServer:
    return IMAPServer(MemoryBackend(users={"alice": "secret"}), clock=fixed_clock())


LOGIN_SELECT = """
    C: a1 LOGIN alice secret
    S: a1 OK $ANY
    C: a2 SELECT INBOX
    S: * FLAGS ($ANY)
    S: * $NUMBER EXISTS
    S: * $NUMBER RECENT
    S: * OK [UIDVALIDITY $UIDVALIDITY] UIDs valid
    S: * OK [UIDNEXT $NUMBER] Predicted next UID
    S: * OK [PERMANENTFLAGS ($ANY)] Flags permitted
    S: a2 OK [READ-WRITE] SELECT completed
"""


def test_the_module_docstring_example_runs() -> None:
    result = doctest.testmod(transcript_module)
    assert result.attempted > 0
    assert result.failed == 0


def test_a_mismatch_names_the_line_and_shows_expected_and_got() -> None:
    with pytest.raises(TranscriptMismatch) as info:
        play(_server(), "C: a1 LOGIN alice secret\nS: a1 NO LOGIN failed\n")
    message = str(info.value)
    assert message.startswith("transcript line 2 (S1): mismatch\n")
    assert "  expected: a1 NO LOGIN failed\n" in message
    assert "  got:      a1 OK [CAPABILITY " in message
    assert "C1: a1 LOGIN alice secret" in message  # the context played so far


def test_missing_output_is_reported() -> None:
    with pytest.raises(TranscriptMismatch, match=r"line 3 \(S1\): the server sent nothing more"):
        play(_server(), "C: a1 LOGIN alice secret\nS: a1 OK $ANY\nS: * 1 EXISTS\n")


def test_unread_output_at_the_end_is_reported() -> None:
    with pytest.raises(TranscriptMismatch, match="connection 1 has unread output"):
        play(_server(), "C: a1 LOGIN alice secret\n")
    assert play(_server(), "C: a1 LOGIN alice secret\n", check_end=False) == {}


def test_the_greeting_can_be_checked() -> None:
    play(
        _server(), "S: * OK [CAPABILITY IMAP4rev1 $ANY] imap-sansio ready.\n", include_greeting=True
    )


def test_bound_values_are_reused_in_later_lines_and_commands() -> None:
    bound = play(
        _server(),
        LOGIN_SELECT
        + """
        C: a3 APPEND INBOX {5}
        S: + $ANY
        C: hello
        S: * 1 EXISTS
        S: * 1 RECENT
        S: a3 OK [APPENDUID $UIDVALIDITY $UID] APPEND completed
        C: a4 UID FETCH $UID (RFC822.SIZE BODY.PEEK[])
        S: * 1 FETCH (UID $UID RFC822.SIZE 5 BODY[] {5}
        S: hello)
        S: a4 OK $ANY
        """,
    )
    assert bound == {"UIDVALIDITY": "1", "UID": "1"}
    with pytest.raises(TranscriptMismatch) as info:
        play(_server(), LOGIN_SELECT + "C: a3 NOOP\nS: a3 OK UIDVALIDITY=$UIDVALIDITY\n")
    assert "  expected: a3 OK UIDVALIDITY=1\n" in str(info.value)
    assert "  (written:  a3 OK UIDVALIDITY=$UIDVALIDITY)" in str(info.value)


def test_a_malformed_transcript_is_an_error_not_a_mismatch() -> None:
    with pytest.raises(TranscriptError, match="line 1"):
        play(_server(), "X: hello\n")
    with pytest.raises(TranscriptError, match=r"\$UID is used before"):
        play(_server(), "C: a1 FETCH $UID FLAGS\n")


def test_dollar_escapes_and_keywords_are_literal() -> None:
    play(
        _server(),
        LOGIN_SELECT
        + """
        C: a3 APPEND INBOX ($$HIGH $Forwarded) {1}
        S: + $ANY
        C: x
        S: * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded $$HIGH)
        S: * 1 EXISTS
        S: * 1 RECENT
        S: a3 OK $ANY
        C: a4 FETCH 1 (FLAGS)
        S: * 1 FETCH (FLAGS ($Forwarded $$HIGH \\Recent))
        S: a4 OK $ANY
        """,
    )


# ------------------------------------------------------------ RFC examples


def test_idle_reports_another_sessions_append_when_polled() -> None:
    """RFC 2177 3: updates arrive during IDLE; DONE ends it with the tagged OK."""
    play(
        _server(),
        LOGIN_SELECT.replace("C:", "C1:").replace("S:", "S1:")
        + """
        C1: a3 IDLE
        S1: + idling
        C2: b1 LOGIN alice secret
        S2: b1 OK $ANY
        C2: b2 APPEND INBOX {1}
        S2: + $ANY
        C2: x
        S2: b2 OK [APPENDUID $UIDVALIDITY 1] APPEND completed
        P1:
        S1: * 1 EXISTS
        S1: * 1 RECENT
        C1: DONE
        S1: a3 OK IDLE terminated
        """,
    )


def test_adjacent_expunges_are_numbered_as_rfc_3501_7_4_1_shows() -> None:
    """RFC 3501 7.4.1: deleting messages 3, 4, 7 and 11 gives 3, 3, 5, 8."""
    appends = "".join(
        f"C: p{i} APPEND INBOX {{1}}\nS: + $ANY\nC: {i % 10}\nS: * {i} EXISTS\n"
        f"S: * {i} RECENT\nS: p{i} OK $ANY\n"
        for i in range(1, 12)
    )
    play(
        _server(),
        LOGIN_SELECT
        + appends
        + """
        C: a3 STORE 3,4,7,11 +FLAGS.SILENT (\\Deleted)
        S: a3 OK $ANY
        C: a4 EXPUNGE
        S: * 3 EXPUNGE
        S: * 3 EXPUNGE
        S: * 5 EXPUNGE
        S: * 8 EXPUNGE
        S: a4 OK EXPUNGE completed
        """,
    )
