"""Each command's arguments become the documented typed values; bad input is a ParseError."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest

from imap_sansio._commands import (
    Append,
    AppendMessage,
    Authenticate,
    CancelUpdate,
    Command,
    Create,
    DeleteAcl,
    Examine,
    Fetch,
    FetchAnnotation,
    FetchAttribute,
    FetchBinary,
    FetchBinarySize,
    FetchBody,
    FetchPreview,
    GetAcl,
    InvalidName,
    List,
    Login,
    Lsub,
    Noop,
    Notify,
    NotifyEvent,
    NotifyGroup,
    QResync,
    Rename,
    Search,
    SearchAge,
    SearchAnd,
    SearchAnnotation,
    SearchDate,
    SearchFilter,
    SearchFlag,
    SearchFuzzy,
    SearchHeader,
    SearchKeyword,
    SearchMessages,
    SearchModSeq,
    SearchNot,
    SearchOr,
    SearchSize,
    SearchText,
    SearchUid,
    Section,
    Select,
    SetAcl,
    Sort,
    SortKey,
    Status,
    Store,
    Thread,
    XList,
)
from imap_sansio._parser import (
    COMMANDS,
    CommandReader,
    CommandSpec,
    ParseError,
    parse_command,
)
from imap_sansio._secret import Secret
from imap_sansio._sequence import STAR, SequenceSet, UidSet
from imap_sansio._state import LOGGED_IN, SELECTED_ONLY


def seq(*ranges: tuple[int, int] | int) -> SequenceSet:
    return SequenceSet.from_ranges(*ranges)


def uids(*ranges: tuple[int, int] | int) -> UidSet:
    return UidSet.from_ranges(*ranges)


def error(data: bytes, **kwargs: Any) -> ParseError:
    with pytest.raises(ParseError) as info:
        parse_command(data, **kwargs)
    return info.value


# -- the contract of the core ---------------------------------------------------------


def test_every_command_has_a_tag_and_an_upper_case_name() -> None:
    command = parse_command(b"a1 noop\r\n")
    assert command == Noop(tag="a1")
    assert Noop.name == "NOOP"
    assert Fetch.name == "FETCH"


def test_login_wraps_the_password_in_a_secret() -> None:
    command = parse_command(b'A1 LOGIN fred "my pass"\r\n')
    assert command == Login(tag="A1", username="fred", password=Secret("my pass"))
    assert "my pass" not in repr(command)


def test_login_bytes_that_are_not_utf8_survive_as_surrogate_escapes() -> None:
    command = parse_command(b"A1 LOGIN {2}\r\n\xca\xfe x\r\n")
    assert isinstance(command, Login)
    assert command.username.encode("utf-8", "surrogateescape") == b"\xca\xfe"


def test_authenticate_decodes_the_sasl_initial_response() -> None:
    # RFC 4959 section 3: "=" is an empty initial response.
    assert parse_command(b"a AUTHENTICATE plain\r\n") == Authenticate(tag="a", mechanism="PLAIN")
    assert parse_command(b"a AUTHENTICATE PLAIN =\r\n") == Authenticate(
        tag="a", mechanism="PLAIN", initial_response=Secret(b"")
    )
    assert parse_command(b"a AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n") == Authenticate(
        tag="a", mechanism="PLAIN", initial_response=Secret(b"test\x00test\x00test")
    )
    assert error(b"a AUTHENTICATE PLAIN dGVzd\r\n").offset == 21


def test_select_parameters_condstore_and_qresync() -> None:
    # RFC 7162 3.2.5.2 example
    command = parse_command(
        b"B04 SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 "
        b"(5000,7500,9000,9990:9999 15000,22500,27000,29970:29997)))\r\n"
    )
    assert command == Select(
        tag="B04",
        mailbox="INBOX",
        qresync=QResync(
            uidvalidity=67890007,
            modseq=90060115194045000,
            known_uids=uids((1, 29997)),
            seq_match=(
                seq(5000, 7500, 9000, (9990, 9999)),
                uids(15000, 22500, 27000, (29970, 29997)),
            ),
        ),
    )
    assert parse_command(b"a EXAMINE inbox (condstore)\r\n") == Examine(
        tag="a", mailbox="INBOX", condstore=True
    )
    assert str(error(b"a SELECT INBOX (QRESYNC (1 2 1:*))\r\n")) == (
        "known UIDs cannot use * or $ at byte 29"
    )
    assert error(b"a SELECT INBOX (BLURDYBLOOP)\r\n").message == (
        "unknown select parameter BLURDYBLOOP"
    )


def test_inbox_is_case_insensitive_but_its_children_are_kept() -> None:
    # RFC 3501 5.1: only the name INBOX itself is case-insensitive.
    assert parse_command(b'a SELECT "iNbOx"\r\n') == Select(tag="a", mailbox="INBOX")
    assert parse_command(b"a SELECT inbox/sub\r\n") == Select(tag="a", mailbox="inbox/sub")
    assert parse_command(b"a SELECT INBOXES\r\n") == Select(tag="a", mailbox="INBOXES")


def test_mailbox_names_are_decoded_from_modified_utf7() -> None:
    assert parse_command(b"a SELECT ~peter/mail/&U,BTFw-/&ZeVnLIqe-\r\n") == Select(
        tag="a", mailbox="~peter/mail/台北/日本語"
    )


def test_invalid_modified_utf7_names_are_kept_for_the_server_to_refuse() -> None:
    # RFC 3501 5.1.3 leaves invalid names to the server (Dovecot: NO), so they
    # are not syntax errors; the name is kept as sent and listed as invalid.
    for data, text in [
        (b"a SELECT &U,BTFw\r\n", "&U,BTFw"),
        (b"a SELECT {2}\r\n\xc3\xa9\r\n", "\xe9"),
        (b"a SELECT &AGE-\r\n", "&AGE-"),
    ]:
        command = parse_command(data)
        assert isinstance(command, Select)
        assert command.mailbox == text
        [invalid] = command.invalid_names
        assert invalid.text == text
        assert "modified UTF-7" in invalid.reason
    imaptest = parse_command(b"a select !#$&'+,-.0123456789:;<=>?@^_`|[}\r\n")
    assert isinstance(imaptest, Select)
    assert imaptest.mailbox == "!#$&'+,-.0123456789:;<=>?@^_`|[}"
    assert [n.text for n in imaptest.invalid_names] == [imaptest.mailbox]
    command = parse_command(b"a CREATE &Jjo!\r\n")
    assert command == Create(
        tag="a",
        mailbox="&Jjo!",
        invalid_names=(InvalidName(text="&Jjo!", reason=command.invalid_names[0].reason),),
    )
    assert parse_command(b"a SELECT &Jjo-\r\n").invalid_names == ()


def test_utf8_accept_takes_utf8_names_and_leaves_ampersand_alone() -> None:
    # RFC 6855 3: after ENABLE UTF8=ACCEPT names are UTF-8.
    assert parse_command('a SELECT "Entwürfe"\r\n'.encode(), utf8=True) == Select(
        tag="a", mailbox="Entwürfe"
    )
    assert parse_command(b"a SELECT A&B\r\n", utf8=True) == Select(tag="a", mailbox="A&B")
    assert error('a SELECT "Entwürfe"\r\n'.encode()).offset == 9
    assert error(b'a SELECT "\xff"\r\n', utf8=True).offset == 9


def test_create_with_special_use() -> None:
    # RFC 6154 5.2
    assert parse_command(b"t1 CREATE MySpecial (USE (\\Drafts \\Sent))\r\n") == Create(
        tag="t1", mailbox="MySpecial", special_use=("\\Drafts", "\\Sent")
    )


def test_rename_reads_both_names() -> None:
    assert parse_command(b"a RENAME inbox old-mail\r\n") == Rename(
        tag="a", mailbox="INBOX", new_mailbox="old-mail"
    )
    assert error(b"a RENAME inbox\r\n").message == "expected SP after existing mailbox name"


def test_list_plain_and_extended() -> None:
    assert parse_command(b'a LIST "" %\r\n') == List(tag="a", reference="", patterns=("%",))
    assert parse_command(
        b'A02 LIST (SUBSCRIBED RECURSIVEMATCH) "" % RETURN (STATUS (MESSAGES UNSEEN) CHILDREN)\r\n'
    ) == List(
        tag="A02",
        reference="",
        patterns=("%",),
        selection=("SUBSCRIBED", "RECURSIVEMATCH"),
        return_options=("CHILDREN",),
        return_status=("MESSAGES", "UNSEEN"),
        extended=True,
    )
    assert parse_command(b'a LIST "" ("INBOX" "Drafts")\r\n') == List(
        tag="a", reference="", patterns=("INBOX", "Drafts"), extended=True
    )
    assert parse_command(b'a LSUB "news." "comp.mail.*"\r\n') == Lsub(
        tag="a", reference="news.", pattern="comp.mail.*"
    )
    assert parse_command(b'a XLIST "" "*"\r\n') == XList(tag="a", reference="", pattern="*")


def test_status_items_are_checked() -> None:
    assert parse_command(b"a STATUS blurdybloop (UIDNEXT messages)\r\n") == Status(
        tag="a", mailbox="blurdybloop", items=("UIDNEXT", "MESSAGES")
    )
    assert error(b"a STATUS x (BOGUS)\r\n").message == "unknown status item BOGUS"


def test_append_flags_date_literal_literal8_utf8_and_multiappend() -> None:
    when = datetime.datetime(
        1994, 2, 7, 21, 52, 25, tzinfo=datetime.timezone(datetime.timedelta(hours=-8))
    )
    data = b'A003 APPEND saved-messages (\\Seen) " 7-Feb-1994 21:52:25 -0800" {5}\r\nhello\r\n'
    assert parse_command(data) == Append(
        tag="A003",
        mailbox="saved-messages",
        messages=(AppendMessage(flags=("\\Seen",), internal_date=when, data=b"hello"),),
    )
    multi = parse_command(b"a APPEND INBOX {2+}\r\nhi ~{3}\r\n\x00\x01\x02 UTF8 (~{2}\r\nok)\r\n")
    assert multi == Append(
        tag="a",
        mailbox="INBOX",
        messages=(
            AppendMessage(data=b"hi"),
            AppendMessage(data=b"\x00\x01\x02", binary=True),
            AppendMessage(data=b"ok", binary=True, utf8=True),
        ),
    )
    assert "NUL" in error(b"a APPEND INBOX {1}\r\n\x00\r\n").message


def test_invalid_dates_are_parse_errors() -> None:
    assert (
        "invalid date-time"
        in error(b'a APPEND INBOX "31-Feb-2020 00:00:00 +0000" {1}\r\nx\r\n').message
    )
    assert "invalid date" in error(b"a SEARCH SINCE 31-Feb-2020\r\n").message
    assert "month" in error(b"a SEARCH SINCE 1-Foo-2020\r\n").message
    assert "zone" in error(b'a APPEND INBOX "01-Feb-2020 00:00:00 +0099" {1}\r\nx\r\n').message


def test_search_keys_become_a_typed_tree() -> None:
    command = parse_command(
        b"a UID SEARCH RETURN (MIN COUNT) CHARSET utf-8 OR (SEEN 1:3) NOT KEYWORD $Junk "
        b'HEADER X-Spam "yes" LARGER 100 YOUNGER 3600 SENTON "1-Jan-2000" UID $ '
        b'MODSEQ "/flags/\\\\draft" all 620162338 FILTER spam FUZZY SUBJECT x\r\n'
    )
    assert command == Search(
        tag="a",
        uid=True,
        charset="UTF-8",
        return_options=("MIN", "COUNT"),
        criteria=SearchAnd(
            keys=(
                SearchOr(
                    left=SearchAnd(
                        keys=(SearchFlag(name="SEEN"), SearchMessages(messages=seq((1, 3))))
                    ),
                    right=SearchNot(key=SearchKeyword(keyword="$Junk")),
                ),
                SearchHeader(field="X-Spam", value=b"yes"),
                SearchSize(name="LARGER", size=100),
                SearchAge(name="YOUNGER", seconds=3600),
                SearchDate(name="SENTON", date=datetime.date(2000, 1, 1)),
                SearchUid(uids=UidSet(saved=True)),
                SearchModSeq(modseq=620162338, entry=("/flags/\\draft", "ALL")),
                SearchFilter(filter="spam"),
                SearchFuzzy(key=SearchText(name="SUBJECT", value=b"x")),
            )
        ),
    )
    assert error(b"a SEARCH BOGUS\r\n").message == "unknown search key BOGUS"
    assert error(b"a SEARCH RETURN (BOGUS) ALL\r\n").offset == 17


def test_search_partial_return_option() -> None:
    # RFC 9394
    command = parse_command(b"a UID SEARCH RETURN (PARTIAL -1:-10) UNDELETED\r\n")
    assert isinstance(command, Search)
    assert command.partial == (-1, -10)
    assert command.return_options == ()


def test_sort_and_thread() -> None:
    assert parse_command(b"A283 SORT (SUBJECT REVERSE DATE) UTF-8 ALL\r\n") == Sort(
        tag="A283",
        sort_keys=(SortKey(key="SUBJECT"), SortKey(key="DATE", reverse=True)),
        charset="UTF-8",
        criteria=SearchAnd(keys=(SearchFlag(name="ALL"),)),
    )
    assert parse_command(b"a UID THREAD REFERENCES US-ASCII ALL\r\n") == Thread(
        tag="a",
        algorithm="REFERENCES",
        charset="US-ASCII",
        criteria=SearchAnd(keys=(SearchFlag(name="ALL"),)),
        uid=True,
    )


def test_fetch_items_sections_partials_and_modifiers() -> None:
    command = parse_command(
        b'a UID FETCH 1:* (FLAGS BODY[] BODY.PEEK[1.2.HEADER.FIELDS.NOT (From "To")]<0.2048> '
        b"BINARY.PEEK[1]<5.10> BINARY.SIZE[2] BODY[3.TEXT] PREVIEW (LAZY) RFC822.SIZE) "
        b"(CHANGEDSINCE 12345 VANISHED)\r\n"
    )
    assert command == Fetch(
        tag="a",
        uid=True,
        messages=uids((1, STAR)),
        items=(
            FetchAttribute(name="FLAGS"),
            FetchBody(section=Section()),
            FetchBody(
                section=Section(part=(1, 2), text="HEADER.FIELDS.NOT", fields=("From", "To")),
                peek=True,
                partial=(0, 2048),
            ),
            FetchBinary(part=(1,), peek=True, partial=(5, 10)),
            FetchBinarySize(part=(2,)),
            FetchBody(section=Section(part=(3,), text="TEXT")),
            FetchPreview(lazy=True),
            FetchAttribute(name="RFC822.SIZE"),
        ),
        changedsince=12345,
        vanished=True,
    )
    assert parse_command(b"a FETCH 2 fast\r\n") == Fetch(
        tag="a",
        messages=seq(2),
        macro="FAST",
        items=(
            FetchAttribute(name="FLAGS"),
            FetchAttribute(name="INTERNALDATE"),
            FetchAttribute(name="RFC822.SIZE"),
        ),
    )
    assert error(b"a FETCH 1 BODY[MIME]\r\n").message == "MIME needs a section part"
    assert error(b"a FETCH 1 (FLAGS BOGUS)\r\n").message == "unknown fetch attribute BOGUS"


def test_store_forms() -> None:
    assert parse_command(b"a STORE 2:4 +FLAGS.SILENT (\\deleted)\r\n") == Store(
        tag="a", messages=seq((2, 4)), mode="add", silent=True, flags=("\\Deleted",)
    )
    assert parse_command(b"a UID STORE 6,4,8 (UNCHANGEDSINCE 0) -FLAGS \\Seen $Junk\r\n") == Store(
        tag="a",
        uid=True,
        messages=uids(6, 4, 8),
        mode="remove",
        flags=("\\Seen", "$Junk"),
        unchangedsince=0,
    )
    assert parse_command(b"a STORE 1 FLAGS ()\r\n") == Store(
        tag="a", messages=seq(1), mode="replace"
    )


def test_notify_and_acl() -> None:
    assert parse_command(
        b"a NOTIFY SET STATUS (SELECTED (MessageNew (UID) MessageExpunge)) "
        b"(SUBTREE (INBOX Lists) NONE)\r\n"
    ) == Notify(
        tag="a",
        status=True,
        groups=(
            NotifyGroup(
                filter="SELECTED",
                events=(
                    NotifyEvent(name="MessageNew", fetch=(FetchAttribute(name="UID"),)),
                    NotifyEvent(name="MessageExpunge"),
                ),
            ),
            NotifyGroup(filter="SUBTREE", mailboxes=("INBOX", "Lists"), events=None),
        ),
    )
    assert parse_command(b"a SETACL INBOX smith +lr\r\n") == SetAcl(
        tag="a", mailbox="INBOX", identifier="smith", rights="lr", mode="add"
    )
    assert parse_command(b"a DELETEACL x smith\r\n") == DeleteAcl(
        tag="a", mailbox="x", identifier="smith"
    )
    assert parse_command(b"a GETACL x\r\n") == GetAcl(tag="a", mailbox="x")


# -- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message", "offset"),
    [
        (b"a XYZ\r\n", "unknown command XYZ at byte 2", 2),
        (b"a UID NOOP\r\n", "UID NOOP is not a UID command at byte 6", 6),
        (b"a FETCH 0 FLAGS\r\n", "sequence number 0 is invalid at byte 8", 8),
        (b"a UID FETCH 1:0 FLAGS\r\n", "UID 0 is invalid at byte 12", 12),
        (b"a FETCH 4294967296 FLAGS\r\n", "sequence set out of range (1..4294967295) at byte 8", 8),
        (b"a NOOP extra\r\n", "expected CRLF after NOOP at byte 6", 6),
        (b"a SELECT INBOX", "expected CRLF after SELECT arguments at byte 14", 14),
        (b"a LOGIN fred\r\n", "expected SP after user name at byte 12", 12),
        (b"+ NOOP\r\n", "expected tag at byte 0", 0),
        (b"a  NOOP\r\n", "expected command name at byte 2", 2),
        (b"a SELECT {10}\r\nINBOX\r\n", "literal of 10 bytes is truncated at byte 9", 9),
        (b'a SELECT "in\\box"\r\n', "expected mailbox name at byte 9", 9),
        (b'a LOGIN "\xc3\xa9" x\r\n', "expected user name at byte 8", 8),
        (b"a STATUS x (MESSAGES\r\n", 'expected ")" to end status items at byte 20', 20),
        (b"a SEARCH LARGER 99999999999999999999999\r\n", "size out of range at byte 16", 16),
        (
            b"a FETCH 1 FLAGS (CHANGEDSINCE 9223372036854775808)\r\n",
            "mod-sequence-value out of range (0..9223372036854775807) at byte 30",
            30,
        ),
    ],
)
def test_parse_errors_say_what_was_expected_and_where(
    data: bytes, message: str, offset: int
) -> None:
    err = error(data)
    assert str(err) == message
    assert err.offset == offset
    assert err.message == message.rsplit(" at byte ", 1)[0]


def test_parse_error_carries_the_tag_when_it_was_read() -> None:
    assert error(b"t9 FETCH\r\n").tag == "t9"
    assert error(b"(bad\r\n").tag is None


def test_reversed_ranges_and_star() -> None:
    command = parse_command(b"a FETCH 4:2,*:7,* UID\r\n")
    assert isinstance(command, Fetch)
    assert command.messages == seq((2, 4), (7, STAR), STAR)
    assert str(command.messages) == "2:4,7:*,*"


def test_deep_nesting_is_a_parse_error_not_a_recursion_error() -> None:
    deep = b"a SEARCH " + b"(" * 101 + b"ALL" + b")" * 101 + b"\r\n"
    assert "too deep" in error(deep).message
    ok = b"a SEARCH " + b"(" * 100 + b"ALL" + b")" * 100 + b"\r\n"
    assert isinstance(parse_command(ok), Search)
    assert isinstance(parse_command(deep, max_search_depth=101), Search)
    nots = b"a SEARCH " + b"NOT " * 5000 + b"ALL\r\n"
    assert "too deep" in error(nots).message
    ors = b"a SEARCH " + b"OR ALL " * 5000 + b"ALL\r\n"
    assert "too deep" in error(ors).message


def test_long_or_chains_of_real_clients_still_parse() -> None:
    # Thunderbird and K-9 build "OR OR OR a b c d" for several terms.
    data = b"a UID SEARCH " + b"OR " * 40 + b"SEEN" + b" FLAGGED" * 40 + b"\r\n"
    assert isinstance(parse_command(data), Search)


def test_line_feed_alone_ends_a_command() -> None:
    # As imap-codec's quirk_crlf_relaxed: a bare LF is accepted as the line end.
    assert parse_command(b"a noop\n") == Noop(tag="a")


# -- the extension hook ------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class XFoo(Command):
    name: ClassVar[str] = "XFOO"
    mailbox: str
    count: int


def test_extension_commands_are_parsed_by_their_record_in_the_table() -> None:
    def parse_xfoo(tag: str, reader: CommandReader, uid: bool) -> Command:
        reader.sp("XFOO")
        mailbox = reader.mailbox()
        reader.sp("mailbox name")
        return XFoo(tag=tag, mailbox=mailbox, count=reader.number("count"))

    xfoo = CommandSpec(name="XFOO", parser=parse_xfoo, states=LOGGED_IN)
    table = {**COMMANDS, "XFOO": xfoo}
    assert parse_command(b"a xfoo inbox 7\r\n", commands=table) == XFoo(
        tag="a", mailbox="INBOX", count=7
    )
    # Only the table given knows it: nothing is shared by the process.
    assert error(b"a XFOO inbox 7\r\n").message == "unknown command XFOO"
    with pytest.raises(ParseError) as info:
        parse_command(b"a XFOO inbox 7 8\r\n", commands=table)
    assert info.value.offset == 14
    # RFC 3501 6.4.8: only a command that names messages has a UID form.
    assert error(b"a UID XFOO inbox 7\r\n", commands=table).message == (
        "UID XFOO is not a UID command"
    )


def test_an_extension_that_names_messages_has_a_uid_form() -> None:
    def parse_xfoo(tag: str, reader: CommandReader, uid: bool) -> Command:
        reader.sp("XFOO")
        return XFoo(tag=tag, mailbox=reader.mailbox(), count=int(uid))

    xfoo = CommandSpec(name="XFOO", parser=parse_xfoo, states=SELECTED_ONLY, names_messages=True)
    table = {**COMMANDS, "XFOO": xfoo}
    assert parse_command(b"a XFOO x\r\n", commands=table) == XFoo(tag="a", mailbox="x", count=0)
    assert parse_command(b"a UID XFOO x\r\n", commands=table) == XFoo(tag="a", mailbox="x", count=1)
    with pytest.raises(ValueError, match="upper-case command name"):
        CommandSpec(name="xfoo", parser=parse_xfoo, states=SELECTED_ONLY)


def test_annotate_extension() -> None:
    # RFC 5257 examples
    assert parse_command(b"a SELECT INBOX (CONDSTORE ANNOTATE)\r\n") == Select(
        tag="a", mailbox="INBOX", condstore=True, annotate=True
    )
    assert parse_command(b'a STORE 1 ANNOTATION (/comment (value.priv "My comment"))\r\n') == (
        Store(
            tag="a",
            messages=seq(1),
            mode="replace",
            attribute="ANNOTATION",
            annotations=(("/comment", (("value.priv", b"My comment"),)),),
        )
    )
    assert parse_command(b"a FETCH 1 (ANNOTATION (/* (value size)))\r\n") == Fetch(
        tag="a",
        messages=seq(1),
        items=(FetchAnnotation(entries=("/*",), attributes=("value", "size")),),
    )
    assert parse_command(b"a SORT (REVERSE ANNOTATION /altsubject value.shared) UTF-8 ALL\r\n") == (
        Sort(
            tag="a",
            sort_keys=(
                SortKey(key="ANNOTATION", reverse=True, annotation=("/altsubject", "value.shared")),
            ),
            charset="UTF-8",
            criteria=SearchAnd(keys=(SearchFlag(name="ALL"),)),
        )
    )
    assert parse_command(b'a SEARCH ANNOTATION /comment value "a comment"\r\n') == Search(
        tag="a",
        criteria=SearchAnd(
            keys=(SearchAnnotation(entry="/comment", attribute="value", value=b"a comment"),)
        ),
    )


def test_one_digit_day_in_date_time_is_accepted() -> None:
    command = parse_command(b'a APPEND x "7-Feb-1994 21:52:25 +0100" {1}\r\nx\r\n')
    assert isinstance(command, Append)
    assert command.messages[0].internal_date == datetime.datetime(
        1994, 2, 7, 21, 52, 25, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
    )


def test_recursivematch_alone_is_a_parse_error() -> None:
    # RFC 5258 3.1 (and Dovecot's imaptest "listext")
    assert error(b'a LIST (RECURSIVEMATCH) "" ""\r\n').message == (
        "RECURSIVEMATCH needs another selection option"
    )
    assert isinstance(error(b'a LIST (RECURSIVEMATCH REMOTE) "" ""\r\n'), ParseError)
    assert isinstance(parse_command(b'a LIST (RECURSIVEMATCH SUBSCRIBED) "" ""\r\n'), List)


def test_context_search_update_and_cancelupdate() -> None:
    # RFC 5267 4
    command = parse_command(b"a SEARCH RETURN (UPDATE ALL) OR SEEN SUBJECT s22\r\n")
    assert isinstance(command, Search)
    assert command.return_options == ("UPDATE", "ALL")
    assert parse_command(b'a CANCELUPDATE "B01" "B02"\r\n') == CancelUpdate(
        tag="a", tags=("B01", "B02")
    )
