"""Sphinx configuration: ``python -m sphinx -W -b html docs docs/_build/html``.

Everything here builds offline (no intersphinx inventories: CI reaches only
the package registries).  The generated pages (state diagram, capability
table, CLI options, configuration keys, conformance, benchmarks) come from
``_ext/imap_sansio_docs.py``, which reads the code's own tables at build time.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

project = "imap-sansio"
author = "the imap-sansio authors"
copyright = "the imap-sansio authors"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.graphviz",
    "imap_sansio_docs",
]

# The pages are reStructuredText; MyST only reads the Markdown benchmark report
# (benchmarks/RESULTS.md) that the benchmarks page includes.
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
# Option names (--config) and IMAP text stay as written.
smartquotes = False
exclude_patterns = ["_build"]
templates_path: list[str] = []

html_theme = "furo"
html_title = "imap-sansio"
html_static_path: list[str] = []

# API reference: one page per public module; the members are the module's
# __all__, in source order, with the annotations shown in the signatures.
autodoc_default_options = {
    "members": True,
    "undoc-members": True,
    "show-inheritance": True,
    "member-order": "bysource",
}
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
autodoc_class_signature = "mixed"

graphviz_output_format = "svg"
