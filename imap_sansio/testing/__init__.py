"""Pure test helpers: transcripts, the imaptest runner, hypothesis strategies.

- :func:`play` runs a ``C:``/``S:`` transcript against ``server.connect()``
  sessions and reports the first difference (:class:`TranscriptMismatch`).
- :func:`parse_script` / :func:`run_script` run Dovecot's imaptest scripts.
- :func:`fixed_clock` is a clock for ``IMAPServer(clock=...)`` that stands still.
- ``imap_sansio.testing.strategies`` has hypothesis strategies for typed
  commands and responses (it needs hypothesis, the ``test`` extra).
- ``imap_sansio.testing.backend`` has :class:`BackendContract`, the pytest
  suite every Backend passes (it needs pytest, the ``test`` extra).
"""

from __future__ import annotations

from ._clock import fixed_clock
from .imaptest import ImaptestError, ImaptestResult, parse_mbox, parse_script, run_script
from .transcript import TranscriptError, TranscriptMismatch, play

__all__ = [
    "ImaptestError",
    "ImaptestResult",
    "TranscriptError",
    "TranscriptMismatch",
    "fixed_clock",
    "parse_mbox",
    "parse_script",
    "play",
    "run_script",
]
