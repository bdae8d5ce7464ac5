"""The README's event catalogue is the generated one."""

from __future__ import annotations

from pathlib import Path

from samverkan_shared.catalogue import BEGIN, END, markdown

README = Path(__file__).resolve().parents[3] / "README.md"


def test_readme_catalogue_is_current() -> None:
    text = README.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    assert text[start:end] == markdown(), "run `make catalogue` and commit README.md"
