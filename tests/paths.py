"""Where the test data lives (inside the repository, see data/README.md)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
VECTORS = DATA / "vectors"
IMAPTEST = DATA / "imaptest"
