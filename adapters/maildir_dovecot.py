"""Dovecot's Maildir files, read and written in Dovecot's own format.

So that Dovecot and :class:`~imap_sansio.adapters.maildir.MaildirBackend`
can take turns serving one maildir (either way round) without a client
seeing a UID or a subscription change:

* ``dovecot-uidlist`` (one per maildir): the UIDVALIDITY, the next UID and
  the UID of every message by its base file name (the part before ``:``).
  Version 3, the one Dovecot 1.1 and later write::

      3 V<uidvalidity> N<next uid> G<mailbox guid> [<key><value> ...]
      <uid> [<key><value> ...] :<base file name>

  A writer that only adds messages appends record lines; the file is
  rewritten (renamed into place) when the header changes.  A reader that
  saw the file before reads only what was appended.  The next UID is the
  header's or one above the last record, whichever is larger (appended
  records cannot change the header).  Version 1 files (Courier's
  ``courierimapuiddb`` format, ``1 <uidvalidity> <next uid>`` then
  ``<uid> <file name>``) are read as well.
* ``subscriptions`` (one per account), version 2: the line ``V<TAB>2``, an
  empty line, then one mailbox a line with the levels of its name joined
  by TAB, each level in modified UTF-7 (as Dovecot 2.3 writes them for a
  Maildir++ layout; a level that is not valid modified UTF-7 is read as
  UTF-8) with TAB, CR, LF and \\001 escaped as \\001 followed by ``t``,
  ``r``, ``n`` or ``1``.  A file without that header (version 1, and what
  earlier versions of this store wrote) has one name a line, levels
  separated by ``/`` or ``.``.
* Locks: Dovecot guards these files with dot-locks, ``<file>.lock``
  created exclusively and holding ``<pid>:<hostname>``; a replacement of
  a whole file is written into its lock file, which is then renamed over
  it.  :class:`DotLock` takes the same locks, so neither program changes a
  file under the other; a lock left by a dead process on this host, or
  older than its stale timeout, is broken as Dovecot breaks it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from imap_sansio._mutf7 import decode_mutf7, encode_mutf7
from imap_sansio.server.names import DELIMITER, INBOX, normalize

__all__ = [
    "DotLock",
    "DovecotUidList",
    "format_subscriptions",
    "parse_subscriptions",
]

UIDLIST = "dovecot-uidlist"
#: Dovecot's stale timeouts (seconds without a change to the lock or the
#: file it guards) for dovecot-uidlist, dovecot-keywords and subscriptions.
UIDLIST_STALE = 120
KEYWORDS_STALE = 60
SUBSCRIPTIONS_STALE = 30
_SUBSCRIPTIONS_V2 = b"V\t2\n\n"


# ---------------------------------------------------------------------------
# dovecot-uidlist


@dataclass(slots=True)
class DovecotUidList:
    """A ``dovecot-uidlist`` as read: header fields and records in UID order."""

    uidvalidity: int
    #: The header's N field: the next UID when the file was last rewritten.
    header_next_uid: int
    guid: str = ""
    version: int = 3
    #: Header fields Dovecot keeps that this store has no use for ("P...").
    header_extra: tuple[str, ...] = ()
    #: UID -> (extension fields such as ``W1234``, base file name).
    records: dict[int, tuple[tuple[str, ...], str]] = field(default_factory=dict)
    #: Base file name -> UID.
    uids: dict[str, int] = field(default_factory=dict)

    @property
    def next_uid(self) -> int:
        last = next(reversed(self.records)) if self.records else 0
        return max(self.header_next_uid, last + 1)

    @classmethod
    def parse(cls, data: bytes) -> DovecotUidList:
        """Read a whole file (complete lines only); ValueError if it is not one."""
        text = data.decode("utf-8", "surrogateescape")
        header, _, rest = text.partition("\n")
        version, _, fields = header.partition(" ")
        if version == "3":
            values: dict[str, str] = {}
            extra = []
            for item in fields.split():
                if item[0] in "VNG":
                    values[item[0]] = item[1:]
                else:
                    extra.append(item)
            uidlist = cls(
                uidvalidity=int(values["V"]),
                header_next_uid=int(values["N"]),
                guid=values.get("G", ""),
                header_extra=tuple(extra),
            )
        elif version == "1":
            uidvalidity, next_uid = fields.split()
            uidlist = cls(uidvalidity=int(uidvalidity), header_next_uid=int(next_uid), version=1)
        else:
            raise ValueError(f"unsupported dovecot-uidlist version {version!r}")
        if not 0 < uidlist.uidvalidity < 2**32 or uidlist.header_next_uid <= 0:
            raise ValueError("broken dovecot-uidlist header")
        uidlist.apply(rest.split("\n")[:-1], version=int(version))
        return uidlist

    def apply(self, lines: Iterable[str], *, version: int = 3) -> None:
        """Read record lines (the whole file's, or those appended since)."""
        records, uids = self.records, self.uids
        for line in lines:
            number, sep, rest = line.partition(" ")
            if not number.isdigit() or not sep:
                raise ValueError(f"broken dovecot-uidlist line {line!r}")
            uid = int(number)
            if records and uid <= next(reversed(records)):
                if records.get(uid, ((), ""))[1] == rest.rpartition(":")[2]:
                    continue  # a line read before (Dovecot may write one twice)
                raise ValueError("dovecot-uidlist UIDs out of order")
            if version == 3:
                fields, colon, base = rest.partition(":")
                if not colon:
                    raise ValueError(f"broken dovecot-uidlist line {line!r}")
                ext = tuple(fields.split())
            else:
                ext, base = (), rest.partition(":")[0]
            if not base or "/" in base or not 0 < uid < 2**32 - 1:
                raise ValueError(f"broken dovecot-uidlist line {line!r}")
            old = uids.get(base)
            if old is not None:  # Dovecot: the later record of a file wins
                del records[old]
            records[uid] = (ext, base)
            uids[base] = uid

    def add(self, uid: int, base: str) -> None:
        old = self.uids.pop(base, None)
        if old is not None:
            del self.records[old]
        self.records[uid] = ((), base)
        self.uids[base] = uid

    @staticmethod
    def record_line(uid: int, ext: tuple[str, ...], base: str) -> bytes:
        return f"{' '.join((str(uid), *ext))} :{base}\n".encode("utf-8", "surrogateescape")

    def dump(self, next_uid: int) -> bytes:
        """The whole file, with ``next_uid`` (at least the list's own) as N."""
        fields = [
            "3",
            f"V{self.uidvalidity}",
            f"N{max(next_uid, self.next_uid)}",
            f"G{self.guid}",
            *self.header_extra,
        ]
        lines = [(" ".join(fields) + "\n").encode()]
        lines.extend(self.record_line(uid, ext, base) for uid, (ext, base) in self.records.items())
        return b"".join(lines)


# ---------------------------------------------------------------------------
# subscriptions


def _tab_unescape(text: str) -> str:
    out = []
    chars = iter(text)
    for char in chars:
        if char == "\x01":
            code = next(chars, "")
            out.append({"1": "\x01", "t": "\t", "r": "\r", "n": "\n", "0": "\x00"}.get(code, code))
        else:
            out.append(char)
    return "".join(out)


def _tab_escape(text: str) -> str:
    return (
        text.replace("\x01", "\x011")
        .replace("\t", "\x01t")
        .replace("\r", "\x01r")
        .replace("\n", "\x01n")
    )


def _decode_level(level: str) -> str:
    try:
        return decode_mutf7(level.encode("ascii"))
    except (UnicodeEncodeError, ValueError):
        return level  # a UTF-8 name (Dovecot with the UTF8 layout option)


def parse_subscriptions(data: bytes) -> list[str]:
    """The mailbox names in a ``subscriptions`` file, in file order."""
    text = data.decode("utf-8", "surrogateescape")
    names = []
    if data.startswith(_SUBSCRIPTIONS_V2):
        for line in text[len(_SUBSCRIPTIONS_V2) :].split("\n"):
            if line:
                levels = [_decode_level(_tab_unescape(level)) for level in line.split("\t")]
                names.append(DELIMITER.join(levels))
    else:
        for raw in text.split("\n"):
            line = raw.removesuffix("\r")
            if line.upper().startswith("INBOX."):  # Courier's names
                line = line[len("INBOX.") :]
            if line:
                # "/" (this store's earlier files) or "." (Maildir++'s own
                # separator, in Dovecot 1 and Courier files) between levels.
                parts = line.replace(".", DELIMITER).split(DELIMITER)
                names.append(DELIMITER.join(_decode_level(level) for level in parts))
    found: dict[str, None] = {}
    for name in names:
        found.setdefault(normalize(name))
    return list(found)


def format_subscriptions(names: Iterable[str]) -> bytes:
    """A version-2 ``subscriptions`` file that Dovecot 2.3 reads and keeps."""
    lines = [_SUBSCRIPTIONS_V2]
    for name in names:
        if name == INBOX:
            lines.append(b"INBOX\n")
            continue
        levels = (_tab_escape(encode_mutf7(level).decode("ascii")) for level in name.split("/"))
        lines.append(("\t".join(levels) + "\n").encode("ascii"))
    return b"".join(lines)


# ---------------------------------------------------------------------------
# Dot-locks


def _lock_owner(lock: Path) -> tuple[int, str] | None:
    try:
        text = lock.read_text("ascii", "replace")
    except OSError:
        return None
    pid, _, host = text.strip().partition(":")
    return (int(pid), host) if pid.isdigit() else None


def _stale(lock: Path, guarded: Path, stale: float, hostname: str) -> bool:
    try:
        st = os.stat(lock)
    except FileNotFoundError:
        return False
    owner = _lock_owner(lock)
    if owner is not None and owner[1] == hostname and owner[0] != os.getpid():
        try:
            os.kill(owner[0], 0)
        except ProcessLookupError:
            return True  # its process is gone
        except PermissionError:
            pass
        return False
    changed = st.st_mtime
    with contextlib.suppress(FileNotFoundError):
        changed = max(changed, os.stat(guarded).st_mtime)
    return time.time() > changed + stale


class DotLock:
    """Dovecot's dot-lock ``<path>.lock``, held while the ``with`` block runs.

    The lock file holds ``<pid>:<host>``.  :meth:`replace` writes a new
    ``path`` into the lock file and renames it over ``path``, which also
    releases the lock.  Waiting ends in TimeoutError after ``timeout``
    seconds (default: the stale timeout and two, as Dovecot waits).

    ``template``: a file holding ``<pid>:<host>`` of this process, on the
    same file system, made once: the lock is taken by linking it to the
    lock's name (as Dovecot's own ``dotlock_use_excl = no`` does), which
    costs less than making a file (an inode) each time; FileNotFoundError
    when the template is gone.  Not with :meth:`replace`.
    """

    def __init__(
        self,
        path: Path,
        *,
        stale: float,
        timeout: float | None = None,
        template: Path | None = None,
    ) -> None:
        self.path = path
        self.lock = path.with_name(path.name + ".lock")
        self._stale = stale
        self._timeout = stale + 2 if timeout is None else timeout
        self._template = template
        self._fd: int | None = None
        self._held = False

    def __enter__(self) -> DotLock:
        hostname = socket.gethostname()
        deadline = time.monotonic() + self._timeout
        pause = 0.001
        while True:
            try:
                if self._template is not None:
                    os.link(self._template, self.lock)
                    # Its age is the lock's, not the template's (a stale check).
                    os.utime(self.lock)
                    self._held = True
                    return self
                flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
                self._fd = os.open(self.lock, flags, 0o600)
                break
            except FileExistsError:
                if _stale(self.lock, self.path, self._stale, hostname):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(self.lock)
                    continue
                if time.monotonic() > deadline:
                    raise TimeoutError(errno.EAGAIN, f"{self.lock} is held") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.1)
        os.write(self._fd, f"{os.getpid()}:{hostname}".encode())
        self._held = True
        return self

    def replace(self, data: bytes, *, fsync: bool = True) -> None:
        fd = self._fd
        assert fd is not None and self._template is None
        os.ftruncate(fd, 0)
        view = memoryview(data)
        offset = 0
        while view:
            written = os.pwrite(fd, view, offset)
            view, offset = view[written:], offset + written
        if fsync:
            os.fsync(fd)
        os.rename(self.lock, self.path)
        os.close(fd)
        self._fd = None
        self._held = False

    def __exit__(self, *exc_info: object) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._held:
            self._held = False
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.lock)
