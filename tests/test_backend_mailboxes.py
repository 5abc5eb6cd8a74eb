"""Mailbox-name helpers: validity, INBOX, LIST/LSUB patterns (RFC 3501 6.3.8, RFC 5258)."""

from __future__ import annotations

import time

import pytest

from imap_sansio.server import names
from imap_sansio.server._backend import MailboxInfo
from imap_sansio.server._mailboxes import (
    ListEntry,
    ListPattern,
    canonical_pattern,
    list_entries,
    lsub_entries,
)


def boxes(*names: str) -> list[MailboxInfo]:
    return [MailboxInfo(name=n) for n in names]


def shape(entries: list[ListEntry]) -> list[tuple[str, frozenset[str], tuple[str, ...]]]:
    """Attribute order in a LIST response carries no meaning: compare sets."""
    return [(e.name, frozenset(e.attributes), e.child_info) for e in entries]


# -- names -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "normal"),
    [
        ("INBOX", "INBOX"),
        ("inbox", "INBOX"),
        ("InBoX", "INBOX"),
        ("inbox/Sub", "INBOX/Sub"),
        ("inbox/inbox", "INBOX/inbox"),  # only the root is special (RFC 3501 5.1)
        ("inboxes", "inboxes"),
        ("Archive/inbox", "Archive/inbox"),
    ],
)
def test_inbox_is_case_insensitive_only_at_the_root(name: str, normal: str) -> None:
    assert names.normalize(name) == normal


@pytest.mark.parametrize(
    "name", ["", "/", "/a", "a/", "a//b", "a\x00b", "a\rb", "a\nb", "a\x7fb", "a\tb"]
)
def test_invalid_names_are_refused(name: str) -> None:
    assert names.name_error(name) is not None
    assert names.name_error(name, for_create=True) is not None


@pytest.mark.parametrize("name", ["a%b", "*", "a/*", "%"])
def test_wildcards_are_refused_only_for_create(name: str) -> None:
    assert names.name_error(name) is None
    assert names.name_error(name, for_create=True) is not None


@pytest.mark.parametrize("name", ["a", "a/b/c", "Grüße", "with space", "[Gmail]/Sent Mail"])
def test_valid_names(name: str) -> None:
    assert names.name_error(name, for_create=True) is None


def test_superiors_outermost_first() -> None:
    assert names.superiors("a/b/c") == ["a", "a/b"]
    assert names.superiors("a") == []


def test_rename_map_takes_the_subtree_and_nothing_that_only_shares_a_prefix() -> None:
    # RFC 3501 6.3.5: inferior hierarchical names are renamed too.
    existing = ["INBOX", "a", "a/b", "a/b/c", "ab", "x/a"]
    assert names.rename_map(existing, "a", "z") == {"a": "z", "a/b": "z/b", "a/b/c": "z/b/c"}
    assert names.rename_map(existing, "ab", "a/c") == {"ab": "a/c"}


# -- patterns --------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "pattern", "canonical"),
    [
        # RFC 3501 6.3.8, the examples without break-out characters.
        ("~smith/Mail/", "foo.*", "~smith/Mail/foo.*"),
        ("archive/", "%", "archive/%"),
        ("#news.", "comp.mail.*", "#news.comp.mail.*"),
        ("", "*", "*"),
    ],
)
def test_reference_is_prepended(reference: str, pattern: str, canonical: str) -> None:
    assert canonical_pattern(reference, pattern) == canonical


MATCH_TABLE = [
    # "*" matches zero or more characters at this position (RFC 3501 6.3.8)
    ("*", "foo", True),
    ("*", "foo/bar/baz", True),
    ("foo*", "foo", True),
    ("foo*", "foo/bar", True),
    ("foo*", "fo", False),
    ("*bar", "foo/bar", True),
    # "%" is similar to "*", but it does not match a hierarchy delimiter
    ("%", "foo", True),
    ("%", "foo/bar", False),
    ("foo/%", "foo/bar", True),
    ("foo/%", "foo/bar/baz", False),
    ("foo/%", "foo", False),
    ("foo/%", "foo/", True),
    ("%/%", "a/b", True),
    ("%/%", "a", False),
    ("%/%", "a/b/c", False),
    ("f%o", "foo", True),
    ("f%o", "f/o", False),
    ("f*o", "f/o", True),
    ("%o%", "xox", True),
    # literal characters are case-sensitive ...
    ("Foo", "foo", False),
    ("foo", "foo", True),
    ("a.b", "a.b", True),
    ("a.b", "axb", False),  # no regex metacharacters leak through
    ("a+b", "a+b", True),
    ("(x)", "(x)", True),
    # ... except INBOX, whose "uppercase string" must match (RFC 3501 6.3.8)
    ("inbox", "INBOX", True),
    ("Inbox", "INBOX", True),
    ("INBOX", "INBOX", True),
    ("inbox/%", "INBOX/Sub", True),
    ("inbox/sub", "INBOX/Sub", False),  # the rest of the name stays case-sensitive
    ("in*", "INBOX", True),
    ("I%", "INBOX", True),
    ("in%", "INBOX/Sub", False),
    ("in*", "info", True),
    ("in*", "Info", False),
    ("inbox", "inboxes", False),
    ("%x", "INBOX", False),  # "the uppercase string INBOX" is what must match
    ("*X", "INBOX", True),
]


@pytest.mark.parametrize(("pattern", "name", "expected"), MATCH_TABLE)
def test_pattern_matching(pattern: str, name: str, expected: bool) -> None:
    assert ListPattern(pattern).match(name) is expected


@pytest.mark.parametrize(
    ("pattern", "name"),
    [
        ("*%*%*%*a", "b" * 20000),
        ("*%*%*%*a", "b/" * 10000),
        ("*a*a*a*a*a*a*a*a*b", "a" * 3000),
        ("%a%a%a%a%a%a%a%a%b", "a" * 3000),
        ("*a%a*a%a*a%a*a%a*b", ("a" * 30 + "/") * 100),
    ],
)
def test_pathological_patterns_run_in_linear_time(pattern: str, name: str) -> None:
    started = time.perf_counter()
    assert ListPattern(pattern).match(name) is False
    # Backtracking would take minutes to years here; the automaton is linear.
    assert time.perf_counter() - started < 2.0


# -- LIST (RFC 3501 6.3.8) ----------------------------------------------------


def test_empty_pattern_returns_the_delimiter_and_root() -> None:
    # C: A101 LIST "" ""  /  S: * LIST (\Noselect) "/" ""
    assert list_entries(boxes("INBOX"), "", [""]) == [
        ListEntry(name="", attributes=("\\Noselect",))
    ]


def test_rfc3501_a202_percent_returns_levels_of_hierarchy_as_noselect() -> None:
    # C: A202 LIST ~/Mail/ %
    # S: * LIST (\Noselect) "/" ~/Mail/foo
    # S: * LIST () "/" ~/Mail/meetings
    mailboxes = boxes("~/Mail/foo/bar", "~/Mail/meetings")
    entries = list_entries(mailboxes, "~/Mail/", ["%"], return_children=False)
    assert shape(entries) == [
        ("~/Mail/foo", frozenset({"\\Noselect"}), ()),
        ("~/Mail/meetings", frozenset(), ()),
    ]


def test_list_star_returns_everything_with_children_attributes() -> None:
    mailboxes = [*boxes("INBOX", "a", "a/b"), MailboxInfo(name="x", selectable=False)]
    mailboxes.append(MailboxInfo(name="x/y"))
    assert shape(list_entries(mailboxes, "", ["*"])) == [
        ("INBOX", frozenset({"\\HasNoChildren"}), ()),
        ("a", frozenset({"\\HasChildren"}), ()),
        ("a/b", frozenset({"\\HasNoChildren"}), ()),
        ("x", frozenset({"\\Noselect", "\\HasChildren"}), ()),
        ("x/y", frozenset({"\\HasNoChildren"}), ()),
    ]


def test_list_finds_inbox_case_insensitively() -> None:
    mailboxes = boxes("INBOX", "INBOX/Sub", "inboxes")
    assert [e.name for e in list_entries(mailboxes, "", ["inbox"])] == ["INBOX"]
    assert [e.name for e in list_entries(mailboxes, "", ["Inbox/%"])] == ["INBOX/Sub"]
    assert [e.name for e in list_entries(mailboxes, "inbox/", ["*"])] == ["INBOX/Sub"]


def test_special_use_attributes_are_listed() -> None:
    mailboxes = [
        MailboxInfo(name="INBOX"),
        MailboxInfo(name="Sent", special_use=frozenset({"\\Sent"})),
    ]
    entries = list_entries(mailboxes, "", ["*"], return_children=False)
    assert shape(entries) == [("INBOX", frozenset(), ()), ("Sent", frozenset({"\\Sent"}), ())]
    only = list_entries(mailboxes, "", ["*"], select_special_use=True, return_children=False)
    assert shape(only) == [("Sent", frozenset({"\\Sent"}), ())]


# -- RFC 5258 examples ---------------------------------------------------------

RFC5258_BOXES = [
    MailboxInfo(name="INBOX", attributes=frozenset({"\\Marked", "\\Noinferiors"})),
    *boxes(
        "Fruit",
        "Fruit/Apple",
        "Fruit/Banana",
        "Tofu",
        "Vegetable",
        "Vegetable/Broccoli",
        "Vegetable/Corn",
    ),
]
RFC5258_SUBS = frozenset(
    {"INBOX", "Fruit/Banana", "Fruit/Peach", "Vegetable", "Vegetable/Broccoli"}
)


def test_rfc5258_example_2_list_subscribed() -> None:
    entries = list_entries(
        RFC5258_BOXES,
        "",
        ["*"],
        subscriptions=RFC5258_SUBS,
        extended=True,
        select_subscribed=True,
        return_children=False,
    )
    assert shape(entries) == [
        ("INBOX", frozenset({"\\Marked", "\\Noinferiors", "\\Subscribed"}), ()),
        ("Fruit/Banana", frozenset({"\\Subscribed"}), ()),
        ("Fruit/Peach", frozenset({"\\Subscribed", "\\NonExistent"}), ()),
        ("Vegetable", frozenset({"\\Subscribed"}), ()),
        ("Vegetable/Broccoli", frozenset({"\\Subscribed"}), ()),
    ]


def test_rfc5258_example_3_return_children() -> None:
    entries = list_entries(RFC5258_BOXES, "", ["%"], extended=True, return_children=True)
    assert shape(entries) == [
        ("INBOX", frozenset({"\\Marked", "\\Noinferiors"}), ()),
        ("Fruit", frozenset({"\\HasChildren"}), ()),
        ("Tofu", frozenset({"\\HasNoChildren"}), ()),
        ("Vegetable", frozenset({"\\HasChildren"}), ()),
    ]


def test_rfc5258_example_6_return_subscribed() -> None:
    entries = list_entries(
        RFC5258_BOXES,
        "",
        ["*"],
        subscriptions=RFC5258_SUBS,
        extended=True,
        return_subscribed=True,
        return_children=False,
    )
    assert shape(entries) == [
        ("INBOX", frozenset({"\\Marked", "\\Noinferiors", "\\Subscribed"}), ()),
        ("Fruit", frozenset(), ()),
        ("Fruit/Apple", frozenset(), ()),
        ("Fruit/Banana", frozenset({"\\Subscribed"}), ()),
        ("Tofu", frozenset(), ()),
        ("Vegetable", frozenset({"\\Subscribed"}), ()),
        ("Vegetable/Broccoli", frozenset({"\\Subscribed"}), ()),
        ("Vegetable/Corn", frozenset(), ()),
    ]


EX8_BOXES = [
    MailboxInfo(name="INBOX", attributes=frozenset({"\\Marked", "\\Noinferiors"})),
    *boxes("Foo", "Foo/Bar", "Foo/Baz", "Moo"),
]


def test_rfc5258_example_8_children() -> None:
    entries = list_entries(EX8_BOXES, "", ["%"], return_children=True)
    assert shape(entries) == [
        ("INBOX", frozenset({"\\Marked", "\\Noinferiors"}), ()),
        ("Foo", frozenset({"\\HasChildren"}), ()),
        ("Moo", frozenset({"\\HasNoChildren"}), ()),
    ]


def ex8(subscriptions: set[str], pattern: str, **options: bool) -> list[ListEntry]:
    return list_entries(
        EX8_BOXES,
        "",
        [pattern],
        subscriptions=frozenset(subscriptions),
        extended=True,
        select_subscribed=True,
        return_children=options.pop("return_children", False),
        **options,
    )


def test_rfc5258_example_8a_childinfo() -> None:
    assert shape(ex8({"Foo/Baz"}, "*")) == [("Foo/Baz", frozenset({"\\Subscribed"}), ())]
    # <LIST (SUBSCRIBED) "" "%"> returns no mailboxes ...
    assert ex8({"Foo/Baz"}, "%") == []
    # ... C04 LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"
    # S: * LIST () "/" "Foo" ("CHILDINFO" ("SUBSCRIBED"))
    assert shape(ex8({"Foo/Baz"}, "%", recursive_match=True)) == [
        ("Foo", frozenset(), ("SUBSCRIBED",))
    ]


def test_rfc5258_example_8a1_subscribed_parent() -> None:
    assert shape(ex8({"Foo", "Foo/Baz"}, "%", recursive_match=True)) == [
        ("Foo", frozenset({"\\Subscribed"}), ("SUBSCRIBED",))
    ]


def test_rfc5258_example_8a2_nonexistent_parent() -> None:
    mailboxes = [b for b in EX8_BOXES if b.name != "Foo"]
    entries = list_entries(
        mailboxes,
        "",
        ["%"],
        subscriptions=frozenset({"Foo/Baz"}),
        extended=True,
        select_subscribed=True,
        recursive_match=True,
        return_children=False,
    )
    assert shape(entries) == [("Foo", frozenset({"\\NonExistent"}), ("SUBSCRIBED",))]


def test_rfc5258_example_8b_nothing_subscribed() -> None:
    assert ex8(set(), "%", recursive_match=True) == []


def test_rfc5258_example_8c_children_without_childinfo() -> None:
    entries = ex8({"Foo", "Moo"}, "%", recursive_match=True, return_children=True)
    assert shape(entries) == [
        ("Foo", frozenset({"\\HasChildren", "\\Subscribed"}), ()),
        ("Moo", frozenset({"\\HasNoChildren", "\\Subscribed"}), ()),
    ]


def test_rfc5258_example_9_childinfo_for_unmatched_children() -> None:
    mailboxes = [
        MailboxInfo(name="INBOX", attributes=frozenset({"\\Marked", "\\Noinferiors"})),
        *boxes(
            "foo2",
            "foo2/bar1",
            "foo2/bar2",
            "baz2",
            "baz2/bar2",
            "baz2/bar22",
            "baz2/bar222",
            "eps2",
            "eps2/mamba",
            "qux2/bar2",
        ),
    ]
    subscriptions = frozenset(
        {
            "foo2/bar1",
            "foo2/bar2",
            "baz2/bar2",
            "baz2/bar22",
            "baz2/bar222",
            "eps2",
            "eps2/mamba",
            "qux2/bar2",
        }
    )
    entries = list_entries(
        mailboxes,
        "",
        ["*2"],
        subscriptions=subscriptions,
        extended=True,
        select_subscribed=True,
        recursive_match=True,
        return_children=False,
    )
    # D03: the redundant baz2 and qux2 responses are suppressed (RFC 5258 3.5 SHOULD).
    assert shape(entries) == [
        ("baz2/bar2", frozenset({"\\Subscribed"}), ()),
        ("baz2/bar22", frozenset({"\\Subscribed"}), ()),
        ("baz2/bar222", frozenset({"\\Subscribed"}), ()),
        ("eps2", frozenset({"\\Subscribed"}), ("SUBSCRIBED",)),
        ("foo2", frozenset(), ("SUBSCRIBED",)),
        ("foo2/bar2", frozenset({"\\Subscribed"}), ()),
        ("qux2/bar2", frozenset({"\\Subscribed"}), ()),
    ]


def test_rfc5258_example_10_multiple_patterns_and_childinfo() -> None:
    mailboxes = boxes("foo")
    subscriptions = frozenset({"foo/bar"})
    # C: a1 LIST "" ("foo" "foo/*")  /  S: * LIST () "/" foo
    entries = list_entries(mailboxes, "", ["foo", "foo/*"], extended=True, return_children=False)
    assert shape(entries) == [("foo", frozenset(), ())]
    # C: a2 LIST (SUBSCRIBED) "" "foo/*"  /  S: * LIST (\Subscribed \NonExistent) "/" foo/bar
    entries = list_entries(
        mailboxes,
        "",
        ["foo/*"],
        subscriptions=subscriptions,
        extended=True,
        select_subscribed=True,
        return_children=False,
    )
    assert shape(entries) == [("foo/bar", frozenset({"\\Subscribed", "\\NonExistent"}), ())]
    # C: a3 LIST (SUBSCRIBED RECURSIVEMATCH) "" foo RETURN (CHILDREN)
    # S: * LIST (\HasNoChildren) "/" foo ("CHILDINFO" ("SUBSCRIBED"))
    entries = list_entries(
        mailboxes,
        "",
        ["foo"],
        subscriptions=subscriptions,
        extended=True,
        select_subscribed=True,
        recursive_match=True,
        return_children=True,
    )
    assert shape(entries) == [("foo", frozenset({"\\HasNoChildren"}), ("SUBSCRIBED",))]


def test_rfc5258_example_11_missing_hierarchy_levels() -> None:
    mailboxes = boxes("music/rock")
    # C: a2 LIST () "" %  /  S: * LIST (\NonExistent \HasChildren) "/" music
    assert shape(list_entries(mailboxes, "", ["%"], extended=True)) == [
        ("music", frozenset({"\\NonExistent", "\\HasChildren"}), ())
    ]
    # The same without the extended syntax uses RFC 3501's \Noselect.
    assert shape(list_entries(mailboxes, "", ["%"])) == [
        ("music", frozenset({"\\Noselect", "\\HasChildren"}), ())
    ]
    # C: a3.1 LIST "" (% music/rock)  /  S: * LIST () "/" music/rock
    entries = list_entries(mailboxes, "", ["%", "music/rock"], return_children=False)
    assert shape(entries) == [("music/rock", frozenset(), ())]


# -- LSUB (RFC 3501 6.3.9) -------------------------------------------------------


def test_lsub_percent_returns_unsubscribed_parent_as_noselect() -> None:
    # "foo/bar" subscribed but "foo" is not: LSUB "" % must return foo, not
    # foo/bar, flagged \Noselect.
    subs = {"foo/bar"}
    assert lsub_entries(subs, boxes("foo", "foo/bar"), "", "%") == [
        ListEntry(name="foo", attributes=("\\Noselect",))
    ]
    assert lsub_entries(subs, boxes("foo", "foo/bar"), "", "*") == [
        ListEntry(name="foo/bar", attributes=())
    ]


def test_lsub_rfc3501_examples() -> None:
    # A002 LSUB "#news." "comp.mail.*" with "/" as the delimiter.
    subs = {"news/comp/mail/mime", "news/comp/mail/misc"}
    assert lsub_entries(subs, [], "news/", "comp/mail/*") == [
        ListEntry(name="news/comp/mail/mime", attributes=()),
        ListEntry(name="news/comp/mail/misc", attributes=()),
    ]
    # A003 LSUB "#news." "comp.%"  /  S: * LSUB (\NoSelect) "." #news.comp.mail
    assert lsub_entries(subs, [], "news/", "comp/%") == [
        ListEntry(name="news/comp/mail", attributes=("\\Noselect",))
    ]


def test_lsub_keeps_subscriptions_of_missing_mailboxes() -> None:
    # RFC 3501 6.3.6: the server MUST NOT unilaterally remove a subscription.
    assert lsub_entries({"gone", "INBOX"}, boxes("INBOX"), "", "*") == [
        ListEntry(name="INBOX", attributes=()),
        ListEntry(name="gone", attributes=()),
    ]
