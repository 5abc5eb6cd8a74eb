"""imap-codec (the PyPI Python bindings of the Rust crate) as an independent oracle.

Every response our strategies generate that lies within what imap-codec
0.1.x models (IMAP4rev1 plus some extensions) is encoded by our encoder and
must be decoded by imap-codec completely.  Skipped when imap-codec is not
installed (``pip install imap-codec``).
"""

from __future__ import annotations

import imap_codec
from hypothesis import HealthCheck, assume, given, settings

from imap_sansio._bodystructure import BodyStructure, MultiPart
from imap_sansio._encoder import encode_response
from imap_sansio._responses import (
    AclData,
    BinarySectionItem,
    BodyItem,
    BodyStructureItem,
    CapabilityData,
    EmailIdItem,
    ESearchData,
    FetchData,
    GenUrlAuthData,
    InProgressCode,
    ListData,
    ListRightsData,
    ModSeqItem,
    MyRightsData,
    NamespaceData,
    PreviewItem,
    Response,
    Rfc822SizeItem,
    SaveDateItem,
    SearchData,
    SortData,
    Status,
    StatusData,
    StatusResponse,
    ThreadIdItem,
    UidFetchData,
    UrlFetchData,
    VanishedData,
)
from imap_sansio.testing import _response_strategies as rs

# Not modelled by imap-codec 0.1.x (its Python build has no such extension).
# imap-codec decodes neither GENURLAUTH nor URLFETCH data (RFC 4467): tried
# with the real responses of RFC 4467 7, DecodeFailed.
_UNSUPPORTED_TYPES = (
    ESearchData,
    VanishedData,
    NamespaceData,
    UidFetchData,
    AclData,
    ListRightsData,
    MyRightsData,
    GenUrlAuthData,
    UrlFetchData,
)
_UNSUPPORTED_ITEMS = (ModSeqItem, PreviewItem, SaveDateItem, EmailIdItem, ThreadIdItem)


def _has_global(body: BodyStructure) -> bool:
    if isinstance(body, MultiPart):
        return any(_has_global(part) for part in body.parts)
    if body.subtype.upper() == b"GLOBAL":
        return True
    return body.body is not None and _has_global(body.body)


def _rev1(response: Response) -> bool:
    """True if imap-codec 0.1.x models this response (IMAP4rev1 rules)."""
    if isinstance(response, _UNSUPPORTED_TYPES):
        return False
    if isinstance(response, StatusResponse):
        code = response.code
        if isinstance(code, InProgressCode) and code.tag is not None and "]" in code.tag:
            # imap-codec 0.1 reads INPROGRESS by RFC 3501's generic code rule
            # (no "]" inside); the server sends NIL for such a tag.
            return False
        return response.text != ""  # RFC 3501: text = 1*TEXT-CHAR
    if isinstance(response, CapabilityData):
        return bool(response.capabilities)
    if isinstance(response, ListData):
        return response.childinfo is None and response.old_name is None
    if isinstance(response, SearchData | SortData):
        return response.modseq is None
    if isinstance(response, StatusData):
        return (
            response.mailbox_id is None
            and response.appendlimit is None
            and response.size is None
            and response.highestmodseq is None
        )
    if isinstance(response, FetchData):
        for item in response.items:
            if isinstance(item, _UNSUPPORTED_ITEMS):
                return False
            if isinstance(item, Rfc822SizeItem) and item.size >= 2**32:
                return False
            # RFC 9051 7.5.2 prose has BINARY[...]<number>; the ABNF (and imap-codec) not
            if isinstance(item, BinarySectionItem) and item.origin is not None:
                return False
            if isinstance(item, BodyItem | BodyStructureItem) and _has_global(item.structure):
                return False
    return True


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(rs.responses())
def test_imap_codec_decodes_every_rev1_response_we_write(response: Response) -> None:
    assume(_rev1(response))
    data = encode_response(response)
    # imap-codec models PREAUTH as a greeting only
    preauth = isinstance(response, StatusResponse) and response.status is Status.PREAUTH
    codec = imap_codec.GreetingCodec if preauth else imap_codec.ResponseCodec
    remainder, _ = codec.decode(data)
    assert remainder == b""
