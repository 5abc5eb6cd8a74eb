"""Watching maildirs for changes made by other programs (issue 13, goal 3).

A mail delivery agent renaming a file into ``new/``, another ``imap-sansio
serve`` process storing flags or appending, a mail reader working on the
maildir directly: none of them calls this process's backend, so none of
them produces a :class:`~imap_sansio.server.ChangeNotice` by itself.  A
:class:`MaildirWatcher` watches ``new/`` and ``cur/`` of the mailboxes that
sessions have selected and, when one changes, asks the backend to look
(:meth:`MaildirBackend.refresh <imap_sansio.adapters.maildir.MaildirBackend.refresh>`),
which sends the notice that wakes the sessions (an IDLE client hears at once).

With the ``maildir-watch`` extra (the maintained ``watchfiles`` library,
inotify on Linux) a change is seen within a few tens of milliseconds;
without it, the watched mailboxes are checked every ``interval`` seconds
(three ``stat`` calls each while nothing changed).  The notice is a hint: the
store (the UID list and the files) is the truth, and a session reads it.

The watcher runs in one daemon thread per backend, started by the first
:meth:`MaildirWatcher.watch`; the adapters call ``backend.watch(user,
mailbox)`` for each selected mailbox and the returned function when the
session leaves it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

__all__ = ["MaildirWatcher", "WatchedStore", "inotify_available"]

log = logging.getLogger(__name__)

_Key = tuple[str, str]


class WatchedStore(Protocol):
    """What the watcher needs of the store (``MaildirBackend`` has it)."""

    def mailbox_path(self, username: str, mailbox: str) -> Path:
        """The maildir of ``mailbox`` (raises if there is none)."""

    def refresh(self, username: str, mailbox: str) -> None:
        """Look for outside changes to ``mailbox``; send a notice if any."""


def inotify_available() -> bool:
    """Whether the ``maildir-watch`` extra (``watchfiles``) is installed."""
    try:
        import watchfiles  # noqa: F401, PLC0415 - optional
    except ImportError:
        return False
    return True


class MaildirWatcher:
    """Turns outside changes to watched mailboxes into the backend's notices.

    ``inotify``: True to use ``watchfiles`` (ImportError if missing), False to
    poll every ``interval`` seconds, None (default) for ``watchfiles`` when it
    is installed.
    """

    def __init__(
        self, backend: WatchedStore, *, interval: float = 1.0, inotify: bool | None = None
    ) -> None:
        if inotify is None:
            inotify = inotify_available()
        elif inotify and not inotify_available():
            raise ImportError("inotify needs watchfiles: pip install imap-sansio[maildir-watch]")
        self.inotify = inotify
        self.interval = interval
        self._backend = backend
        self._cond = threading.Condition()
        #: (user, mailbox) -> how many sessions watch it.
        self._targets: dict[_Key, int] = {}
        #: Set to end the current round of watching (the targets changed).
        self._restart = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None

    def watch(self, username: str, mailbox: str) -> Callable[[], None]:
        """Watch ``mailbox`` of ``username``; returns the function that stops
        (calling it more than once is harmless)."""
        key = (username, mailbox)
        with self._cond:
            self._targets[key] = self._targets.get(key, 0) + 1
            self._changed()
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(
                    target=self._run, name="maildir-watcher", daemon=True
                )
                self._thread.start()
        done = False

        def unwatch() -> None:
            nonlocal done
            with self._cond:
                if done:
                    return
                done = True
                count = self._targets[key] - 1
                if count:
                    self._targets[key] = count
                else:
                    del self._targets[key]
                self._changed()

        return unwatch

    def close(self) -> None:
        """Stop the thread (for tests and orderly shutdowns; it is a daemon)."""
        with self._cond:
            self._closed = True
            self._changed()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _changed(self) -> None:
        # Under the condition's lock.
        self._restart.set()
        self._cond.notify_all()

    # -- the thread ---------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._targets and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                targets = list(self._targets)
                self._restart = restart = threading.Event()
            try:
                if self.inotify:
                    self._watch_inotify(targets, restart)
                else:
                    self._poll(targets, restart)
            except Exception:  # a watcher must outlive any one failure
                log.exception("maildir watcher failed; polling for a while")
                self._poll(targets, restart)

    def _refresh(self, keys: list[_Key]) -> None:
        for username, mailbox in keys:
            try:
                self._backend.refresh(username, mailbox)
            except Exception as exc:  # deleted meanwhile: the sessions find out
                log.debug("refresh of %r for %r failed: %r", mailbox, username, exc)

    def _poll(self, targets: list[_Key], restart: threading.Event) -> None:
        # Catch up at once: something may have changed before the watch began.
        self._refresh(targets)
        while not restart.wait(self.interval):
            self._refresh(targets)

    def _watch_inotify(self, targets: list[_Key], restart: threading.Event) -> None:
        import watchfiles  # noqa: PLC0415 - optional

        by_dir: dict[str, list[_Key]] = {}
        for key in targets:
            with contextlib.suppress(Exception):  # no such mailbox (any more)
                path = self._backend.mailbox_path(*key)
                for sub in ("new", "cur"):
                    by_dir.setdefault(str(path / sub), []).append(key)
        if not by_dir:
            restart.wait()
            return
        # Catch up first; a change between this look and the watch starting
        # is found by the look made after each quiet ``interval``.
        self._refresh(targets)
        changes_seen = watchfiles.watch(
            *by_dir,
            watch_filter=None,
            debounce=200,
            step=20,
            stop_event=restart,
            rust_timeout=max(1, int(self.interval * 1000)),
            yield_on_timeout=True,
            recursive=False,
            raise_interrupt=False,
        )
        for changes in changes_seen:
            if not changes:
                # Quiet for ``interval``: look anyway (a change before the
                # watch began, a directory replaced under it, a lost event);
                # a few stat calls per mailbox.
                self._refresh(targets)
                continue
            keys: dict[_Key, None] = {}
            for _, changed in changes:
                for key in by_dir.get(str(Path(changed).parent), ()):
                    keys[key] = None
            self._refresh(list(keys) or targets)
