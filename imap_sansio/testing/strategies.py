"""Hypothesis strategies for typed IMAP commands and responses (needs hypothesis).

Fuzz your own backend, proxy or client with them::

    from hypothesis import given
    from imap_sansio.testing.strategies import commands, encode_command

    @given(commands())
    def test_my_server_survives(command):
        conn.receive_data(encode_command(command))

Commands: :func:`commands` (any typed command), :func:`encode_command` (a
command as wire bytes), and the parts: :func:`tags`, :func:`atoms`,
:func:`mailbox_names`, :func:`command_flags`, :func:`sequence_sets`,
:func:`uid_sets`, :func:`search_keys`, :func:`fetch_items`, :func:`date_times`,
:func:`notify_groups`, :func:`imap_urls` (RFC 5092 URLs, as CATENATE and URLAUTH
carry them).

Responses: :func:`responses` (any typed response) and the families
:func:`status_responses`, :func:`response_codes`, :func:`continuation_requests`,
:func:`mailbox_data`, :func:`metadata_data`, :func:`message_data`, :func:`fetch_data`,
:func:`fetch_data_items`, :func:`uid_fetch_data`, :func:`envelopes`,
:func:`body_structures`, :func:`response_flags`.
"""

from __future__ import annotations

from ._command_strategies import (
    atoms,
    commands,
    date_times,
    encode_command,
    fetch_items,
    imap_urls,
    mailbox_names,
    notify_groups,
    search_keys,
    sequence_sets,
    tags,
    uid_sets,
)
from ._command_strategies import flags as command_flags
from ._response_strategies import (
    body_structures,
    continuation_requests,
    envelopes,
    fetch_data,
    fetch_data_items,
    mailbox_data,
    message_data,
    metadata_data,
    response_codes,
    responses,
    status_responses,
    uid_fetch_data,
)
from ._response_strategies import flags as response_flags

__all__ = [
    "atoms",
    "body_structures",
    "command_flags",
    "commands",
    "continuation_requests",
    "date_times",
    "encode_command",
    "envelopes",
    "fetch_data",
    "fetch_data_items",
    "fetch_items",
    "imap_urls",
    "mailbox_data",
    "mailbox_names",
    "message_data",
    "metadata_data",
    "notify_groups",
    "response_codes",
    "response_flags",
    "responses",
    "search_keys",
    "sequence_sets",
    "status_responses",
    "tags",
    "uid_fetch_data",
    "uid_sets",
]
