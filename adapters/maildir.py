"""MaildirBackend: the Backend protocol over Maildir++ directories on disk.

Layout (one Maildir++ per user)::

    root/<username>/                 INBOX (cur/ new/ tmp/)
    root/<username>/.Sent/           mailbox "Sent"
    root/<username>/.Archive.2025/   mailbox "Archive/2025"
    root/<username>/subscriptions    subscribed names, in Dovecot's format (version 2)
    root/<username>/imap-sansio-urlauth  URLAUTH access keys: "<hex key> <mailbox>" lines (0600)

To serve one existing maildir (``~/Maildir``) for a single user, pass its
parent as ``root`` and its directory name as the user name, or subclass and
override :meth:`MaildirBackend.user_path`.

On-disk decisions:

* Folder names: ``"/"`` in a mailbox name is ``"."`` on disk; each level is
  written in modified UTF-7 (as Courier and Dovecot do).  A ``"."`` inside a
  level cannot be represented, so such names are refused with
  ``NO [CANNOT]``.  Levels that do not decode as modified UTF-7 (written by
  a UTF-8 tool) are shown as they are.  ``.INBOX`` is ignored (it would shadow
  INBOX).
* Messages: ``cur/<base>:2,<letters>``; letters D F R S T are \\Draft,
  \\Flagged, \\Answered, \\Seen, \\Deleted; P ("passed") and any other
  upper-case letter are kept untouched but not shown (no IMAP flag means
  "passed").  Keywords are the letters ``a``-``z``, mapped to names by a
  ``dovecot-keywords`` file (``<index> <name>`` lines, Dovecot's format) in
  each maildir: at most 26 keywords per mailbox; a letter no message uses any
  more is reused, and a 27th keyword in use gets ``NO [LIMIT]``.
* Messages delivered into ``new/`` by other programs are moved to ``cur/``
  and get the next UIDs (oldest mtime first) at the next access of the
  mailbox; files that disappear are expunged, renamed flag letters are
  flag changes.  File names containing CR or LF, or whose info part contains
  white space, are left alone and never shown.
* Message bytes: a file with no CR at all is a Unix-format delivery and is
  served with every LF turned into CRLF (RFC 5322 lines); anything else is
  served as stored.  RFC822.SIZE is the size as served.  APPEND stores the
  bytes verbatim.
* Internal date: the file's mtime, read when the message is first seen and
  set by APPEND; the time zone given to APPEND is remembered in the UID list.
* Dovecot: the maildir may be served by Dovecot before, after or between
  times (see :mod:`imap_sansio.adapters.maildir_dovecot` for the formats).
  Its ``dovecot-uidlist`` in each maildir is the authority on UIDVALIDITY
  and UIDs: read (only what was appended since it was last read), taken
  as it is (a message Dovecot numbered keeps its UID; a UIDVALIDITY that
  differs from this store's own list replaces it), appended to when this
  store numbers a message, written whole when missing, when a rename
  gives a new UIDVALIDITY, or when most of its records are of expunged
  messages; always under Dovecot's dot-lock ``dovecot-uidlist.lock``,
  which this store takes (after its own lock) only to number messages or
  write that list, and reads the list again once it holds it.
  ``dovecot-keywords`` and ``subscriptions`` are Dovecot's formats,
  replaced under its dot-locks as Dovecot replaces them.  Dovecot's own
  index files (``dovecot.index*``) are left to Dovecot, which brings them
  up to date from the maildir.
* UIDs and modseqs: ``imap-sansio-uidlist`` in each maildir holds the
  mailbox id, UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, the first unclaimed
  (\\Recent) UID, the special-use attributes, one line per message (uid,
  modseq, arrival modseq, size, mtime, zone, flag letters, base name), after
  it one with its save date, EMAILID and THREADID (SAVEDATE, OBJECTID), and one
  per expunged message (tombstones for QRESYNC: the last
  ``max_tombstones`` of them, and the modseq up to which older ones were
  forgotten).  A change appends lines (a later line about a message or a
  header field replaces an earlier one; a tombstone removes its message),
  so its cost does not grow with the mailbox; the file is rewritten whole
  (renamed into place, with a new ``gen`` line) only when it is new or mostly
  superseded lines.  A reader reads only what was appended since it last
  looked, and leaves a line not yet complete for later; a line torn by a
  crash is cut off by the next writer.  Modseqs are therefore persistent
  (CONDSTORE/QRESYNC are offered).  If the file is lost or unreadable it is
  rebuilt from ``dovecot-uidlist`` (same UIDVALIDITY and UIDs, modseqs
  starting above any it had: see ``_Folder._first_modseq``), or, when that
  is lost too, with a new UIDVALIDITY, so clients resynchronise fully and
  no stale UID or modseq is ever trusted.
* What each open mailbox looks like is kept in memory between calls (the
  UID list's entries, keyword table, the names in ``cur/``, and the inode
  and mtime of ``new/`` and ``cur/`` when they were listed or changed by
  this store).  A call that changes nothing costs four ``stat`` calls and
  no lock.  The directories are listed again when their mtime moved by
  another hand than this store's (its own changes are taken as known:
  ``_Folder.adopt``), and ``cur/`` once more at the first call after a
  clock tick (50 ms on file systems with sub-second stamps, 1 s on others)
  from such a change or a listing, since a change another program made in
  the same tick leaves the mtime as it was (Dovecot's rule, with 1 s).
  After a listing that found changes by another program, ``cur/`` is
  listed at every call until its mtime is a tick old, so a change right
  after it is found at the next call.  Directories are made once, when
  missing.
* Flushes: an APPEND writes and flushes its message into ``tmp/`` before
  taking any lock; ``cur/`` is flushed before a new message is visible; the
  UID lists are flushed after the backend's lock is released, before the
  call returns (see ``MaildirBackend._writing``), as Dovecot's
  ``mail_fsync = optimized`` flushes its list after writing it.
* THREADIDs: ``imap-sansio-threads`` in the user directory lists, one line
  each, a Message-ID and the THREADID of the messages that carry or cite it
  (see :func:`imap_sansio.server.thread_keys`); lines are only ever added.
* UIDVALIDITY values come from the clock (seconds) forced to increase per
  account; ``imap-sansio-uidvalidity`` in the user directory keeps the last
  value and, per name, the largest value it ever had (RFC 3501 2.3.1.1).
* ACLs (RFC 4314): a ``dovecot-acl`` file in each maildir (INBOX's in the
  user directory), one ``<identifier> <rights>`` line per entry in the
  words of Dovecot's vfile ACLs (``user=bob lr``, ``anyone l``, ``-user=bob
  w``), so an ACL moves with its directory on RENAME and goes with it on
  DELETE.  ``imap-sansio-acl-owners`` in the root lists the users who set
  an ACL here, one per line; other users' shared mailboxes are found by
  reading the ``dovecot-acl`` files of those users' folders only (add a
  user's name there to share ACLs another program wrote).
* ``\\Noselect`` levels (DELETE of a mailbox with inferiors) are folder
  directories holding only an ``imap-sansio-noselect`` marker file.
* Annotations (METADATA, RFC 5464): ``imap-sansio-metadata`` in a folder's
  directory (INBOX: the user directory) holds its entries as JSON (owner,
  "" for shared entries, then entry name, then the value in base64), so
  they move with RENAME and go with DELETE; the server's entries are in
  ``root/.imap-sansio-metadata``.  Changed under the account lock (the
  server's under ``root/.imap-sansio-metadata.lock``) and written atomically.
* Writes are atomic: files are written into ``tmp/`` and renamed into place
  (messages into ``cur/``, state files over the old ones), fsync'ed unless
  ``fsync=False``.  A crash between a message operation and its UID-list
  update is repaired by the next scan: the file is found again (new UID) or
  found missing (expunged); nothing is lost or duplicated.  COPY hard-links
  (or copies) the file, MOVE renames it.  A file renamed by another program
  during an operation is found again by its base name.  Staging directories
  left by a crash are removed after 36 hours, and so are files in a
  maildir's ``tmp/`` not read or written for 36 hours (failed deliveries,
  as the Maildir convention says), looked for when the mailbox is
  scanned, at most every 8 hours.
* Concurrency: every change and every scan that finds something to write
  holds ``flock`` on ``imap-sansio.lock`` in its directory; hierarchy
  changes hold ``imap-sansio-account.lock``; several processes (or backends)
  may serve the same directories.  Within one backend, calls are serialised
  by a lock, so the backend is thread-safe (``thread_safe`` is True) and the
  adapters call it from worker threads at once; the calls are short (no
  network), so one lock per backend costs little.

Listeners hear about the changes this backend makes and about outside
changes that a scan discovered.  Changes made by other programs (a delivery
agent, another ``imap-sansio serve`` process, a mail reader working on the
files) are found at the next call that touches the mailbox, and sooner for
mailboxes being watched: :meth:`MaildirBackend.watch` (called by the
adapters for every selected mailbox) has a watcher thread look at
``new/`` and ``cur/`` on every inotify event (the ``maildir-watch`` extra)
or every second, and send the notice that wakes IDLE clients (see
:mod:`imap_sansio.adapters.maildir_watch`).
"""

from __future__ import annotations

import base64
import contextlib
import errno
import fcntl
import functools
import itertools
import json
import logging
import os
import secrets
import shutil
import socket
import stat
import tempfile
import threading
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from imap_sansio._mutf7 import decode_mutf7, encode_mutf7
from imap_sansio._secret import Secret
from imap_sansio.server._backend import (
    AppendResult,
    AuthenticationFailed,
    ChangeListener,
    ChangeNotice,
    Changes,
    CopyResult,
    ImapNo,
    MailboxExists,
    MailboxInfo,
    MailboxStatus,
    MessageInfo,
    MessageSource,
    NoSuchMailbox,
    StoreAction,
    StoreResult,
    thread_keys,
)
from imap_sansio.server._metadata import (
    MetadataTable,
    apply_metadata,
    metadata_notice,
    visible_metadata,
)
from imap_sansio.server._sasl import ClearPasswords, PasswordDatabase
from imap_sansio.server.names import DELIMITER, INBOX, levels, name_error, normalize

from .maildir_dovecot import (
    KEYWORDS_STALE,
    SUBSCRIPTIONS_STALE,
    UIDLIST_STALE,
    DotLock,
    DovecotUidList,
    format_subscriptions,
    parse_subscriptions,
)
from .maildir_dovecot import UIDLIST as DOVECOT_UIDLIST

if TYPE_CHECKING:
    from .maildir_watch import MaildirWatcher

__all__ = ["MaildirAccount", "MaildirBackend", "MaildirMailbox"]

log = logging.getLogger(__name__)

UIDLIST = "imap-sansio-uidlist"
KEYWORDS = "dovecot-keywords"
LOCK = "imap-sansio.lock"
ACCOUNT_LOCK = "imap-sansio-account.lock"
UIDVALIDITY_FILE = "imap-sansio-uidvalidity"
UIDVALIDITY_LOCK = "imap-sansio-uidvalidity.lock"
THREADS_FILE = "imap-sansio-threads"
THREADS_LOCK = "imap-sansio-threads.lock"
NOSELECT = "imap-sansio-noselect"
SUBSCRIPTIONS = "subscriptions"
ACL_FILE = "dovecot-acl"
ACL_OWNERS = "imap-sansio-acl-owners"
URLAUTH_KEYS = "imap-sansio-urlauth"

METADATA_FILE = "imap-sansio-metadata"
#: The server's annotations, beside the user directories (no user name starts with a dot).
SERVER_METADATA = ".imap-sansio-metadata"
_STAGING = "imap-sansio-staging-"
#: Dovecot's dot-lock on its UID list, taken after LOCK to number messages
#: (see _Folder.numbering and _Locks).
_DOVECOT_UIDLIST_LOCK = DOVECOT_UIDLIST + ".lock"
#: Maildir convention: a file in tmp/ untouched this long is a failed delivery.
_TMP_STALE_SECONDS = 36 * 3600
#: How often one backend looks at a maildir's tmp/ for such files.
_TMP_SCAN_SECONDS = 8 * 3600
_UIDLIST_MAGIC = "imap-sansio-uidlist 1"
#: Bytes read from a message file at a time when streaming it.
_READ_PIECE = 64 * 1024
#: Big APPEND literals arrive here (see MaildirBackend.literal_sink); user
#: names never start with a dot, so no user directory can be called this.
_SPOOL_DIR = ".imap-sansio-spool"

# Maildir info letters (cr.yp.to/proto/maildir.html) <-> IMAP system flags.
_LETTER_FLAGS = {
    "D": "\\Draft",
    "F": "\\Flagged",
    "R": "\\Answered",
    "S": "\\Seen",
    "T": "\\Deleted",
}
_FLAG_LETTERS = {flag: letter for letter, flag in _LETTER_FLAGS.items()}
_KEYWORD_LETTERS = "abcdefghijklmnopqrstuvwxyz"


# ---------------------------------------------------------------------------
# Names


def _folder_dirname(name: str) -> str:
    """The Maildir++ directory of mailbox ``name`` (not INBOX): ``a/b`` -> ``.a.b``."""
    parts = levels(name)
    if any("." in level for level in parts):
        raise ImapNo("Mailbox names cannot contain '.' in this Maildir++ store", "CANNOT")
    dirname = "." + ".".join(encode_mutf7(level).decode("ascii") for level in parts)
    if len(dirname.encode()) > 255:
        raise ImapNo("Mailbox name too long", "CANNOT")
    return dirname


def _folder_name(dirname: str) -> str | None:
    """The mailbox name of a Maildir++ directory, or None if it is not a folder."""
    if not dirname.startswith(".") or dirname in (".", ".."):
        return None
    levels = dirname[1:].split(".")
    decoded = []
    for level in levels:
        try:
            decoded.append(decode_mutf7(level.encode("ascii")))
        except (UnicodeEncodeError, ValueError):
            decoded.append(level)  # written in UTF-8 (or worse) by another program
    name = normalize(DELIMITER.join(decoded))
    if name == INBOX or name_error(name) is not None:
        return None
    return name


def _split_filename(filename: str) -> tuple[str, str] | None:
    """``base:2,letters`` -> ``(base, letters)``; None for names we leave alone."""
    if filename.startswith(".") or "\n" in filename or "\r" in filename:
        return None
    base, sep, info = filename.partition(":")
    if not base:
        return None
    letters = info[2:] if sep and info.startswith("2,") else ""
    if any(c.isspace() for c in letters):
        return None
    return base, letters


def _imap_bytes(raw: bytes) -> bytes:
    # Unix-format deliveries (no CR anywhere) are served with CRLF line ends.
    if b"\r" not in raw and b"\n" in raw:
        return raw.replace(b"\n", b"\r\n")
    return raw


class _MessageFile:
    """A message file as a :class:`MessageSource`, read a piece at a time.

    Opened on the first read (a FETCH of many messages holds one file open
    at a time) and found again by its base name if its flag letters changed
    meanwhile.  A Unix-format file (served with CRLF, see :func:`_imap_bytes`;
    its served size differs from its file size) is converted piece by piece;
    reading it from an earlier offset starts again from the top.
    """

    __slots__ = ("_carry", "_cur", "_file", "_filename", "_next", "_size")

    def __init__(self, cur: Path, filename: str, size: int) -> None:
        self._cur = cur
        self._filename = filename
        self._size = size
        self._file: BinaryIO | None = None
        #: Served bytes converted but not returned yet, from served offset _next.
        self._carry = b""
        self._next = 0

    @property
    def size(self) -> int:
        return self._size

    def _open(self) -> BinaryIO:
        if self._file is None:
            try:
                self._file = open(self._cur / self._filename, "rb")  # noqa: SIM115
            except FileNotFoundError:
                base = self._filename.rpartition(":2,")[0]
                for name in _listdir(self._cur):
                    parts = _split_filename(name)
                    if parts is not None and parts[0] == base:
                        self._filename = name
                        self._file = open(self._cur / name, "rb")  # noqa: SIM115
                        break
                else:
                    raise
            self._carry, self._next = b"", 0
        return self._file

    def read(self, offset: int, length: int) -> bytes:
        length = max(0, min(length, self._size - offset))
        if not length:
            return b""
        file = self._open()
        if os.fstat(file.fileno()).st_size == self._size:
            file.seek(offset)
            return file.read(length)
        if offset < self._next:
            file.seek(0)
            self._carry, self._next = b"", 0
        parts: list[bytes] = []
        while length:
            if not self._carry:
                raw = file.read(_READ_PIECE)
                if not raw:
                    break
                self._carry = raw.replace(b"\n", b"\r\n")
            skip = offset - self._next
            piece = self._carry[skip : skip + length]
            used = skip + len(piece)
            self._next += used
            self._carry = self._carry[used:]
            parts.append(piece)
            offset += len(piece)
            length -= len(piece)
        return b"".join(parts)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class _SpoolFile:
    """A big APPEND literal written into the store's spool directory (see
    :meth:`MaildirBackend.literal_sink`): sink, then source; APPEND links it
    into the maildir instead of copying it, ``close`` removes the name."""

    __slots__ = ("_fd", "_owner", "_size", "has_cr", "lines", "path")

    def __init__(self, owner: MaildirBackend, directory: Path) -> None:
        fd, name = tempfile.mkstemp(dir=directory, prefix="literal-")
        self._fd: int | None = fd
        self._owner = owner
        self._size = 0
        self.path = Path(name)
        # Counted as the pieces arrive (while they are in the CPU's cache),
        # so that APPEND need not read the file again for its served size
        # (see _imap_bytes): a CR anywhere, else the LFs.
        self.has_cr = False
        self.lines = 0

    @property
    def size(self) -> int:
        return self._size

    def owned_by(self, backend: MaildirBackend) -> bool:
        return self._owner is backend

    def write(self, data: bytes) -> None:
        assert self._fd is not None
        if not self.has_cr:
            self.has_cr = b"\r" in data
            self.lines += data.count(b"\n")
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]
        self._size += len(data)

    def finish(self) -> _SpoolFile:
        return self

    def read(self, offset: int, length: int) -> bytes:
        length = max(0, min(length, self._size - offset))
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        pieces: list[bytes] = []
        while length:
            piece = os.pread(self._fd, length, offset)
            if not piece:
                break
            pieces.append(piece)
            offset += len(piece)
            length -= len(piece)
        return b"".join(pieces)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self.path.unlink(missing_ok=True)

    discard = close


def _rename_to(source: Path, *, target: Path) -> None:
    os.rename(source, target)


def _check_username(username: str) -> None:
    if (
        not username
        or username.startswith(".")
        or "/" in username
        or "\x00" in username
        or any(ord(c) < 0x20 for c in username)
    ):
        raise ValueError(f"user name {username!r} cannot be a directory name")


# ---------------------------------------------------------------------------
# File helpers


class _Locks:
    """``flock`` locks on lock files, re-entrant within one backend."""

    def __init__(self) -> None:
        self._held: dict[str, tuple[int | DotLock, int]] = {}
        #: Per maildir: the file whose links are this process's Dovecot
        #: locks there (see DotLock), in its tmp/ (so it goes with the
        #: maildir, and is cleaned as any file there once left for 36 hours).
        self._templates: dict[str, Path] = {}

    def _template(self, directory: str) -> Path | None:
        template = self._templates.get(directory)
        if template is None:
            template = Path(directory, "tmp", f"dovecot-uidlist.lock.{secrets.token_hex(8)}")
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
            try:
                fd = os.open(template, flags, 0o600)
            except OSError:  # no tmp/: made by a file each time
                return None
            try:
                os.write(fd, f"{os.getpid()}:{socket.gethostname()}".encode())
            finally:
                os.close(fd)
            self._templates[directory] = template
        return template

    def _dotlock(self, path: str) -> DotLock:
        """Dovecot's lock on the UID list beside ``path``, held."""
        directory = os.path.dirname(path)
        guarded = Path(directory, DOVECOT_UIDLIST)
        for _ in range(2):
            dotlock = DotLock(guarded, stale=UIDLIST_STALE, template=self._template(directory))
            try:
                dotlock.__enter__()
            except FileNotFoundError:  # the template was cleaned away: made again
                self._templates.pop(directory, None)
                continue
            return dotlock
        return DotLock(guarded, stale=UIDLIST_STALE).__enter__()

    @contextlib.contextmanager
    def hold(self, *paths: Path) -> Iterator[None]:
        # A fixed order (sorted paths) keeps two processes from deadlocking.
        with contextlib.ExitStack() as stack:
            for path in sorted({str(p) for p in paths}):
                stack.enter_context(self._hold_one(path))
            yield

    @contextlib.contextmanager
    def _hold_one(self, path: str) -> Iterator[None]:
        entry = self._held.get(path)
        if entry is None and os.path.basename(path) == _DOVECOT_UIDLIST_LOCK:
            # Dovecot's own lock on dovecot-uidlist, so that it never assigns
            # UIDs while this store does (it holds it while it moves files
            # into new/ or cur/ and appends their UIDs).
            try:
                dotlock = self._dotlock(path)
            except TimeoutError:
                raise ImapNo("Mailbox is locked by another program", "INUSE") from None
            self._held[path] = (dotlock, 1)
        elif entry is None:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except BaseException:
                os.close(fd)
                raise
            self._held[path] = (fd, 1)
        else:
            self._held[path] = (entry[0], entry[1] + 1)
        try:
            yield
        finally:
            lock, count = self._held[path]
            if count > 1:
                self._held[path] = (lock, count - 1)
            elif isinstance(lock, DotLock):
                del self._held[path]
                lock.__exit__(None, None, None)
            else:
                del self._held[path]
                os.close(lock)  # releases the flock


def _append_lines(
    path: str, data: bytes, size: int, *, backend: MaildirBackend, inode: int | None = None
) -> os.stat_result:
    """Append ``data`` to a line file whose complete lines end at ``size``
    (a line torn by a crash after it is cut off first); the file's stat after.
    ``inode``: the file must still be that one (the caller holds its lock).
    Flushed to disk before the backend call returns (see _Deferred)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if inode is not None and st.st_ino != inode:  # pragma: no cover - under the lock
            raise ImapNo("UID list replaced under its lock", "SERVERBUG")
        if st.st_size != size:
            os.ftruncate(fd, size)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        backend._fsync_later(path, fd)
        return os.fstat(fd)
    finally:
        os.close(fd)


def _stat_signature(path: Path | str) -> tuple[int, int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _dir_sig(path: Path | str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns)


class _LineFile:
    """What was read of a line file that writers append to or replace whole
    (by rename): this store's UID list and Dovecot's.  A reader reads only
    the complete lines appended since it last looked, and the whole file
    when it was replaced (another inode, or other first bytes: an inode
    number can be reused)."""

    __slots__ = ("_pending", "head", "path", "sig", "size")

    def __init__(self, path: str) -> None:
        self.path = path
        #: (inode, size, mtime) when it was last read to its end; None: read whole.
        self.sig: tuple[int, int, int] | None = None
        #: Bytes of complete lines read, and the file's first bytes.
        self.size = 0
        self.head = b""
        self._pending: tuple[tuple[int, int, int] | None, int, bytes] | None = None

    def read(self) -> tuple[bool, bytes] | None:
        """None when the file did not change since it was last read; else
        (grown, complete lines): those appended since (grown) or all of them.
        FileNotFoundError when there is no file.  :meth:`commit` takes what
        was read as read (after it was understood), :meth:`forget` does not."""
        st = os.stat(self.path)
        sig = (st.st_ino, st.st_size, st.st_mtime_ns)
        if sig == self.sig:
            return None
        with open(self.path, "rb") as file:
            grown = (
                self.sig is not None
                and st.st_ino == self.sig[0]
                and st.st_size > self.size
                and file.read(len(self.head)) == self.head
            )
            file.seek(self.size if grown else 0)
            data = file.read()
        # A line still being written (or torn by a crash) waits.
        end = data.rfind(b"\n") + 1
        size, head = (self.size + end, self.head) if grown else (end, data[:64])
        self._pending = (sig if end == len(data) else None, size, head)
        return grown, data[:end]

    def commit(self) -> None:
        assert self._pending is not None
        self.sig, self.size, self.head = self._pending
        self._pending = None

    def forget(self) -> None:
        self.sig, self._pending = None, None

    def appended(self, st: os.stat_result, size: int) -> None:
        """This process appended ``size`` bytes of lines (``st``: the file's stat after)."""
        self.size += size
        self.sig = (st.st_ino, st.st_size, st.st_mtime_ns)

    def replaced(self, data: bytes) -> None:
        """This process wrote the whole file (``data``)."""
        st = os.stat(self.path)
        self.sig = (st.st_ino, st.st_size, st.st_mtime_ns)
        self.size, self.head = len(data), data[:64]


# A file system with nanosecond stamps takes them from a clock that ticks
# every few milliseconds; one with whole seconds (ext3, some NFS) every second.
_FINE_TICK_NS = 50_000_000
_COARSE_TICK_NS = 1_000_000_000
# At most this many MessageInfos are kept per maildir (see _Folder.info).
_INFOS_KEPT = 20_000
# The UID list is rewritten whole when it is at least this long and mostly
# superseded lines.
_COMPACT_BYTES = 64 * 1024


def _settled(mtime_ns: int, now_ns: int) -> bool:
    """Whether a directory listed at ``now_ns`` would get a later mtime from
    any later change (False: its mtime is in the tick still running)."""
    tick = _COARSE_TICK_NS if mtime_ns % 1_000_000_000 == 0 else _FINE_TICK_NS
    return now_ns - mtime_ns > tick


def _listdir(path: Path | str) -> list[str]:
    try:
        return os.listdir(path)
    except FileNotFoundError:
        return []


# ---------------------------------------------------------------------------
# One maildir's state


@dataclass(frozen=True, slots=True, kw_only=True)
class _Entry:
    """One message as the UID list records it."""

    uid: int
    modseq: int
    born: int  # modseq of its arrival
    size: int  # RFC822.SIZE (as served)
    mtime: int  # internal date, seconds since the epoch
    zone: int  # internal date's offset from UTC, minutes
    letters: str  # info letters as in the file name
    base: str
    #: RFC 8474 5.1 EMAILID ("": a line written before object ids were kept)
    email_id: str = ""
    #: RFC 8514 save date, seconds since the epoch (0: not known)
    saved: int = 0
    #: RFC 8474 5.2 THREADID ("": none, THREADID NIL)
    thread_id: str = ""

    @property
    def filename(self) -> str:
        return f"{self.base}:2,{self.letters}"


@dataclass(frozen=True, slots=True, kw_only=True)
class _Staged:
    """A new message written into a maildir's ``tmp/``, not yet in ``cur/``."""

    tmp: Path
    size: int  # RFC822.SIZE (as served)
    mtime: int  # internal date, seconds since the epoch
    zone: int  # internal date's offset from UTC, minutes
    keys: tuple[str, ...]  # thread keys (see thread_keys)


@dataclass(slots=True, kw_only=True)
class _State:
    mailbox_id: str
    uidvalidity: int
    uidnext: int = 1
    modseq: int = 1
    recent_from: int = 1
    special_use: frozenset[str] = frozenset()
    entries: dict[int, _Entry] = field(default_factory=dict)  # ascending UID
    tombstones: list[tuple[int, int, int]] = field(default_factory=list)  # (modseq, uid, born)
    forgotten: int = 0  # tombstones up to this modseq were dropped (see compact)
    # What the file does not say yet (see _Folder.save): UIDs whose line
    # changed, how many tombstones it has, the header lines it ends with,
    # and whether tombstones were dropped (appended lines cannot say that).
    dirty: set[int] = field(default_factory=set)
    saved_tombstones: int = 0
    saved_header: tuple[str, ...] = ()
    compacted: bool = False
    # (modseq, uid) of each change to an entry, in modseq order (older ones
    # of the same UID left in), so that changes since a modseq are found
    # without looking at every message; None: to be made from the entries.
    log: list[tuple[int, int]] | None = None

    def changed_since(self, modseq: int) -> list[_Entry]:
        """The messages changed or added after ``modseq``, in UID order."""
        entries = self.entries
        log = self.log
        if log is None or len(log) > 2 * len(entries) + 64:
            log = self.log = sorted((e.modseq, e.uid) for e in entries.values())
        start = bisect_right(log, (modseq, 2**63))
        uids = sorted({uid for _, uid in log[start:]})
        return [e for e in map(entries.get, uids) if e is not None and e.modseq > modseq]

    def _logged(self, entry: _Entry) -> None:
        log = self.log
        if log is not None:
            if log and entry.modseq < log[-1][0]:
                self.log = None  # out of order (not written by a bump): made anew
            else:
                log.append((entry.modseq, entry.uid))

    def compact(self, keep: int) -> None:
        """Keep the last ``keep`` tombstones (RFC 7162 5.3), dropped in
        batches so that each expunge costs O(1) amortised."""
        if len(self.tombstones) > 2 * keep:
            drop = len(self.tombstones) - keep
            # A change (one modseq) is remembered whole or not at all.
            while drop and self.tombstones[drop - 1][0] == self.tombstones[drop][0]:
                drop -= 1
            if drop:
                self.forgotten = self.tombstones[drop - 1][0]
                del self.tombstones[:drop]
                self.compacted = True

    def header(self) -> tuple[str, ...]:
        return (
            f"uidvalidity {self.uidvalidity}",
            f"uidnext {self.uidnext}",
            f"modseq {self.modseq}",
            f"recent {self.recent_from}",
            " ".join(["special", *sorted(self.special_use)]),
            f"forgotten {self.forgotten}",
        )

    def put(self, entry: _Entry) -> None:
        self.entries[entry.uid] = entry
        self.dirty.add(entry.uid)
        self._logged(entry)

    def mark_saved(self) -> None:
        self.dirty.clear()
        self.saved_tombstones = len(self.tombstones)
        self.saved_header = self.header()
        self.compacted = False

    @staticmethod
    def _line(e: _Entry) -> str:
        line = f"m {e.uid} {e.modseq} {e.born} {e.size} {e.mtime} {e.zone} ,{e.letters} {e.base}"
        if e.email_id or e.saved:
            # A line of its own, so that files written before it still read.
            line += f"\nx {e.uid} {e.saved} {e.email_id or '-'} {e.thread_id or '-'}"
        return line

    def dump(self) -> bytes:
        """The whole list (a snapshot); ``gen`` tells readers it is a new file."""
        lines = [_UIDLIST_MAGIC, f"gen {secrets.token_hex(8)}", f"id {self.mailbox_id}"]
        lines.extend(self.header())
        lines.extend(map(self._line, self.entries.values()))
        lines.extend(f"t {m} {u} {b}" for m, u, b in self.tombstones)
        return ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")

    def delta(self) -> bytes:
        """The lines to append so that the file says what this state says:
        changed header lines, changed or new messages, new tombstones."""
        lines = [h for h, old in zip(self.header(), self.saved_header, strict=True) if h != old]
        entries = self.entries
        lines.extend(self._line(entries[uid]) for uid in sorted(self.dirty) if uid in entries)
        lines.extend(f"t {m} {u} {b}" for m, u, b in self.tombstones[self.saved_tombstones :])
        return ("".join(line + "\n" for line in lines)).encode("utf-8", "surrogateescape")

    @classmethod
    def parse(cls, data: bytes) -> _State:
        lines = data.decode("utf-8", "surrogateescape").split("\n")
        if lines[0] != _UIDLIST_MAGIC or lines[-1] != "":
            raise ValueError("not a complete UID list")
        header: dict[str, str] = {}
        for line in lines[1:-1]:
            kind, _, rest = line.partition(" ")
            if kind in ("m", "t", "x"):
                break
            header[kind] = rest
        state = cls(
            mailbox_id=header["id"],
            uidvalidity=int(header["uidvalidity"]),
            uidnext=int(header["uidnext"]),
            modseq=int(header["modseq"]),
            recent_from=int(header["recent"]),
            special_use=frozenset(header["special"].split()),
        )
        state.apply(lines[1:-1])
        return state

    def apply(self, lines: list[str]) -> None:
        """Read lines of the file: a snapshot's, then appended ones (a later
        line about a message or a header field replaces an earlier one)."""
        entries = self.entries
        for line in lines:
            kind, _, rest = line.partition(" ")
            if kind == "m":
                uid, modseq, born, size, mtime, zone, letters, base = rest.split(" ", 7)
                if not letters.startswith(",") or not base:
                    raise ValueError("bad message line")
                entry = _Entry(
                    uid=int(uid),
                    modseq=int(modseq),
                    born=int(born),
                    size=int(size),
                    mtime=int(mtime),
                    zone=int(zone),
                    letters=letters.removeprefix(","),
                    base=base,
                )
                if entry.uid not in entries and entries and entry.uid <= next(reversed(entries)):
                    raise ValueError("UIDs out of order")
                entries[entry.uid] = entry
                self._logged(entry)
            elif kind == "x":
                uid, saved, email_id, thread_id = rest.split(" ")
                old = entries.get(int(uid))
                if old is not None:
                    entries[old.uid] = replace(
                        old,
                        saved=int(saved),
                        email_id="" if email_id == "-" else email_id,
                        thread_id="" if thread_id == "-" else thread_id,
                    )
            elif kind == "t":
                m, u, b = rest.split(" ")
                self.tombstones.append((int(m), int(u), int(b)))
                entries.pop(int(u), None)
            elif kind == "uidvalidity":
                self.uidvalidity = int(rest)
            elif kind == "uidnext":
                self.uidnext = int(rest)
            elif kind == "modseq":
                self.modseq = int(rest)
            elif kind == "recent":
                self.recent_from = int(rest)
            elif kind == "special":
                self.special_use = frozenset(rest.split())
            elif kind == "forgotten":
                self.forgotten = int(rest)
        if entries and next(reversed(entries)) >= self.uidnext:
            raise ValueError("UIDNEXT below a UID")
        self.mark_saved()


class _Folder:
    """A maildir (INBOX or a folder): its cached state, re-read when the files change.

    Methods that change anything expect the caller to hold the maildir's lock
    and to have called :meth:`sync`.
    """

    def __init__(self, backend: MaildirBackend, path: Path, account_root: Path) -> None:
        self.backend = backend
        self.path = path
        self.account_root = account_root
        self.state: _State | None = None
        # Paths as strings: they are stat'ed at every call.
        self._cur, self._new = str(path / "cur"), str(path / "new")
        self._keywords_path = str(path / KEYWORDS)
        # The UID list as last read (see _LineFile).
        self._uidlist = _LineFile(str(path / UIDLIST))
        self.keywords: list[str] = []
        self._kw_sig: tuple[int, int, int, int] | None = None
        # (inode, mtime) of new/ and cur/ when they were last listed, and
        # whether those mtimes were old enough to be trusted (see sync).
        self._dirs: tuple[tuple[int, int] | None, tuple[int, int] | None] = (None, None)
        self._settled = (False, False)
        # When cur/ last changed by this store's own hand within a clock tick
        # of the look before it, cur/ is listed once more after the tick
        # (time.time_ns() from which it is due; see adopt).
        self._recheck: int | None = None
        # cur/'s names as last listed -> (base, letters) or None (left alone).
        self._names: dict[str, tuple[str, str] | None] = {}
        # This store changed cur/ since the last sync (see adopt).
        self.touched = False
        # Within MaildirAccount._synced: where numbering() puts Dovecot's
        # lock, and whether it holds it.
        self.stack: contextlib.ExitStack | None = None
        self._numbering = False
        # uids_by_flag's index: which state (object, modseq, uidnext) it was
        # built from, and the UIDs by (letter, present).  Every change bumps
        # the modseq, so an index of the same modseq is current.
        self._flag_index: tuple[tuple[int, int, int], dict[tuple[str, bool], list[int]]] | None
        self._flag_index = None
        # info()'s MessageInfo by UID, with the entry it was made of, valid
        # for the keyword table, state and UIDVALIDITY of _infos_key.
        self._infos: dict[int, tuple[_Entry, MessageInfo]] = {}
        self._infos_key: tuple[tuple[str, ...], str, int] | None = None

        # Dovecot's UID list as last read (like the UID list above), and the
        # (uid, base name) records this store assigned and has not written.
        self._dv: DovecotUidList | None = None
        self._dv_file = _LineFile(str(path / DOVECOT_UIDLIST))
        self._dv_pending: list[tuple[int, str]] = []
        # When tmp/ was last looked at for stale files (monotonic seconds).
        self._tmp_scanned: float | None = None
        # The batch (see MaildirBackend.batch) in which the state was last
        # found to match the disk: not looked at again within it.
        self._checked: int | None = None

    @property
    def lock_path(self) -> Path:
        return self.path / LOCK

    def numbering(self) -> None:
        """Hold Dovecot's lock on its UID list until the call ends (see
        MaildirAccount._synced), so that Dovecot numbers no message while
        this store does: taken before a sync that lists a directory (it may
        find messages to number) and before a call that adds messages, and
        only then (a dot-lock is a file made and removed)."""
        if self._numbering:
            return
        assert self.stack is not None, "numbering outside MaildirAccount._synced"
        self.stack.enter_context(self.backend._locks.hold(self.path / _DOVECOT_UIDLIST_LOCK))
        self._numbering = True

    # -- reading -------------------------------------------------------------

    def _batch(self) -> int | None:
        batch: int | None = getattr(self.backend._local, "batch", None)
        return batch

    def checked(self) -> None:
        """The state matches the disk (a sync, or a look without the lock,
        just found so): within this batch, nothing is looked at again."""
        self._checked = self._batch()

    def load(self, *, batched: bool = False) -> _State | None:
        """Bring the UID list up to date with its file (no lock needed): one
        ``stat`` when nothing changed, only the appended lines when it grew.
        ``batched`` (a look without the lock): none within a batch whose
        look found the state current."""
        if batched and self._checked is not None and self._checked == self._batch():
            return self.state
        uidlist = self._uidlist
        try:
            got = uidlist.read()
            if got is None:
                return self.state
            grown, data = got
            lines = data.decode("utf-8", "surrogateescape")
            if grown and self.state is not None:
                self.state.apply(lines.split("\n")[:-1])
            else:
                self.state = _State.parse(data)
            uidlist.commit()
        except FileNotFoundError:
            self.state = None
            uidlist.forget()
            return None
        except (ValueError, KeyError) as exc:
            log.warning("unreadable %s (%s): it will be rebuilt", uidlist.path, exc)
            self.state = None
            uidlist.forget()
        self._load_keywords()
        return self.state

    def _load_keywords(self) -> None:
        kw_sig = _stat_signature(self._keywords_path)
        if kw_sig != self._kw_sig:
            self.keywords = self._read_keywords()
            self._kw_sig = kw_sig

    def _dv_load(self) -> DovecotUidList | None:
        """Bring Dovecot's UID list up to date with its file: only the
        appended lines when it grew, as Dovecot reads it.  None when there
        is none (or it is broken: then it is written anew from the state)."""
        dv_file = self._dv_file
        try:
            got = dv_file.read()
            if got is None:
                return self._dv
            grown, data = got
            if grown and self._dv is not None:
                lines = data.decode("utf-8", "surrogateescape").split("\n")[:-1]
                self._dv.apply(lines, version=self._dv.version)
            else:
                self._dv = DovecotUidList.parse(data)
            dv_file.commit()
        except FileNotFoundError:
            self._dv = None
            dv_file.forget()
        except (ValueError, KeyError) as exc:
            log.warning("unreadable %s (%s): it will be rewritten", dv_file.path, exc)
            self._dv = None
            dv_file.forget()
        return self._dv

    def _dv_whole(self, dv: DovecotUidList | None, state: _State, adding: int) -> bool:
        """Whether Dovecot's UID list is to be written whole: there is none,
        it is of another version or UIDVALIDITY (a rename), it ends in a torn
        line, or most of its records would be of expunged messages."""
        return (
            dv is None
            or self._dv_file.sig is None
            or dv.version != 3
            or dv.uidvalidity != state.uidvalidity
            or len(dv.records) + adding > 2 * len(state.entries) + 64
        )

    def _dv_save(self) -> None:
        """Write the UIDs this store assigned into Dovecot's UID list (under
        its dot-lock, after sync): appended records, as Dovecot adds them;
        the whole file when there is none, when UIDVALIDITY changed (a
        rename), or when most records are of expunged messages."""
        state = self.live()
        dv = self._dv
        pending, self._dv_pending = self._dv_pending, []
        dv_file = self._dv_file
        entries = state.entries
        whole = self._dv_whole(dv, state, len(pending))
        if not (whole or pending):
            return
        if not self._numbering:
            # A rewrite by a call that numbered nothing: under Dovecot's
            # lock, unless Dovecot numbered messages meanwhile (the next
            # sync takes them first).
            assert not pending, "messages numbered without Dovecot's lock"
            self.numbering()
            dv = self._dv_load()
            if dv is not None and dv.next_uid > state.uidnext:
                return
            whole = self._dv_whole(dv, state, 0)
            if not whole:
                return
        if whole:
            if dv is None or dv.uidvalidity != state.uidvalidity:
                guid = dv.guid if dv is not None else ""
                dv = DovecotUidList(uidvalidity=state.uidvalidity, header_next_uid=1, guid=guid)
                for entry in entries.values():
                    dv.add(entry.uid, entry.base)
            else:
                for uid, base in pending:
                    dv.add(uid, base)
                # Records of expunged messages go, as when Dovecot rewrites it.
                dv.records = {uid: r for uid, r in dv.records.items() if uid in entries}
                dv.uids = {base: uid for uid, (_, base) in dv.records.items()}
            dv.version = 3
            dv.guid = dv.guid or secrets.token_hex(16)
            data = dv.dump(state.uidnext)
            self.backend._write_atomic(self.path / DOVECOT_UIDLIST, data, self.path / "tmp")
            self._dv = dv
            dv_file.replaced(data)
        else:
            assert dv is not None
            for uid, base in pending:
                dv.add(uid, base)
            data = b"".join(dv.record_line(uid, (), base) for uid, base in pending)
            st = _append_lines(dv_file.path, data, dv_file.size, backend=self.backend)
            dv_file.appended(st, len(data))

    def _clean_tmp(self) -> None:
        """Remove files in tmp/ that nobody touched for 36 hours: deliveries
        that failed (cr.yp.to/proto/maildir.html); looked at once in a while."""
        now = time.monotonic()
        if self._tmp_scanned is not None and now - self._tmp_scanned < _TMP_SCAN_SECONDS:
            return
        self._tmp_scanned = now
        stale = time.time() - _TMP_STALE_SECONDS
        tmp = self.path / "tmp"
        for name in _listdir(tmp):
            with contextlib.suppress(FileNotFoundError):
                st = os.lstat(tmp / name)
                if stat.S_ISREG(st.st_mode) and max(st.st_atime, st.st_mtime) < stale:
                    os.unlink(tmp / name)

    def _read_keywords(self) -> list[str]:
        slots: list[str] = []
        try:
            text = (self.path / KEYWORDS).read_text("utf-8", "replace")
        except FileNotFoundError:
            return slots
        for line in text.splitlines():
            index, _, name = line.partition(" ")
            if not index.isdigit() or not name or int(index) >= len(_KEYWORD_LETTERS):
                continue
            while len(slots) <= int(index):
                slots.append("")
            slots[int(index)] = name
        return slots

    def live(self) -> _State:
        if self.state is None:  # pragma: no cover - sync() always sets it
            raise ImapNo("Mailbox state unavailable", "SERVERBUG")
        return self.state

    # -- flags <-> letters ----------------------------------------------------

    def flags_of(self, letters: str) -> frozenset[str]:
        flags = set()
        for letter in letters:
            if letter in _LETTER_FLAGS:
                flags.add(_LETTER_FLAGS[letter])
            elif "a" <= letter <= "z":
                index = ord(letter) - ord("a")
                if index < len(self.keywords) and self.keywords[index]:
                    flags.add(self.keywords[index])
        return frozenset(flags)

    def letters_for(self, flags: frozenset[str], old_letters: str, uid: int = 0) -> str:
        """The info letters for ``flags`` (of message ``uid``, if it exists), keeping
        letters that mean no IMAP flag."""
        keep = {
            c
            for c in old_letters
            if c not in _LETTER_FLAGS and not ("a" <= c <= "z" and self._known_letter(c))
        }
        letters = set(keep)
        for flag in flags:
            if flag in _FLAG_LETTERS:
                letters.add(_FLAG_LETTERS[flag])
            else:
                letters.add(self._keyword_letter(flag, letters, uid))
        return "".join(sorted(letters))

    def _known_letter(self, letter: str) -> bool:
        index = ord(letter) - ord("a")
        return index < len(self.keywords) and bool(self.keywords[index])

    def _keyword_letter(self, keyword: str, reserved: Collection[str], uid: int) -> str:
        if keyword in self.keywords:
            return _KEYWORD_LETTERS[self.keywords.index(keyword)]
        # Under Dovecot's lock on the file, read again: Dovecot may have
        # given the keyword (or the letter) a place meanwhile.
        try:
            lock = DotLock(self.path / KEYWORDS, stale=KEYWORDS_STALE)
            with lock:
                self.keywords = self._read_keywords()
                if keyword not in self.keywords:
                    self.keywords = self._new_keyword(keyword, reserved, uid, lock)
        except TimeoutError:
            raise ImapNo("Keywords are locked by another program", "INUSE") from None
        self._kw_sig = _stat_signature(self.path / KEYWORDS)
        return _KEYWORD_LETTERS[self.keywords.index(keyword)]

    def _new_keyword(
        self, keyword: str, reserved: Collection[str], uid: int, lock: DotLock
    ) -> list[str]:
        slots = self.keywords + [""] * (len(_KEYWORD_LETTERS) - len(self.keywords))
        used = {c for e in self.live().entries.values() if e.uid != uid for c in e.letters}
        used.update(reserved)  # letters of the message being written
        free = [i for i, letter in enumerate(_KEYWORD_LETTERS) if letter not in used]
        # An undefined letter first; else reuse one whose keyword no message carries.
        undefined = [i for i in free if not slots[i]]
        if not (undefined or free):
            raise ImapNo("Too many keywords in this mailbox (26 at most)", "LIMIT")
        index = (undefined or free)[0]
        slots[index] = keyword
        text = "".join(f"{i} {name}\n" for i, name in enumerate(slots) if name)
        lock.replace(text.encode(), fsync=self.backend.fsync)
        while slots and not slots[-1]:
            slots.pop()
        return slots

    # -- scanning --------------------------------------------------------------

    def fresh(self, *, loaded: bool = False) -> bool:
        """Whether the state is known to match the disk, without the lock:
        the UID list is read (only what was appended; ``loaded``: it was,
        just now), ``new/`` and ``cur/`` have the mtimes they had when
        listed (or when this store changed them, see :meth:`adopt`), and a
        ``cur/`` whose mtime was too recent to trust is listed again and
        matches the state."""
        batch = self._batch()
        if batch is not None and batch == self._checked and self.state is not None:
            return True
        state = self.state if loaded else self.load()
        if state is None:
            return False
        # Dovecot's UID list moved: Dovecot assigned UIDs or rewrote it.
        dv_sig = _stat_signature(self._dv_file.path)
        if dv_sig is None or dv_sig[:3] != self._dv_file.sig:
            return False
        new_sig, cur_sig = _dir_sig(self._new), _dir_sig(self._cur)
        if self._dirs != (new_sig, cur_sig) or not self._settled[0] or cur_sig is None:
            return False
        if self._recheck is not None and time.time_ns() >= self._recheck:
            return False
        if self._settled[1]:
            self._checked = batch
            return True
        started = time.time_ns()
        present = self._present()
        entries = state.entries
        if len(present) != len(entries) or any(
            present.get(e.base) != e.letters for e in entries.values()
        ):
            return False
        self._settled = (True, _settled(cur_sig[1], started))
        self._checked = batch
        return True

    def _present(self) -> dict[str, str]:
        """Base name -> info letters of the messages in ``cur/``, listed now
        (names seen at the last listing are not parsed again)."""
        known = self._names
        names: dict[str, tuple[str, str] | None] = {}
        present: dict[str, str] = {}
        twice = False
        for name in _listdir(self._cur):
            parts = known[name] if name in known else _split_filename(name)
            names[name] = parts
            if parts is not None:
                if parts[0] in present:
                    twice = True
                present[parts[0]] = parts[1]
        self._names = names
        if twice:
            # Two files of one message (a crash between link and unlink):
            # the first name in sorted order counts, whatever the listing order.
            present = {}
            for name in sorted(names):
                parts = names[name]
                if parts is not None:
                    present.setdefault(parts[0], parts[1])
        return present

    def adopt(self) -> None:
        """This store changed ``cur/`` (under the lock, after :meth:`sync`,
        the state updated): take the state as what ``cur/`` holds, without
        listing it.  A change that another program made in the same clock
        tick leaves no trace in the mtime, so ``cur/`` is listed once more
        at the first call after the tick (Dovecot's rule, MAILDIR_SYNC_SECS)."""
        if not self.touched:
            return
        self.touched = False
        cur_sig = _dir_sig(self._cur)
        if cur_sig is None or cur_sig == self._dirs[1]:
            return
        self._dirs = (self._dirs[0], cur_sig)
        self._settle_later(cur_sig)

    def _settle_later(self, cur_sig: tuple[int, int]) -> None:
        """Take ``cur/`` (of mtime ``cur_sig``) as known, and list it once
        more at the first call after the clock tick."""
        self._settled = (self._settled[0], True)
        if self._recheck is None:
            tick = _COARSE_TICK_NS if cur_sig[1] % 1_000_000_000 == 0 else _FINE_TICK_NS
            self._recheck = time.time_ns() + tick

    def _to_list(
        self, state: _State | None, dv: DovecotUidList | None
    ) -> tuple[tuple[int, int] | None, tuple[int, int] | None, bool, bool, int]:
        """The signatures of new/ and cur/ (made when missing), whether each
        is to be listed, and the time of the look."""
        new_sig, cur_sig = _dir_sig(self._new), _dir_sig(self._cur)
        if new_sig is None or cur_sig is None:
            # Made once, here, when missing (not on every access).
            for sub in ("cur", "new", "tmp"):
                (self.path / sub).mkdir(exist_ok=True)
            new_sig, cur_sig = _dir_sig(self._new), _dir_sig(self._cur)
        started = time.time_ns()
        list_new = not self._settled[0] or new_sig != self._dirs[0]
        list_cur = (
            state is None
            or dv is None
            or dv.uidvalidity != state.uidvalidity
            or dv.next_uid > state.uidnext  # Dovecot numbered messages
            or not self._settled[1]
            or cur_sig != self._dirs[1]
            or (self._recheck is not None and started >= self._recheck)
        )
        return new_sig, cur_sig, list_new, list_cur, started

    def sync(self) -> bool:
        """Bring the UID list up to date with the files (under the lock).

        The directories are listed only when their mtimes moved since the
        last listing, or when those mtimes were too recent to be trusted: a
        file system stamps with a coarse clock, so a change made in the same
        tick as the listing would leave the mtime as it was (Dovecot's
        maildir sync has the same rule, with 1 s).

        Returns True when changes made by other programs were found.
        """
        previous = self.state
        state = self.load()
        # Dovecot's UID list is the authority on UIDVALIDITY and UIDs: this
        # store's own list keeps what Dovecot's cannot say (modseqs, sizes,
        # time zones, \Recent, special use, expunge records) and agrees with
        # it.  Without one (a maildir only this store served), it is written
        # from the state, so nothing changes for clients.
        dv = self._dv_load()
        new_sig, cur_sig, list_new, list_cur, started = self._to_list(state, dv)
        if not (list_new or list_cur):
            return False
        if not self._numbering and (
            state is None
            or dv is None
            or dv.uidvalidity != state.uidvalidity
            or dv.next_uid > state.uidnext
        ):
            # UIDs to take from Dovecot's list or to write into it: under
            # Dovecot's lock, read again what Dovecot may have written.
            self.numbering()
            state = self.load()
            dv = self._dv_load()
            new_sig, cur_sig, list_new, list_cur, started = self._to_list(state, dv)
        dirty = dv is None
        if state is None or (dv is not None and dv.uidvalidity != state.uidvalidity):
            # New (or lost) UID list: Dovecot's UIDVALIDITY and UIDs, or else a
            # fresh UIDVALIDITY, so nothing a client remembers from an earlier
            # one is trusted (RFC 3501 2.3.1.1).  A known id is kept, so open
            # handles see the new UIDVALIDITY.
            known = state or previous
            state = _State(
                mailbox_id=known.mailbox_id if known else secrets.token_hex(8),
                uidvalidity=dv.uidvalidity
                if dv is not None
                else self.backend._new_uidvalidity(self.account_root, None),
                modseq=self._first_modseq(state, dv),
                special_use=known.special_use if known else frozenset(),
            )
            self.state = state
            self._uidlist.forget()
            dirty = True
        # UIDs from here up may be ones Dovecot gave to messages found below;
        # UIDs it used are never used again here.
        floor = state.uidnext
        if dv is not None and dv.next_uid > state.uidnext:
            state.uidnext = dv.next_uid
            dirty = True
        if not (list_new or list_cur):
            return False
        self._clean_tmp()
        if list_new:
            for name in sorted(_listdir(self._new)):
                parts = _split_filename(name)
                if parts is None:
                    continue
                with contextlib.suppress(FileNotFoundError):
                    os.rename(
                        os.path.join(self._new, name),
                        os.path.join(self._cur, f"{parts[0]}:2,{parts[1]}"),
                    )
                    list_cur = True
            if list_cur:
                new_sig, cur_sig = _dir_sig(self._new), _dir_sig(self._cur)
            else:
                new_sig = _dir_sig(self._new)
        new_settled = new_sig is not None and _settled(new_sig[1], started)
        if not list_cur:
            self._dirs = (new_sig, self._dirs[1])
            self._settled = (new_settled, self._settled[1])
            return False
        self._load_keywords()
        present = self._present()
        self._recheck = None
        self._dirs = (new_sig, cur_sig)
        self._settled = (new_settled, cur_sig is not None and _settled(cur_sig[1], started))
        dv_uids = dv.uids if dv is not None else {}
        by_base = {e.base: e.uid for e in state.entries.values()}
        # A message Dovecot knows under another UID: that UID wins (seen
        # here as an expunge and an arrival).
        renumbered = [uid for base, uid in by_base.items() if dv_uids.get(base, uid) != uid]
        for uid in renumbered:
            del by_base[state.entries[uid].base]
        gone = [uid for base, uid in by_base.items() if base not in present] + renumbered
        changed = [
            uid
            for base, uid in by_base.items()
            if base in present and present[base] != state.entries[uid].letters
        ]
        unknown = [(base, letters) for base, letters in present.items() if base not in by_base]
        if unknown and not self._numbering:
            # Messages to number: again, under Dovecot's lock (Dovecot may
            # have numbered them meanwhile); listed again whatever the mtimes.
            self.numbering()
            self._dirs = (None, None)
            return self.sync()
        arrived = []
        for base, letters in unknown:
            path = os.path.join(self._cur, f"{base}:2,{letters}")
            try:
                with open(path, "rb") as file:
                    mtime = int(os.fstat(file.fileno()).st_mtime)
                    raw = file.read()
            except (FileNotFoundError, IsADirectoryError, PermissionError):
                continue
            arrived.append((mtime, base, letters, len(_imap_bytes(raw)), thread_keys(raw)))
        found = bool(gone or changed or arrived)
        if not found and not self._settled[1] and cur_sig is not None:
            # Nothing done by others since the last look, and cur/ changed
            # within the tick (this store's own changes, as a rule): trusted
            # as after adopt(), with one more look after the tick.  A listing
            # that found changes by others is not: cur/ is listed at every
            # call until its mtime is older than a tick (see fresh).
            self._settle_later(cur_sig)
        if found:
            modseq = state.modseq = state.modseq + 1
            for uid in gone:
                entry = state.entries.pop(uid)
                state.tombstones.append((modseq, uid, entry.born))
            state.compact(self.backend.max_tombstones)
            for uid in changed:
                entry = state.entries[uid]
                state.put(replace(entry, letters=present[entry.base], modseq=modseq))
            saved = int(time.time())  # RFC 8514 3: saved here when first seen
            # Messages Dovecot gave UIDs keep them (in UID order, so the state
            # stays sorted); a UID below this list's next one would be one
            # already used, so such a message (expunged, then put back)
            # gets a new UID, as do messages nobody numbered yet.
            numbered = sorted(
                (dv_uids[item[1]], item)
                for item in arrived
                if dv_uids.get(item[1], 0) >= floor and dv_uids[item[1]] not in state.entries
            )
            taken = {item[1] for _, item in numbered}

            def arrival(uid: int, item: tuple[int, str, str, int, tuple[str, ...]]) -> _Entry:
                mtime, base, letters, size, keys = item
                return _Entry(
                    uid=uid,
                    modseq=modseq,
                    born=modseq,
                    size=size,
                    mtime=mtime,
                    zone=0,
                    letters=letters,
                    base=base,
                    email_id=_new_email_id(),
                    saved=saved,
                    thread_id=self.backend._thread_id(self.account_root, keys),
                )

            for uid, item in numbered:
                state.put(arrival(uid, item))
                state.uidnext = max(state.uidnext, uid + 1)
            for item in sorted(arrived):
                if item[1] not in taken:  # by base; _add numbers it
                    self._add(arrival(0, item))
            dirty = True
        if dirty:
            self.save()
        return found

    @staticmethod
    def _first_modseq(lost: _State | None, dovecot: DovecotUidList | None) -> int:
        """Where the modseqs of a rebuilt list start: RFC 7162 3.1.2.1 wants
        them never to go back under one UIDVALIDITY, and one kept from
        Dovecot's list may have had modseqs that this store never saw
        (Dovecot's, or those of this store's lost list).  Seconds since the
        epoch times 2**20 is above either, short of a million changes a
        second."""
        if lost is not None:
            return lost.modseq + 1
        return int(time.time()) << 20 if dovecot is not None else 1

    def _add(self, entry: _Entry) -> int:
        state = self.live()
        uid = state.uidnext
        state.uidnext += 1
        state.put(replace(entry, uid=uid))
        self._dv_pending.append((uid, entry.base))
        return uid

    def add(self, entry: _Entry) -> int:
        return self._add(entry)

    def bump(self) -> int:
        state = self.live()
        state.modseq += 1
        return state.modseq

    def remove(self, uids: list[int], modseq: int) -> None:
        state = self.live()
        for uid in uids:
            entry = state.entries.pop(uid)
            state.tombstones.append((modseq, uid, entry.born))
        state.compact(self.backend.max_tombstones)

    def save(self) -> None:
        """Write what changed (under the lock, after sync): appended to the
        UID list, or the whole list when it is new or mostly stale lines."""
        state = self.live()
        # Dovecot's list first: it is the authority, and a crash between the
        # two writes leaves UIDs that the next scan takes from it.
        self._dv_save()
        uidlist = self._uidlist
        lines = len(state.entries) + len(state.tombstones) + 16
        # Whole: a new file, one mostly of superseded lines, or tombstones
        # dropped (appended lines can only add them).
        if (
            uidlist.sig is None
            or uidlist.size > max(_COMPACT_BYTES, 200 * lines)
            or state.compacted
        ):
            data = state.dump()
            self.backend._write_atomic(self.path / UIDLIST, data, self.path / "tmp")
            uidlist.replaced(data)
        else:
            delta = state.delta()
            if not delta:
                return
            st = _append_lines(
                uidlist.path, delta, uidlist.size, backend=self.backend, inode=uidlist.sig[0]
            )
            uidlist.appended(st, len(delta))
        state.mark_saved()

    def on_file(self, entry: _Entry, action: Callable[[Path], None]) -> bool:
        """Run ``action`` on the message file of ``entry``; if another program
        renamed it meanwhile (new flag letters), on its current name.  False
        when the file is gone (the next scan expunges it)."""
        self.touched = True
        try:
            action(self.path / "cur" / entry.filename)
            return True
        except FileNotFoundError:
            pass
        for name in _listdir(self._cur):
            parts = _split_filename(name)
            if parts is not None and parts[0] == entry.base:
                try:
                    action(self.path / "cur" / name)
                    return True
                except FileNotFoundError:
                    return False
        return False

    # -- queries -----------------------------------------------------------------

    def uids_by_letter(self, letter: str, present: bool) -> list[int]:
        """UIDs of the messages whose file name has (or lacks) ``letter``:
        built in one pass after a change, then read as it is."""
        state = self.live()
        key = (id(state), state.modseq, state.uidnext)
        if self._flag_index is None or self._flag_index[0] != key:
            index: dict[tuple[str, bool], list[int]] = {
                (c, p): [] for c in _LETTER_FLAGS for p in (True, False)
            }
            for uid, entry in state.entries.items():
                letters = entry.letters
                for c in _LETTER_FLAGS:
                    index[c, c in letters].append(uid)
            self._flag_index = (key, index)
        return self._flag_index[1][letter, present]

    def email_id(self, entry: _Entry) -> str:
        """The EMAILID of ``entry``; one written before EMAILIDs were kept
        gets one made of what identifies it (RFC 8474 5.1: unique, and the
        same for the same mailbox, UIDVALIDITY and UID)."""
        if entry.email_id:
            return entry.email_id
        state = self.live()
        return f"M{state.mailbox_id}{state.uidvalidity:x}_{entry.uid:x}"

    def info(self, entry: _Entry) -> MessageInfo:
        """What ``entry`` says, as the server asks for it."""
        return self.infos([entry.uid])[0]

    def infos(self, uids: Iterable[int]) -> list[MessageInfo]:
        """:meth:`info` of the messages ``uids`` (all present), each made
        once and kept while its entry, the keyword table and the
        UIDVALIDITY stay the same."""
        state = self.live()
        key = (tuple(self.keywords), state.mailbox_id, state.uidvalidity)
        if key != self._infos_key or len(self._infos) >= _INFOS_KEPT:
            self._infos.clear()
            self._infos_key = key
        entries, kept = state.entries, self._infos
        found = []
        for uid in uids:
            entry = entries[uid]
            cached = kept.get(uid)
            found.append(
                cached[1] if cached is not None and cached[0] is entry else self._info(entry)
            )
        return found

    def _info(self, entry: _Entry) -> MessageInfo:
        zone = timezone(timedelta(minutes=entry.zone))
        info = MessageInfo(
            uid=entry.uid,
            flags=self.flags_of(entry.letters),
            internal_date=datetime.fromtimestamp(entry.mtime, zone),
            size=entry.size,
            modseq=entry.modseq,
            email_id=self.email_id(entry),
            save_date=datetime.fromtimestamp(entry.saved, UTC) if entry.saved else None,
            thread_id=entry.thread_id or None,
        )
        self._infos[entry.uid] = (entry, info)
        return info

    def select(self, uids: Collection[int] | None) -> list[int]:
        """The existing UIDs among ``uids`` (all when None), ascending."""
        entries = self.live().entries
        ordered = list(entries)
        if uids is None:
            return ordered
        if isinstance(uids, range) and uids.step == 1:
            return ordered[bisect_left(ordered, uids.start) : bisect_left(ordered, uids.stop)]
        if len(uids) < len(ordered) // 4:
            return sorted({uid for uid in uids if uid in entries})
        # A huge collection (the core's UID set for 1:*) is asked, never iterated.
        wanted = set(uids) if isinstance(uids, list | tuple) else uids
        return [uid for uid in ordered if uid in wanted]

    def status(self) -> MailboxStatus:
        state = self.live()
        entries = state.entries.values()
        return MailboxStatus(
            messages=len(state.entries),
            uidnext=state.uidnext,
            uidvalidity=state.uidvalidity,
            unseen=sum("S" not in e.letters for e in entries),
            highest_modseq=state.modseq,
            size=sum(e.size for e in entries),
            deleted=sum("T" in e.letters for e in entries),
            recent=sum(e.uid >= state.recent_from for e in entries),
        )


# ---------------------------------------------------------------------------
# The backend


class MaildirBackend:
    """The Maildir++ Backend: ``MaildirBackend(Path("/var/mail"), {"alice": "secret"})``.

    Each user's maildir is ``root/<username>`` (created when missing).
    ``users`` maps user names to passwords, or is a :class:`PasswordDatabase`
    (a password file); with None nobody can log in until :meth:`add_user`
    (:meth:`account` still opens any user for set-up).

    Options: ``max_message_size`` (APPENDLIMIT, RFC 7889), ``uidvalidity_source``
    (default: the clock in seconds; values are forced to increase),
    ``fsync`` (default True: flush files and directories before reporting
    success), ``hostname`` (for unique file names; default: this host's),
    ``max_tombstones`` (expunge records kept per mailbox for QRESYNC, up to
    twice as many between compactions; see :class:`Changes`),
    ``watch_interval`` and ``inotify`` (how :meth:`watch` notices outside
    changes: see :class:`~imap_sansio.adapters.maildir_watch.MaildirWatcher`),
    ``object_ids`` (offer OBJECTID, RFC 8474: EMAILIDs and MAILBOXIDs are
    kept either way; off by default because it adds ``[MAILBOXID (...)]``
    to every CREATE and SELECT).  Save dates (SAVEDATE, RFC 8514) are
    always kept and offered.
    """

    def __init__(
        self,
        root: Path,
        users: Mapping[str, str] | PasswordDatabase | None = None,
        *,
        max_message_size: int | None = None,
        uidvalidity_source: Callable[[], int] | None = None,
        fsync: bool = True,
        hostname: str | None = None,
        max_tombstones: int = 10_000,
        watch_interval: float = 1.0,
        inotify: bool | None = None,
        object_ids: bool = False,
    ) -> None:
        self.root = Path(root)
        #: Calls from several threads at once are safe (see "Concurrency"
        #: above); the adapters read this to run sessions concurrently.
        self.thread_safe = True
        self.max_tombstones = max_tombstones
        self.max_message_size = max_message_size
        self.fsync = fsync
        self._uidvalidity_source = uidvalidity_source or (lambda: int(time.time()))
        host = hostname if hostname is not None else socket.gethostname()
        self._hostname = host.replace("/", "\\057").replace(":", "\\072") or "localhost"
        self._passwords: PasswordDatabase = ClearPasswords()
        self._listeners: list[ChangeListener] = []
        self._mutex = threading.RLock()
        #: Per thread: the files a _writing call flushes when it ends.
        self._local = threading.local()
        self._locks = _Locks()
        self._folders: dict[str, _Folder] = {}
        #: Users whose maildir was made (or checked) once already.
        self._opened: set[str] = set()
        self._counter = itertools.count(1)
        #: Numbers the batches (see batch); this thread's is ``_local.batch``.
        self._batches = itertools.count(1)
        #: Per account root: (octets of the thread list read, what they say).
        self._threads: dict[str, tuple[int, dict[str, str]]] = {}
        self._watch_interval = watch_interval
        self._inotify = inotify
        self._account_class = _ObjectIdMaildirAccount if object_ids else MaildirAccount
        self._watcher: MaildirWatcher | None = None
        if isinstance(users, PasswordDatabase):
            self._passwords = users
        else:
            for username, password in (users or {}).items():
                self.add_user(username, password)

    def __repr__(self) -> str:
        return f"MaildirBackend({str(self.root)!r}, users={self._passwords!r})"

    @property
    def passwords(self) -> PasswordDatabase:
        """Where the accounts and their credentials are."""
        return self._passwords

    # -- administration --------------------------------------------------

    def user_path(self, username: str) -> Path:
        """The user's maildir (INBOX): ``root/<username>``."""
        _check_username(username)
        return self.root / username

    def add_user(self, username: str, password: str | Secret[str]) -> None:
        """Accept ``username`` with this password (its maildir is created if missing)."""
        with self._mutex:
            if username in self._passwords:
                raise ValueError(f"user {username!r} exists")
            if not isinstance(self._passwords, ClearPasswords):
                raise ValueError("the password database holds the passwords")
            self._open_user(username)
            self._passwords.add(username, password)

    def account(self, username: str) -> MaildirAccount:
        """The account of ``username`` without a password (for set-up and tests)."""
        with self._mutex:
            return self._account_class(self, username, self._open_user(username))

    def _open_user(self, username: str) -> Path:
        path = self.user_path(username)
        if username in self._opened:
            return path
        for sub in ("cur", "new", "tmp"):
            (path / sub).mkdir(parents=True, exist_ok=True)
        # Left over by a crash while a folder was made or removed: 36 hours
        # is the age at which Maildir readers clean tmp/ as well.
        stale = time.time() - 36 * 3600
        for name in _listdir(path):
            leftover = path / name
            if name.startswith(_STAGING) and leftover.stat().st_mtime < stale:
                shutil.rmtree(leftover, ignore_errors=True)
        if not (path / SUBSCRIPTIONS).exists() and not (path / DOVECOT_UIDLIST).exists():
            # A maildir seen for the first time (and not one Dovecot served,
            # whose choice of no subscriptions stays): subscribe to what it has.
            names = ["INBOX"]
            names += sorted(n for n, (_, sel) in _scan_folders(path).items() if sel)
            _update_subscriptions(self, path, *names, subscribed=True, only_if_missing=True)
        self._opened.add(username)
        return path

    # -- files -------------------------------------------------------------

    def _unique(self) -> str:
        # cr.yp.to/proto/maildir.html: time, then a part unique on this host.
        counter = next(self._counter)  # atomic: staging runs outside the lock
        now = time.time()
        return (
            f"{int(now)}.M{int(now * 1e6) % 1000000}P{os.getpid()}Q{counter}"
            f"R{secrets.token_hex(4)}.{self._hostname}"
        )

    @staticmethod
    def _fsync_file(path: Path) -> None:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """The backend's lock for a call that changes a maildir.  The UID
        lists it appends to are flushed to disk after the lock is released
        (and before the call returns), so that the other sessions do not
        wait for the disk meanwhile; the message files and directories are
        flushed before the change is made visible."""
        if getattr(self._local, "later", None) is not None:
            with self._mutex:  # within another such call: that one flushes
                yield
            return
        later: dict[str, None] = {}
        self._local.later = later
        try:
            with self._mutex:
                yield
        finally:
            self._local.later = None
        deferred: dict[str, None] | None = getattr(self._local, "deferred", None)
        if deferred is not None:
            deferred.update(later)
        else:
            self.flush(later)

    def _fsync_later(self, path: str, fd: int) -> None:
        """Flush the file ``fd`` (open at ``path``): at the end of the
        :meth:`_writing` call it was written in (or of the :meth:`batch`
        it is in), or now."""
        if not self.fsync:
            return
        later = self._pending_flushes()
        if later is None:
            os.fsync(fd)
        else:
            later[path] = None

    def _fsync_dir(self, path: Path) -> None:
        """Flush the directory ``path`` (a rename or link into it), as
        :meth:`_fsync_later` does a file: after the backend's lock is
        released, before the call returns (or the deferred flushes run)."""
        if not self.fsync:
            return
        later = self._pending_flushes()
        if later is None:
            self.flush([str(path)])
        else:
            later[str(path)] = None

    def _pending_flushes(self) -> dict[str, None] | None:
        """Where a flush owed now goes: the :meth:`_writing` call's list,
        else the :meth:`batch`'s, else None (made at once)."""
        later: dict[str, None] | None = getattr(self._local, "later", None)
        if later is None:
            later = getattr(self._local, "deferred", None)
        return later

    #: Commands whose calls into this store never wait for the disk except
    #: for the flushes that a :meth:`batch` leaves to the caller:
    #: they read (files in the page cache, the state kept in memory) or
    #: rename and append, flushing when they end.  The anyio adapter runs
    #: them, wake-ups and the steps of long commands on its event loop, and
    #: the other commands (APPEND flushes its message before the rename
    #: that shows it; a login may hash a password) in worker threads.
    inline_commands = frozenset(
        {
            *("CAPABILITY", "NOOP", "CHECK", "ID", "ENABLE", "NAMESPACE", "LOGOUT"),
            *("SELECT", "EXAMINE", "UNSELECT", "STATUS", "LIST", "LSUB", "IDLE"),
            *("FETCH", "SEARCH", "ESEARCH", "SORT", "THREAD", "STORE"),
            *("COPY", "MOVE", "EXPUNGE", "CLOSE", "GETACL", "MYRIGHTS", "LISTRIGHTS"),
            *("GETQUOTA", "GETQUOTAROOT", "GETMETADATA", "NOTIFY", "COMPRESS"),
        }
    )

    @contextlib.contextmanager
    def batch(self) -> Iterator[dict[str, None]]:
        """The calls made in this block by this thread (one step of one
        session: an event loop runs them, see :attr:`inline_commands`) form
        a batch.  They leave the files and directories they would flush as
        they end in the dict it gives, for the caller to :meth:`flush` before
        it tells anyone that they succeeded (in a worker thread); a message's
        own file is still flushed before the rename that shows it (the
        Maildir rule).  And each maildir is compared with the disk once per
        batch, as Dovecot syncs a mailbox once per command: a change another
        program makes meanwhile is found by the next batch."""
        pending: dict[str, None] = {}
        local = self._local
        outer = getattr(local, "deferred", None)
        if outer is not None:  # within another batch: that one flushes
            yield outer
            return
        local.deferred, local.batch = pending, next(self._batches)
        try:
            yield pending
        finally:
            local.deferred = local.batch = None

    @staticmethod
    def flush(paths: Iterable[str]) -> None:
        """fsync each file or directory of ``paths`` (one replaced meanwhile
        was flushed whole before its rename: skipped)."""
        for path in paths:
            try:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                continue
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def _write_tmp(self, tmpdir: Path, data: bytes) -> Path:
        tmp = tmpdir / self._unique()
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
        try:
            fd = os.open(tmp, flags, 0o600)
        except FileNotFoundError:  # a maildir another program made without tmp/
            tmpdir.mkdir(exist_ok=True)
            fd = os.open(tmp, flags, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if self.fsync:
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        os.close(fd)
        return tmp

    def literal_sink(self, size: int) -> _SpoolFile:
        """A ``Config.literal_sink_factory`` for this store: big APPEND
        literals are written into ``root/.imap-sansio-spool`` (on the
        store's file system) and APPEND links them into ``tmp/``, so the
        message is written to disk once.  The adapters use it when the
        server's backend has it."""
        directory = self.root / _SPOOL_DIR
        directory.mkdir(mode=0o700, exist_ok=True)
        return _SpoolFile(self, directory)

    def _write_tmp_source(self, tmpdir: Path, source: MessageSource) -> tuple[Path, int]:
        """Put a spooled APPEND literal into ``tmp/``: linked if it is in
        this store's spool, else copied a piece at a time; returns the file
        and its size as served (see :func:`_imap_bytes`)."""
        tmp = tmpdir / self._unique()
        if isinstance(source, _SpoolFile) and source.owned_by(self):
            try:
                os.link(source.path, tmp)
            except OSError:  # another file system: copy
                pass
            else:
                # Written once, counted as it arrived: not read again.
                try:
                    if self.fsync:
                        self._fsync_file(tmp)
                except BaseException:
                    tmp.unlink(missing_ok=True)
                    raise
                return tmp, source.size + (0 if source.has_cr else source.lines)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        has_cr = False
        lines = 0
        try:
            for offset in range(0, source.size, _READ_PIECE):
                piece = source.read(offset, _READ_PIECE)
                if not piece:
                    raise OSError(errno.EIO, "the spooled message ended early")
                has_cr = has_cr or b"\r" in piece
                lines += piece.count(b"\n")
                view = memoryview(piece)
                while view:
                    view = view[os.write(fd, view) :]
            if self.fsync:
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        os.close(fd)
        return tmp, source.size + (0 if has_cr else lines)

    def _write_atomic(self, target: Path, data: bytes, tmpdir: Path) -> None:
        tmp = self._write_tmp(tmpdir, data)
        os.replace(tmp, target)
        self._fsync_dir(target.parent)

    def _folder(self, path: Path, account_root: Path) -> _Folder:
        key = str(path)
        folder = self._folders.get(key)
        if folder is None:
            folder = self._folders[key] = _Folder(self, path, account_root)
        return folder

    def _thread_id(self, account_root: Path, keys: Collection[str]) -> str:
        """The THREADID of a new message with these thread keys (RFC 8474
        5.2): that of the first key the account's thread list knows, else a
        new one, which the other keys then get.  Taken innermost (under a
        maildir's lock), like the UIDVALIDITY lock."""
        with self._locks.hold(account_root / THREADS_LOCK):
            known = self._read_threads(account_root)
            thread_id = next((known[k] for k in keys if k in known), None)
            thread_id = thread_id or "T" + secrets.token_hex(8)
            new = [k for k in keys if k not in known]
            if new:
                lines = "".join(f"{k} {thread_id}\n" for k in new).encode("utf-8", "replace")
                with open(account_root / THREADS_FILE, "ab") as file:
                    file.write(lines)
                self._threads[str(account_root)] = (
                    self._threads[str(account_root)][0] + len(lines),
                    known,
                )
                known.update(dict.fromkeys(new, thread_id))
            return thread_id

    def _read_threads(self, account_root: Path) -> dict[str, str]:
        """The account's thread list, read only as far as it grew since."""
        offset, known = self._threads.get(str(account_root), (0, {}))
        try:
            with open(account_root / THREADS_FILE, "rb") as file:
                file.seek(offset)
                data = file.read()
        except FileNotFoundError:
            data = b""
        end = data.rfind(b"\n") + 1  # a line still being written waits
        for line in data[:end].decode("utf-8", "replace").splitlines():
            key, _, thread_id = line.rpartition(" ")
            if key:
                known.setdefault(key, thread_id)
        self._threads[str(account_root)] = (offset + end, known)
        return known

    def _new_uidvalidity(self, account_root: Path, name: str | None) -> int:
        """A UIDVALIDITY greater than any this account issued (and, for
        ``name``, greater than any that name had); recorded for ``name``."""
        with self._locks.hold(account_root / UIDVALIDITY_LOCK):
            last, history = _read_uidvalidity(account_root)
            value = max(self._uidvalidity_source(), last + 1)
            if value >= 2**32:  # RFC 3501 9: nz-number is 32-bit
                raise ImapNo("UIDVALIDITY space exhausted", "SERVERBUG")
            if name is not None:
                history[name] = value
            self._save_uidvalidity(account_root, value, history)
            return value

    def _save_uidvalidity(self, account_root: Path, last: int, history: dict[str, int]) -> None:
        lines = [f"last {last}"] + [f"{v} {n}" for n, v in sorted(history.items())]
        self._write_atomic(
            account_root / UIDVALIDITY_FILE,
            ("\n".join(lines) + "\n").encode(),
            account_root / "tmp",
        )

    def _record_uidvalidity(self, account_root: Path, name: str, value: int) -> bool:
        """Note that ``name`` now has ``value``; False if the name had a value as large."""
        with self._locks.hold(account_root / UIDVALIDITY_LOCK):
            last, history = _read_uidvalidity(account_root)
            if history.get(name, 0) >= value:
                return False
            history[name] = value
            self._save_uidvalidity(account_root, max(last, value), history)
            return True

    def _notify(self, notice: ChangeNotice) -> None:
        for listener in list(self._listeners):
            listener(notice)

    # -- Backend ---------------------------------------------------------

    def authenticate(
        self, username: str, password: Secret[str], *, authzid: str | None = None
    ) -> MaildirAccount:
        if not self._passwords.verify(username, password):
            raise AuthenticationFailed()
        return self.open_account(username, authzid=authzid)

    def open_account(self, username: str, *, authzid: str | None = None) -> MaildirAccount:
        """The account of a user whose identity SASL proved (VerifiedLoginBackend)."""
        if username not in self._passwords:
            raise AuthenticationFailed()
        if authzid not in (None, "", username):
            raise ImapNo("Not authorized to act as that user", "AUTHORIZATIONFAILED")
        try:
            return self.account(username)
        except ValueError:  # a name that cannot be a directory: no such account
            raise AuthenticationFailed() from None

    def add_listener(self, callback: ChangeListener) -> Callable[[], None]:
        self._listeners.append(callback)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(callback)

        return remove

    # -- changes made by others ------------------------------------------------

    def mailbox_path(self, username: str, mailbox: str) -> Path:
        """The maildir of ``mailbox`` (NoSuchMailbox if there is none)."""
        with self._mutex:
            return self.account(username)._path_of(mailbox)

    def refresh(self, username: str, mailbox: str) -> None:
        """Look for changes that other programs or processes made to
        ``mailbox`` and tell the listeners if there were any."""
        account = self.account(username)
        with self._mutex:
            folder = account._folder(account._path_of(mailbox))
            before = _mark(folder.state)
            with account._synced(folder.path, write=False):
                after = _mark(folder.state)
        if before != after:
            account._changed(mailbox)

    def watch(self, username: str, mailbox: str) -> Callable[[], None]:
        """Watch ``mailbox`` for outside changes until the returned function
        is called (the adapters do this for each selected mailbox)."""
        with self._mutex:
            if self._watcher is None:
                from .maildir_watch import MaildirWatcher  # noqa: PLC0415 - optional part

                self._watcher = MaildirWatcher(
                    self, interval=self._watch_interval, inotify=self._inotify
                )
            watcher = self._watcher
        return watcher.watch(username, mailbox)

    def close(self) -> None:
        """Stop watching (the watcher thread is a daemon; this is for tidiness)."""
        with self._mutex:
            watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.close()


def _mark(state: _State | None) -> tuple[str, int, int] | None:
    """What changes whenever a mailbox changes (every change bumps the modseq)."""
    return None if state is None else (state.mailbox_id, state.uidvalidity, state.modseq)


def _acl_identifier(word: str) -> str | None:
    """An identifier as a ``dovecot-acl`` line names it -> as IMAP names it.

    Dovecot's ``authenticated`` is ``anyone`` here (every session is
    authenticated); its ``owner`` is None: the owner always has every right
    here, and a user called "owner" must not get that entry."""
    negative = word.startswith("-")
    body = word[1:] if negative else word
    if body.startswith("user="):
        body = body[5:]
    elif body == "authenticated":
        body = "anyone"
    elif body == "owner":
        return None
    return ("-" if negative else "") + body


def _acl_word(identifier: str) -> str:
    """An IMAP identifier as a ``dovecot-acl`` line names it: ``anyone`` as
    it is, any other as ``user=<name>`` (Dovecot's words), ``-`` in front."""
    negative = identifier.startswith("-")
    body = identifier[1:] if negative else identifier
    word = body if body == "anyone" else "user=" + body
    return ("-" if negative else "") + word


def _read_acl(directory: Path) -> dict[str, str]:
    try:
        text = (directory / ACL_FILE).read_text("utf-8", "surrogateescape")
    except FileNotFoundError:
        return {}
    acl: dict[str, str] = {}
    for line in text.split("\n"):
        word, space, rights = line.rpartition(" ")
        identifier = _acl_identifier(word) if space and word else None
        if identifier is not None and not line.startswith("#"):
            acl[identifier] = rights
    return acl


def _acl_owners(root: Path) -> frozenset[str]:
    try:
        text = (root / ACL_OWNERS).read_text("utf-8", "surrogateescape")
    except FileNotFoundError:
        return frozenset()
    return frozenset(line for line in text.split("\n") if line and "/" not in line)


def _new_email_id() -> str:
    # RFC 8474 8.1: letters, digits, "_" and "-", starting with a letter.
    return "M" + secrets.token_hex(8)


def _read_uidvalidity(account_root: Path) -> tuple[int, dict[str, int]]:
    last = 0
    history: dict[str, int] = {}
    try:
        text = (account_root / UIDVALIDITY_FILE).read_text("utf-8", "surrogateescape")
    except FileNotFoundError:
        return last, history
    for line in text.splitlines():
        head, _, rest = line.partition(" ")
        if head == "last" and rest.isdigit():
            last = int(rest)
        elif head.isdigit() and rest:
            history[rest] = int(head)
    return last, history


def _read_subscriptions(account_root: Path) -> list[str]:
    try:
        return parse_subscriptions((account_root / SUBSCRIPTIONS).read_bytes())
    except FileNotFoundError:
        return []


def _update_subscriptions(
    backend: MaildirBackend,
    account_root: Path,
    *names: str,
    subscribed: bool,
    only_if_missing: bool = False,
) -> None:
    try:
        with DotLock(account_root / SUBSCRIPTIONS, stale=SUBSCRIPTIONS_STALE) as lock:
            if only_if_missing and (account_root / SUBSCRIPTIONS).exists():
                return
            old = _read_subscriptions(account_root)
            if subscribed:
                new = old + [n for n in names if n not in old]
            else:
                new = [n for n in old if n not in names]
            if new != old or only_if_missing:
                lock.replace(format_subscriptions(new), fsync=backend.fsync)
    except TimeoutError:
        raise ImapNo("Subscriptions are locked by another program", "INUSE") from None


def _scan_folders(account_root: Path) -> dict[str, tuple[Path, bool]]:
    """Folder name -> (directory, selectable) for every Maildir++ folder."""
    found: dict[str, tuple[Path, bool]] = {}
    for dirname in sorted(_listdir(account_root)):
        name = _folder_name(dirname)
        if name is None:
            continue
        path = account_root / dirname
        if (path / "cur").is_dir():
            found[name] = (path, True)
        elif (path / NOSELECT).exists():
            found.setdefault(name, (path, False))
    return found


class MaildirAccount:
    """An authenticated user of a :class:`MaildirBackend` (the Account protocol)."""

    __slots__ = ("_backend", "_root", "_username")

    def __init__(self, backend: MaildirBackend, username: str, root: Path) -> None:
        self._backend = backend
        self._username = username
        self._root = root

    def __repr__(self) -> str:
        return f"MaildirAccount({self._username!r})"

    @property
    def username(self) -> str:
        return self._username

    # -- helpers -------------------------------------------------------------

    def _changed(self, mailbox: str | None) -> None:
        self._backend._notify(ChangeNotice(username=self._username, mailbox=mailbox))

    def _mailboxes(self) -> dict[str, tuple[Path, bool]]:
        found = {"INBOX": (self._root, True)}
        found.update(_scan_folders(self._root))
        return found

    def _path_of(self, name: str) -> Path:
        """The maildir of mailbox ``name``, found without listing the account."""
        if name == INBOX:
            return self._root
        with contextlib.suppress(ImapNo):  # a name this store cannot hold is no mailbox
            path = self._root / _folder_dirname(name)
            if (path / "cur").is_dir():
                return path
        # Not where we would put it: a folder another program named in UTF-8.
        entry = _scan_folders(self._root).get(name)
        if entry is None or not entry[1]:
            raise NoSuchMailbox()
        return entry[0]

    def _name_of(self, path: Path) -> str | None:
        if path == self._root:
            return "INBOX"
        return _folder_name(path.name) if path.parent == self._root else None

    def _folder(self, path: Path) -> _Folder:
        return self._backend._folder(path, self._root)

    @contextlib.contextmanager
    def _synced(
        self, *paths: Path, write: bool = True, adds: bool = False
    ) -> Iterator[list[_Folder]]:
        """The folders at ``paths``, locked and synced; outside changes are
        announced.  A reader (``write=False``) whose folders are known to be
        up to date (:meth:`_Folder.fresh`) takes no lock and lists nothing.
        ``adds``: the call adds messages to the last folder (which then
        holds Dovecot's lock, see :meth:`_Folder.numbering`)."""
        backend = self._backend
        folders = [self._folder(p) for p in paths]
        if not write and all(f.fresh() for f in folders):
            yield folders
            return
        found = []
        with (
            backend._locks.hold(*(f.lock_path for f in folders)),
            contextlib.ExitStack() as stack,
        ):
            try:
                for folder in folders:
                    folder.stack, folder.touched = stack, False
                if adds:
                    folders[-1].numbering()
                for folder in folders:
                    if folder.sync():
                        found.append(folder.path)
                    folder.checked()
                yield folders
                for folder in folders:
                    folder.adopt()
            finally:
                for folder in folders:
                    folder.stack, folder._numbering = None, False
        for path in found:
            self._changed(self._name_of(path))

    def _make_folder(self, name: str, special_use: frozenset[str] = frozenset()) -> Path:
        """Create the maildir of ``name`` (or turn its \\Noselect level into one)."""
        target = self._root / _folder_dirname(name)
        uidvalidity = self._backend._new_uidvalidity(self._root, name)
        state = _State(
            mailbox_id=secrets.token_hex(8), uidvalidity=uidvalidity, special_use=special_use
        )
        # Dovecot's UID list, and the marker Maildir++ puts in each folder.
        guid = secrets.token_hex(16)
        dovecot = DovecotUidList(uidvalidity=uidvalidity, header_next_uid=1, guid=guid)
        if target.is_dir():  # a \Noselect level
            for sub in ("new", "tmp"):
                (target / sub).mkdir(exist_ok=True)
            self._write_folder_files(target, state, dovecot)
            (target / "cur").mkdir(exist_ok=True)
            (target / NOSELECT).unlink(missing_ok=True)
        else:
            # Built aside, then renamed into place: never seen half made.
            staging = self._root / (_STAGING + secrets.token_hex(8))
            for sub in ("cur", "new", "tmp"):
                (staging / sub).mkdir(parents=True)
            self._write_folder_files(staging, state, dovecot)
            os.rename(staging, target)
            self._backend._fsync_dir(self._root)
        return target

    def _write_folder_files(self, path: Path, state: _State, dovecot: DovecotUidList) -> None:
        backend = self._backend
        backend._write_atomic(path / DOVECOT_UIDLIST, dovecot.dump(1), path / "tmp")
        backend._write_atomic(path / UIDLIST, state.dump(), path / "tmp")
        (path / "maildirfolder").touch()

    def _discard_dir(self, path: Path) -> None:
        # Renamed out of sight first, so the name is gone at once; then removed.
        doomed = self._root / (_STAGING + "deleted-" + secrets.token_hex(8))
        os.rename(path, doomed)
        self._backend._folders.pop(str(path), None)
        shutil.rmtree(doomed, ignore_errors=True)

    # -- hierarchy -----------------------------------------------------------

    def list_mailboxes(self) -> list[MailboxInfo]:
        with self._backend._mutex:
            infos = []
            for name, (path, selectable) in self._mailboxes().items():
                special: frozenset[str] = frozenset()
                if selectable:
                    state = self._folder(path).load()
                    special = state.special_use if state is not None else frozenset()
                infos.append(MailboxInfo(name=name, selectable=selectable, special_use=special))
            return infos

    def create_mailbox(self, name: str) -> None:
        self.create_special_use_mailbox(name, ())

    def create_special_use_mailbox(self, name: str, special_use: Collection[str]) -> None:
        _folder_dirname(name)  # refuses names the disk cannot hold, before locking
        with self._backend._mutex, self._backend._locks.hold(self._root / ACCOUNT_LOCK):
            existing = self._mailboxes().get(name)
            if existing is not None and existing[1]:
                raise MailboxExists()
            self._make_folder(name, frozenset(special_use))
        self._changed(None)

    def delete_mailbox(self, name: str, *, noselect: bool = False) -> None:
        backend = self._backend
        with backend._mutex, backend._locks.hold(self._root / ACCOUNT_LOCK):
            entry = self._mailboxes().get(name)
            if entry is None or name == INBOX:
                raise NoSuchMailbox()
            path = entry[0]
            self._discard_dir(path)
            if noselect:
                path.mkdir()
                (path / NOSELECT).touch()
            backend._fsync_dir(self._root)
        self._changed(None)
        self._changed(name)

    def rename_mailboxes(self, renames: Mapping[str, str]) -> None:
        backend = self._backend
        targets = {new: self._root / _folder_dirname(new) for new in renames.values()}
        with backend._mutex, backend._locks.hold(self._root / ACCOUNT_LOCK):
            existing = self._mailboxes()
            if any(old not in existing or old == INBOX for old in renames):
                raise NoSuchMailbox()
            if any(new in existing or path.exists() for new, path in targets.items()):
                raise MailboxExists("A mailbox of the new hierarchy already exists")
            for old, new in renames.items():
                self._move_folder(existing[old], targets[new], new)
        self._changed(None)
        for old, new in renames.items():
            self._changed(old)
            self._changed(new)

    def _move_folder(self, entry: tuple[Path, bool], destination: Path, target: str) -> None:
        path, selectable = entry
        os.rename(path, destination)
        self._backend._folders.pop(str(path), None)
        if not selectable:
            return
        with self._synced(destination) as [folder]:
            state = folder.live()
            # RFC 3501 2.3.1.1: a name's UIDVALIDITY only ever grows.
            if not self._backend._record_uidvalidity(self._root, target, state.uidvalidity):
                state.uidvalidity = self._backend._new_uidvalidity(self._root, target)
                folder.save()

    # -- subscriptions -----------------------------------------------------------

    def _subscribe(self, name: str, *, subscribed: bool) -> None:
        # Dovecot's way: under its dot-lock, a new file written into the
        # lock file and renamed over the old one; the order is kept and a
        # new name goes at the end.
        with self._backend._mutex:
            _update_subscriptions(self._backend, self._root, name, subscribed=subscribed)
        self._changed(None)

    def subscribe(self, name: str) -> None:
        self._subscribe(name, subscribed=True)

    def unsubscribe(self, name: str) -> None:
        self._subscribe(name, subscribed=False)

    def subscriptions(self) -> frozenset[str]:
        return frozenset(_read_subscriptions(self._root))

    # -- messages ------------------------------------------------------------------

    def status(self, name: str) -> MailboxStatus:
        with self._backend._mutex, self._synced(self._path_of(name), write=False) as [folder]:
            return folder.status()

    def append(
        self,
        name: str,
        data: bytes | MessageSource,
        *,
        flags: Collection[str] = (),
        internal_date: datetime,
    ) -> AppendResult:
        backend = self._backend
        with backend._mutex:
            path = self._path_of(name)
        # Written (and flushed) into tmp/ before any lock is taken: only the
        # rename into cur/ and the UID lists make the other sessions wait.
        staged = self._stage_message(path, data, internal_date)
        try:
            with backend._writing():
                moved = self._path_of(name)
                if moved != path:  # renamed, or deleted and made again, meanwhile
                    staged.tmp.unlink(missing_ok=True)
                    staged = self._stage_message(moved, data, internal_date)
                with self._synced(moved, adds=True) as [folder]:
                    letters = folder.letters_for(frozenset(flags), "")
                    entry = self._place_message(folder, staged, letters)
                    modseq = folder.bump()
                    uid = folder.add(replace(entry, modseq=modseq, born=modseq))
                    folder.save()
                    uidvalidity = folder.live().uidvalidity
        finally:
            staged.tmp.unlink(missing_ok=True)  # still there: the APPEND failed
        self._changed(name)
        return AppendResult(uidvalidity=uidvalidity, uid=uid)

    def _stage_message(
        self, path: Path, data: bytes | MessageSource, internal_date: datetime
    ) -> _Staged:
        """Write a new message into ``tmp/`` of the maildir at ``path``
        (no lock needed: the name is this process's own), dated ``internal_date``."""
        backend = self._backend
        mtime = int(internal_date.timestamp() // 1)
        head = data if isinstance(data, bytes) else data.read(0, 256 * 1024)
        if isinstance(data, bytes):
            tmp = backend._write_tmp(path / "tmp", data)
            size = len(_imap_bytes(data))
        else:
            tmp, size = backend._write_tmp_source(path / "tmp", data)
        offset = internal_date.utcoffset() or timedelta()
        zone = int(offset.total_seconds() // 60)
        return _Staged(tmp=tmp, size=size, mtime=mtime, zone=zone, keys=thread_keys(head))

    def _place_message(self, folder: _Folder, staged: _Staged, letters: str) -> _Entry:
        """Move a staged message into ``folder``'s ``cur/`` (locked and
        synced); the caller adds the entry it returns and saves."""
        backend = self._backend
        thread_id = backend._thread_id(self._root, staged.keys)
        base = staged.tmp.name
        folder.touched = True
        # Dated only now: a file in tmp/ with an old mtime is a failed delivery.
        os.utime(staged.tmp, (staged.mtime, staged.mtime))
        os.rename(staged.tmp, folder.path / "cur" / f"{base}:2,{letters}")
        backend._fsync_dir(folder.path / "cur")
        return _Entry(
            uid=0,
            modseq=0,
            born=0,
            size=staged.size,
            mtime=staged.mtime,
            zone=staged.zone,
            letters=letters,
            base=base,
            email_id=_new_email_id(),
            saved=int(time.time()),
            thread_id=thread_id,
        )

    def select(self, name: str) -> MaildirMailbox:
        with self._backend._mutex:
            path = self._path_of(name)
            with self._synced(path, write=False) as [folder]:
                return MaildirMailbox(self, path, folder.live().mailbox_id)

    def logout(self) -> None:
        pass

    # -- optional protocols ----------------------------------------------

    def append_limit(self) -> int | None:
        return self._backend.max_message_size

    # ACL (RFC 4314): a ``dovecot-acl`` file in each maildir, one
    # ``<identifier> <rights>`` line per entry as Dovecot's vfile ACLs have
    # them, so a folder's ACL goes with its directory on RENAME and DELETE.

    def get_acl(self, name: str) -> Mapping[str, str]:
        with self._backend._mutex:
            return _read_acl(self._path_of(name))

    def set_acl(self, name: str, identifier: str, rights: str | None) -> None:
        if any(ord(c) < 0x20 for c in identifier) or not identifier.strip():
            raise ImapNo("This identifier cannot be stored", "CANNOT")
        backend = self._backend
        with backend._mutex, backend._locks.hold(self._root / ACCOUNT_LOCK):
            path = self._path_of(name)
            acl = _read_acl(path)
            if rights is None:
                acl.pop(identifier, None)
            else:
                acl[identifier] = rights
            lines = "".join(f"{_acl_word(i)} {r}\n" for i, r in acl.items())
            backend._write_atomic(
                path / ACL_FILE, lines.encode("utf-8", "surrogateescape"), path / "tmp"
            )
            self._note_acl_owner()
        self._changed(None)

    def _note_acl_owner(self) -> None:
        """Add this user to the list of users with ACLs (read by
        :meth:`shared_mailboxes`, so that it reads only their folders)."""
        backend = self._backend
        index = backend.root / ACL_OWNERS
        if self._username in _acl_owners(backend.root):
            return
        with backend._locks.hold(backend.root / (ACL_OWNERS + ".lock")):
            owners = _acl_owners(backend.root) | {self._username}
            data = "".join(owner + "\n" for owner in sorted(owners))
            backend._write_atomic(
                index, data.encode("utf-8", "surrogateescape"), self._root / "tmp"
            )

    def shared_mailboxes(self, identifiers: Collection[str]) -> list[tuple[str, str]]:
        wanted = set(identifiers)
        found: list[tuple[str, str]] = []
        root = self._backend.root
        with self._backend._mutex:
            for owner in sorted(_acl_owners(root)):
                account_root = root / owner
                if owner == self._username or not (account_root / "cur").is_dir():
                    continue
                folders = {"INBOX": (account_root, True), **_scan_folders(account_root)}
                for name, (path, selectable) in folders.items():
                    if selectable and wanted.intersection(_read_acl(path)):
                        found.append((owner, name))
        return found

    def other_account(self, owner: str) -> MaildirAccount:
        backend = self._backend
        if owner not in backend.passwords:
            raise NoSuchMailbox()
        try:
            return backend.account(owner)
        except ValueError:  # a name that cannot be a directory: no such user
            raise NoSuchMailbox() from None

    def enable_condstore(self) -> None:
        pass  # modseqs are persisted in the UID lists

    def _urlauth_keys(self) -> dict[str, bytes]:
        try:
            text = (self._root / URLAUTH_KEYS).read_text("utf-8", "surrogateescape")
        except FileNotFoundError:
            return {}
        keys: dict[str, bytes] = {}
        for line in text.split("\n"):
            key, sep, name = line.partition(" ")
            if sep:
                with contextlib.suppress(ValueError):  # a damaged line verifies nothing
                    keys[name] = bytes.fromhex(key)
        return keys

    def _write_urlauth_keys(self, keys: Mapping[str, bytes]) -> None:
        # Written as the other account files are (0600, atomic rename): the
        # keys are secrets that every server process over this root shares.
        self._backend._write_atomic(
            self._root / URLAUTH_KEYS,
            "".join(f"{key.hex()} {name}\n" for name, key in sorted(keys.items())).encode(
                "utf-8", "surrogateescape"
            ),
            self._root / "tmp",
        )

    def urlauth_key(self, mailbox: str, new_key: bytes | None = None) -> bytes | None:
        with self._backend._mutex, self._backend._locks.hold(self._root / ACCOUNT_LOCK):
            keys = self._urlauth_keys()
            if mailbox not in keys and new_key is not None and "\n" not in mailbox:
                keys[mailbox] = new_key
                self._write_urlauth_keys(keys)
            return keys.get(mailbox)

    def reset_urlauth_keys(self, mailbox: str | None = None) -> None:
        with self._backend._mutex, self._backend._locks.hold(self._root / ACCOUNT_LOCK):
            keys = self._urlauth_keys()
            if mailbox is None:
                keys.clear()
            else:
                keys.pop(mailbox, None)
            self._write_urlauth_keys(keys)

    def save_date_supported(self, name: str) -> bool:
        with self._backend._mutex:
            self._path_of(name)  # NoSuchMailbox
        return True

    def _metadata_place(self, mailbox: str) -> tuple[Path, Path]:
        """The annotation file of ``mailbox`` ("" the server's) and its lock."""
        if mailbox == "":
            root = self._backend.root
            return root / SERVER_METADATA, root / (SERVER_METADATA + ".lock")
        try:
            path = self._path_of(mailbox)
        except NoSuchMailbox:
            # A \Noselect level has annotations too (RFC 5464 4.1).
            entry = _scan_folders(self._root).get(mailbox)
            if entry is None:
                raise
            path = entry[0]
        return path / METADATA_FILE, self._root / ACCOUNT_LOCK

    def get_metadata(self, mailbox: str, *, user: str | None = None) -> dict[str, bytes]:
        with self._backend._mutex:
            path, _ = self._metadata_place(mailbox)
            return visible_metadata(_read_metadata(path), user or self._username)

    def set_metadata(
        self,
        mailbox: str,
        entries: Mapping[str, bytes | None],
        *,
        max_entries: int,
        user: str | None = None,
    ) -> None:
        backend = self._backend
        writer = user or self._username
        with backend._mutex:
            path, lock = self._metadata_place(mailbox)
            with backend._locks.hold(lock):
                path, _ = self._metadata_place(mailbox)  # a rename may have moved it
                table = _read_metadata(path)
                changed = apply_metadata(table, writer, entries, max_entries=max_entries)
                if changed:
                    text = {
                        owner: {k: base64.b64encode(v).decode("ascii") for k, v in values.items()}
                        for owner, values in table.items()
                    }
                    data = json.dumps(text, sort_keys=True).encode("utf-8")
                    backend._write_atomic(path, data, self._root / "tmp")
        # RFC 5465 5.6, 5.7 (this process's sessions: the watch of other
        # processes' changes looks at messages, not annotation files).
        notice = metadata_notice(self._username, mailbox, writer, changed)
        if notice is not None:
            backend._notify(notice)


class _ObjectIdMaildirAccount(MaildirAccount):
    """An account that offers its object ids (ObjectIdAccount, RFC 8474)."""

    __slots__ = ()

    def mailbox_id(self, name: str) -> str:
        """RFC 8474 4: the maildir's id, kept in its UID list (so also across
        RENAME, which moves the directory), new for each CREATE."""
        with self._backend._mutex, self._synced(self._path_of(name), write=False) as [folder]:
            return "F" + folder.live().mailbox_id


def _read_metadata(path: Path) -> MetadataTable:
    """The annotations in ``path`` (none if there is no such file)."""
    try:
        text = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    return {
        owner: {name: base64.b64decode(value) for name, value in values.items()}
        for owner, values in text.items()
    }


def _transfer(
    backend: MaildirBackend, source: _Folder, target: _Folder, uids: list[int], *, move: bool
) -> list[tuple[int, int]]:
    """Copy (hard link) or move (rename) messages ``uids`` of ``source`` into
    ``target``, both locked and synced; the caller saves both."""
    entries = source.live().entries
    modseq = target.bump()
    target.touched = True
    uid_map = []
    moved = []
    for uid in uids:
        entry = entries[uid]
        # Letters without an IMAP meaning go along, except keyword letters:
        # those mean nothing in the target's keyword table.
        extras = "".join(c for c in entry.letters if not "a" <= c <= "z")
        letters = target.letters_for(source.flags_of(entry.letters), extras)
        base = backend._unique()
        dst = target.path / "cur" / f"{base}:2,{letters}"

        def place(src: Path, dst: Path = dst, base: str = base) -> None:
            if move:
                os.rename(src, dst)
                return
            staged = target.path / "tmp" / base
            try:
                os.link(src, staged)
            except OSError as exc:
                if exc.errno == errno.ENOENT:
                    raise
                # Another file system, or links not allowed: copy the bytes.
                shutil.copy2(src, staged)
            os.rename(staged, dst)

        if not source.on_file(entry, place):
            continue  # removed meanwhile by another program: the next scan expunges it
        new_uid = target.add(
            replace(
                entry,
                modseq=modseq,
                born=modseq,
                letters=letters,
                base=base,
                email_id=source.email_id(entry),  # RFC 8474 5.1: the same EMAILID
                saved=int(time.time()),  # RFC 8514 3: saved into the target now
            )
        )
        uid_map.append((uid, new_uid))
        moved.append(uid)
    backend._fsync_dir(target.path / "cur")
    if move and moved:
        source.remove(moved, source.bump())
    return uid_map


class MaildirMailbox:
    """A selected mailbox of a :class:`MaildirBackend` (the Mailbox protocol).

    Bound to the maildir's id (kept in its UID list), so it follows renames
    made by any process and learns of deletion.
    """

    __slots__ = ("_account", "_id", "_name", "_path", "_uidvalidity")

    def __init__(self, account: MaildirAccount, path: Path, mailbox_id: str) -> None:
        self._account = account
        self._path = path
        self._id = mailbox_id
        # What the server asks for every message it fetches (the keys of its
        # message cache), as the last call that looked at the disk found
        # them: (path, the mailbox name of that maildir), UIDVALIDITY.
        self._name: tuple[Path, str | None] | None = None
        self._uidvalidity: int | None = None

    def __repr__(self) -> str:
        return f"MaildirMailbox({str(self._path)!r})"

    def _locate(self) -> Path:
        account = self._account
        if self._is_mine(self._path):
            return self._path
        for path, selectable in account._mailboxes().values():
            if selectable and self._is_mine(path):
                self._path = path
                return path
        raise NoSuchMailbox("Mailbox has been deleted")

    def _is_mine(self, path: Path) -> bool:
        # Only a maildir has a UID list (a \\Noselect level has none).
        state = self._account._folder(path).load(batched=True)
        return state is not None and state.mailbox_id == self._id

    @contextlib.contextmanager
    def _synced(self, *, write: bool = True) -> Iterator[_Folder]:
        account = self._account
        backend = account._backend
        with backend._writing() if write else backend._mutex:
            path = self._locate()
            folder = account._folder(path)
            if not write and folder.fresh(loaded=True):  # _locate read the UID list
                self._uidvalidity = folder.live().uidvalidity
                yield folder
                return
            with account._synced(path, write=write) as [folder]:
                self._uidvalidity = folder.live().uidvalidity
                yield folder

    @property
    def name(self) -> str:
        cached = self._name
        if cached is not None and cached[0] is self._path and cached[1] is not None:
            return cached[1]  # no lock: _path changes only when a call relocates it
        with self._account._backend._mutex:
            path = self._locate()
            if self._name is None or self._name[0] is not path:
                self._name = (path, self._account._name_of(path))
            name = self._name[1]
        if name is None:  # pragma: no cover - _locate only finds folders
            raise NoSuchMailbox("Mailbox has been deleted")
        return name

    @property
    def uidvalidity(self) -> int:
        # Asked for every message fetched: as the last call found it (a new
        # UIDVALIDITY is for the next changes_since to find).
        if self._uidvalidity is None:
            with self._synced(write=False):
                pass
        assert self._uidvalidity is not None
        return self._uidvalidity

    def status(self) -> MailboxStatus:
        with self._synced(write=False) as folder:
            return folder.status()

    def keywords(self) -> tuple[str, ...]:
        with self._synced(write=False) as folder:
            return tuple(k for k in folder.keywords if k)

    def messages(self, uids: Collection[int] | None = None) -> list[MessageInfo]:
        with self._synced(write=False) as folder:
            return folder.infos(folder.select(uids))

    def uids_by_flag(self, flag: str, present: bool) -> Collection[int] | None:
        letter = _FLAG_LETTERS.get(flag)
        if letter is None:
            return None
        with self._synced(write=False) as folder:
            return tuple(folder.uids_by_letter(letter, present))

    def message_bytes(self, uid: int) -> bytes | None:
        backend = self._account._backend
        with backend._mutex:
            path = self._locate()
            folder = self._account._folder(path)
            for attempt in range(2):
                state = folder.load(batched=True) if attempt == 0 else None
                if state is None:
                    with self._account._synced(path) as [synced]:
                        state = synced.live()
                entry = state.entries.get(uid)
                if entry is None:
                    return None
                try:
                    return _imap_bytes((path / "cur" / entry.filename).read_bytes())
                except FileNotFoundError:
                    continue  # renamed or removed by another program: rescan once
            return None

    def open_message(self, uid: int) -> MessageSource | None:
        with self._account._backend._mutex:
            path = self._locate()
            folder = self._account._folder(path)
            for attempt in range(2):
                state = folder.load(batched=True) if attempt == 0 else None
                if state is None:
                    with self._account._synced(path) as [synced]:
                        state = synced.live()
                entry = state.entries.get(uid)
                if entry is None:
                    return None
                if (path / "cur" / entry.filename).exists():
                    return _MessageFile(path / "cur", entry.filename, entry.size)
            return None

    def store_flags(
        self,
        uids: Collection[int],
        action: StoreAction,
        flags: Collection[str],
        *,
        unchanged_since: int | None = None,
    ) -> StoreResult:
        wanted = frozenset(flags)
        result: list[MessageInfo] = []
        changed: list[int] = []
        modified: list[int] = []
        with self._synced() as folder:
            state = folder.live()
            modseq: int | None = None
            for uid in folder.select(uids):
                entry = state.entries[uid]
                old = folder.flags_of(entry.letters)
                if unchanged_since is not None and entry.modseq > unchanged_since:
                    # RFC 7162 3.1.3: not stored; reported in [MODIFIED].
                    modified.append(uid)
                    result.append(folder.info(entry))
                    continue
                new = action.apply(old, wanted)
                if new != old:
                    letters = folder.letters_for(new, entry.letters, uid)
                    target = folder.path / "cur" / f"{entry.base}:2,{letters}"
                    if not folder.on_file(entry, functools.partial(_rename_to, target=target)):
                        result.append(folder.info(entry))
                        continue  # removed by another program; the next scan expunges it
                    if modseq is None:
                        modseq = folder.bump()
                    entry = replace(entry, letters=letters, modseq=modseq)
                    state.put(entry)
                    changed.append(uid)
                result.append(folder.info(entry))
            if changed:
                folder.save()
            name = self._account._name_of(folder.path)
        if changed:
            self._account._changed(name)
        return StoreResult(messages=tuple(result), changed=tuple(changed), modified=tuple(modified))

    def copy(self, uids: Collection[int], destination: str) -> CopyResult:
        return self._copy(uids, destination, move=False)

    def move(self, uids: Collection[int], destination: str) -> CopyResult:
        return self._copy(uids, destination, move=True)

    def _copy(self, uids: Collection[int], destination: str, *, move: bool) -> CopyResult:
        account = self._account
        with account._backend._writing():
            source_path = self._locate()
            dest_path = account._path_of(destination)
            paths = [source_path] if dest_path == source_path else [source_path, dest_path]
            with account._synced(*paths, adds=True) as folders:
                source, target = folders[0], folders[-1]
                selected = source.select(uids)
                if not selected:
                    return CopyResult(uidvalidity=target.live().uidvalidity, uid_map=())
                uid_map = _transfer(account._backend, source, target, selected, move=move)
                target.save()
                if move and source is not target:
                    source.save()
                source_name = account._name_of(source_path)
                uidvalidity = target.live().uidvalidity
        if move:
            # RFC 6851 3.3: the source messages are expunged.
            account._changed(source_name)
        account._changed(destination)
        return CopyResult(uidvalidity=uidvalidity, uid_map=tuple(uid_map))

    def replace(
        self,
        uid: int,
        destination: str,
        data: bytes | MessageSource,
        *,
        flags: Collection[str] = (),
        internal_date: datetime,
    ) -> AppendResult:
        """RFC 8508 3.4: the new file and the old one's removal under both
        maildirs' locks, each UID list saved once."""
        account = self._account
        with account._backend._writing():
            source_path = self._locate()
            dest_path = account._path_of(destination)
            paths = [source_path] if dest_path == source_path else [source_path, dest_path]
            with account._synced(*paths, adds=True) as folders:
                source, target = folders[0], folders[-1]
                old = source.live().entries.get(uid)
                if old is None:
                    raise ImapNo("The message to replace no longer exists", "EXPUNGEISSUED")
                letters = target.letters_for(frozenset(flags), "")
                staged = account._stage_message(target.path, data, internal_date)
                entry = account._place_message(target, staged, letters)
                modseq = target.bump()
                new_uid = target.add(replace(entry, modseq=modseq, born=modseq))
                source.on_file(old, Path.unlink)
                source.remove([uid], source.bump())
                target.save()
                if source is not target:
                    source.save()
                source_name = account._name_of(source_path)
                uidvalidity = target.live().uidvalidity
        account._changed(destination)
        if source_name != destination:
            account._changed(source_name)
        return AppendResult(uidvalidity=uidvalidity, uid=new_uid)

    def expunge(self, uids: Collection[int] | None = None) -> tuple[int, ...]:
        with self._synced() as folder:
            entries = folder.live().entries
            doomed = [uid for uid in folder.select(uids) if "T" in entries[uid].letters]
            if doomed:
                for uid in doomed:
                    folder.on_file(entries[uid], Path.unlink)
                folder.remove(doomed, folder.bump())
                folder.save()
            name = self._account._name_of(folder.path)
        if doomed:
            self._account._changed(name)
        return tuple(doomed)

    def changes_since(self, modseq: int) -> Changes:
        with self._synced(write=False) as folder:
            state = folder.live()
            new: list[MessageInfo] = []
            changed: list[MessageInfo] = []
            expunged: list[int] = []
            if modseq < state.modseq:
                for entry in state.changed_since(modseq):
                    (new if entry.born > modseq else changed).append(folder.info(entry))
                # Tombstones are in modseq order; one for a message that
                # arrived after ``modseq`` was never known: skipped.
                tombstones = state.tombstones
                start = bisect_right(tombstones, (modseq, 2**63, 2**63))
                expunged = sorted(uid for _, uid, born in tombstones[start:] if born <= modseq)
            return Changes(
                new=tuple(new),
                changed=tuple(changed),
                expunged=tuple(expunged),
                highest_modseq=state.modseq,
                uidvalidity=state.uidvalidity,
                uidnext=state.uidnext,
                forgotten=state.forgotten,
            )

    def claim_recent(self) -> tuple[int, ...]:
        backend = self._account._backend
        with backend._mutex:
            folder = self._account._folder(self._locate())
            state = folder.live()
            if state.recent_from == state.uidnext and folder.fresh(loaded=True):
                return ()  # nothing arrived to claim: no lock, nothing written
        with self._synced() as folder:
            state = folder.live()
            claimed = tuple(uid for uid in state.entries if uid >= state.recent_from)
            if state.recent_from != state.uidnext:
                state.recent_from = state.uidnext
                folder.save()
            return claimed
