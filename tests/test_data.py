"""The committed test data is complete and unchanged (see data/SHA256SUMS)."""

from __future__ import annotations

import hashlib

import paths


def test_every_listed_data_file_is_there_with_its_bytes() -> None:
    wrong = {
        name: "missing"
        if not (paths.DATA / name).is_file()
        else "changed (line endings converted?)"
        for name, digest in paths.MANIFEST.items()
        if not (paths.DATA / name).is_file()
        or hashlib.sha256((paths.DATA / name).read_bytes()).hexdigest() != digest
    }
    assert wrong == {}


def test_every_data_file_is_listed() -> None:
    present = {
        path.relative_to(paths.DATA).as_posix()
        for path in paths.DATA.rglob("*")
        if path.is_file() and path != paths.SUMS
    }
    assert present - paths.MANIFEST.keys() == set(), "add them to tests/data/SHA256SUMS"


def test_the_scripts_come_from_the_list() -> None:
    scripts = paths.imaptest_scripts()
    assert len(scripts) == 72
    assert {"append", "thread4"} <= set(scripts)
    assert {"default.mbox", "FORMAT.md", "search-intdate"}.isdisjoint(scripts)  # broken/ is out
