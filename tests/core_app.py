"""A tiny deterministic application for driving ConnectionState in tests.

It answers every command the way a minimal server would, so that tests can
look at the engine's framing and state handling in isolation.
"""

from __future__ import annotations

from imap_sansio import (
    AuthenticateCancelled,
    AuthenticateResponse,
    ConnectionClosed,
    ConnectionState,
    Event,
    IdleDone,
)
from imap_sansio._commands import Authenticate, Capability, Enable, Idle, Login, Logout
from imap_sansio._responses import (
    CapabilityData,
    ContinuationRequest,
    EnabledData,
    Status,
    StatusResponse,
)

PASSWORD = "secret"


def answer(conn: ConnectionState, event: Event) -> None:
    """Answer one event like a minimal server."""
    if isinstance(event, ConnectionClosed | AuthenticateCancelled):
        return
    if isinstance(event, IdleDone):
        if not event.aborted:
            conn.send(StatusResponse(status=Status.OK, tag=event.tag, text="IDLE terminated"))
        return
    if isinstance(event, AuthenticateResponse):
        ok = event.data.reveal().split(b"\0")[-1] == PASSWORD.encode()
        conn.send(
            StatusResponse(
                status=Status.OK if ok else Status.NO,
                tag=event.tag,
                text="AUTHENTICATE completed" if ok else "AUTHENTICATE failed",
            )
        )
        return
    if isinstance(event, Authenticate):
        if event.initial_response is None:
            conn.send(ContinuationRequest(text=""))
            return
        answer(conn, AuthenticateResponse(tag=event.tag, data=event.initial_response))
        return
    if isinstance(event, Idle):
        conn.send(ContinuationRequest(text="idling"))
        return
    if isinstance(event, Capability):
        conn.send(CapabilityData(capabilities=conn.capabilities))
    if isinstance(event, Logout):
        conn.send(StatusResponse(status=Status.BYE, text="Logging out"))
    if isinstance(event, Enable):
        conn.send(
            EnabledData(capabilities=tuple(c for c in event.capabilities if c == "UTF8=ACCEPT"))
        )
    if isinstance(event, Login) and event.password.reveal() != PASSWORD:
        conn.send(StatusResponse(status=Status.NO, tag=event.tag, text="LOGIN failed"))
        return
    conn.send(StatusResponse(status=Status.OK, tag=event.tag, text=f"{event.name} completed"))


def feed(conn: ConnectionState, data: bytes) -> list[Event]:
    """Feed bytes, answer every event (also those that answers release)."""
    seen: list[Event] = []
    events = conn.receive_data(data)
    while events:
        for event in events:
            seen.append(event)
            answer(conn, event)
        events = conn.next_events()
    return seen


def run(chunks: list[bytes], *, conn: ConnectionState | None = None) -> tuple[list[Event], bytes]:
    """Greet, feed every chunk, and return (events, all output bytes)."""
    conn = conn if conn is not None else ConnectionState(secure=True)
    conn.send_greeting()
    out = [conn.data_to_send()]
    events: list[Event] = []
    for chunk in chunks:
        events.extend(feed(conn, chunk))
        out.append(conn.data_to_send())
    return events, b"".join(out)
