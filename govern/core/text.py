"""Text that must stay on one line: titles, names, references, mail headers.

A newline in a single-line field breaks whatever it is later written into (an email's Subject
header, a calendar's SUMMARY, a PDF's heading), so such fields are folded when they are stored.
"""

from __future__ import annotations


def single_line(text: str | None) -> str:
    """``text`` with every run of whitespace (CR, LF, tabs, Unicode line and paragraph separators
    included) and any other control character folded to one space, and trimmed."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in (text or "")).split())
