"""Round trip: every typed response the strategies make is written by the encoder
and read back by the strict parser in tests/response_parser.py to an equal value."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from response_parser import parse_response

from imap_sansio._encoder import encode_response, encode_response_chunks
from imap_sansio._responses import Response, ResponseCode, Status, StatusResponse
from imap_sansio.testing import _response_strategies as rs

_settings = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _round_trip(response: Response, utf8: bool) -> None:
    data = encode_response(response, utf8=utf8)
    assert data.endswith(b"\r\n")
    assert b"".join(encode_response_chunks(response, utf8=utf8)) == data
    assert parse_response(data, utf8=utf8) == response


@_settings
@given(rs.status_responses(), st.booleans())
def test_status_responses_read_back_equal(response: Response, utf8: bool) -> None:
    _round_trip(response, utf8)


@_settings
@given(rs.continuation_requests(), st.booleans())
def test_continuation_requests_read_back_equal(response: Response, utf8: bool) -> None:
    _round_trip(response, utf8)


@_settings
@given(rs.mailbox_data(), st.booleans())
def test_mailbox_data_reads_back_equal(response: Response, utf8: bool) -> None:
    _round_trip(response, utf8)


@_settings
@given(rs.message_data(), st.booleans())
def test_message_data_reads_back_equal(response: Response, utf8: bool) -> None:
    _round_trip(response, utf8)


@_settings
@given(rs.fetch_data(), st.booleans())
def test_fetch_data_reads_back_equal(response: Response, utf8: bool) -> None:
    _round_trip(response, utf8)


@_settings
@given(rs.uid_fetch_data(), st.booleans())
def test_uid_fetch_data_reads_back_equal(response: Response, utf8: bool) -> None:
    _round_trip(response, utf8)


@given(rs.inprogress_codes(), st.booleans())
def testinprogress_codes_read_back_equal(code: ResponseCode, utf8: bool) -> None:
    _round_trip(StatusResponse(status=Status.OK, text="Working", code=code), utf8)


@given(rs.responses(), st.booleans())
def test_any_response_reads_back_equal(response: Response, utf8: bool) -> None:
    _round_trip(response, utf8)
