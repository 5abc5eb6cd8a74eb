"""Pure test helpers: transcripts, the imaptest runner, hypothesis strategies.

``imap_sansio.testing.strategies`` needs hypothesis (the ``test`` extra).
"""

from __future__ import annotations

__all__: list[str] = []
