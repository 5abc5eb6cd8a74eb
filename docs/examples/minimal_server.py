"""A read-only IMAP server with one message, on the bare engine (no IMAPServer)."""

import socketserver
import sys

from imap_sansio import Config, ConnectionState, SelectedMailboxView
from imap_sansio import commands as c
from imap_sansio import responses as r

MESSAGE = b"From: a@example.org\r\nSubject: hello\r\n\r\nIt works.\r\n"
OK, UID = r.Status.OK, 1


def item(wanted: c.FetchItem) -> r.FetchDataItem | None:
    if wanted == c.FetchAttribute(name="FLAGS"):
        return r.FlagsItem(flags=())
    if wanted == c.FetchAttribute(name="RFC822.SIZE"):
        return r.Rfc822SizeItem(size=len(MESSAGE))
    if isinstance(wanted, c.FetchBody) and wanted.section == c.Section():
        return r.BodySectionItem(section=c.Section(), data=MESSAGE)
    return None  # UID (always sent below) or an item this server does not offer


def answer(conn: ConnectionState, event: object) -> None:
    if not isinstance(event, c.Command):
        return  # the peer closed
    status, text = OK, f"{event.name} completed"
    if isinstance(event, c.Capability):
        conn.send(r.CapabilityData(capabilities=conn.capabilities))
    elif isinstance(event, c.Login):
        if event.password.reveal() != "secret":
            status, text = r.Status.NO, "Wrong password"
    elif isinstance(event, c.Select | c.Examine) and event.mailbox == "INBOX":
        conn.set_view(SelectedMailboxView(uids=[UID], uidvalidity=1, uidnext=UID + 1))
        conn.send(r.FlagsData(flags=()))
        conn.send(r.ExistsData(count=1))
    elif isinstance(event, c.Fetch):  # the engine resolved the set to UIDs
        if event.messages.contains(UID, UID):
            items = [found for wanted in event.items if (found := item(wanted))]
            conn.send(r.FetchData(number=1, items=(r.UidItem(uid=UID), *items)))
    elif isinstance(event, c.Logout):
        conn.send(r.StatusResponse(status=r.Status.BYE, text="Bye"))
    elif not isinstance(event, c.Noop | c.Check):
        status, text = r.Status.NO, "Not offered here"
    conn.send(r.StatusResponse(status=status, tag=event.tag, text=text))


class Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        # Loopback only, so no TLS; LOGIN only, no SASL (AUTH=) mechanisms.
        conn = ConnectionState(secure=True, config=Config(auth_mechanisms=()))
        conn.send_greeting()
        while not conn.closed:
            while data := conn.data_to_send():
                self.wfile.write(data)
            if conn.input_waiting:  # commands held back while the output was full
                events = conn.next_events()
            else:
                events = conn.receive_data(self.request.recv(65536))  # b"": closed
            while events:
                for event in events:
                    answer(conn, event)
                events = conn.next_events()  # input held back by a pause
        while data := conn.data_to_send():
            self.wfile.write(data)


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 1143
    with socketserver.ThreadingTCPServer(("127.0.0.1", port), Handler) as server:
        server.serve_forever()
