"""Where the test data lives (inside the repository, see data/README.md).

``data/SHA256SUMS`` lists every data file with its digest (``sha256sum -c``
format).  The suite takes its list of imaptest scripts from it, not from the
directory, so a missing file fails its test instead of taking the test away
with it; ``test_data.py`` checks the digests and that nothing is unlisted.
Without the list, importing this module fails and the run stops at
collection.
"""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
VECTORS = DATA / "vectors"
IMAPTEST = DATA / "imaptest"
SUMS = DATA / "SHA256SUMS"

if not SUMS.is_file():
    raise FileNotFoundError(
        f"{SUMS} is missing: the tests need the data committed under tests/data/ "
        "(run them from a complete clone)"
    )

#: relative path (POSIX) -> hex SHA-256, for every file under ``DATA``.
MANIFEST: dict[str, str] = {
    name: digest
    for digest, name in (line.split("  ", 1) for line in SUMS.read_text("ascii").splitlines())
}

_NOT_SCRIPTS = {"FORMAT.md", "LICENSE.COPYING", "LICENSE.COPYING.MIT", "default.mbox"}


def imaptest_scripts() -> list[str]:
    """The names of Dovecot's imaptest scripts (``broken/`` left out)."""
    return sorted(
        name
        for path in MANIFEST
        if path.startswith("imaptest/")
        and "/" not in (name := path.removeprefix("imaptest/"))
        and not name.endswith(".mbox")
        and name not in _NOT_SCRIPTS
    )


def imaptest_mboxes() -> list[Path]:
    """Every ``.mbox`` fixture of the imaptest scripts, ``broken/`` included."""
    return sorted(
        DATA / path for path in MANIFEST if path.startswith("imaptest/") and path.endswith(".mbox")
    )
