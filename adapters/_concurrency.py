"""Threads for the backend contract's concurrency tests.

``imap_sansio.testing.backend.BackendContract`` is pure and starts no
thread; its concurrency tests ask the ``backend_threads`` fixture of the
pytest plugin for this object instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

__all__ = ["Threads"]


class Threads:
    """Runs callables in threads and re-raises the first error in the caller."""

    def lock(self) -> threading.Lock:
        return threading.Lock()

    def run(
        self,
        jobs: Sequence[Callable[[], None]],
        *,
        background: Sequence[Callable[[Callable[[], bool]], None]] = (),
    ) -> None:
        """Run ``jobs`` and ``background`` at once; when every job has ended,
        tell the background ones to stop (their argument returns True) and
        wait for them."""
        errors: list[BaseException] = []
        stop = threading.Event()

        def guarded(job: Callable[..., None], *args: object) -> None:
            try:
                job(*args)
            except BaseException as exc:  # reported in the caller's thread
                errors.append(exc)

        behind = [threading.Thread(target=guarded, args=(job, stop.is_set)) for job in background]
        ahead = [threading.Thread(target=guarded, args=(job,)) for job in jobs]
        for thread in (*behind, *ahead):
            thread.start()
        for thread in ahead:
            thread.join()
        stop.set()
        for thread in behind:
            thread.join()
        if errors:
            raise errors[0]
