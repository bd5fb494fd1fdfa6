"""Cut long text for a message or a report, keeping its head and tail, and say what was cut."""

from __future__ import annotations


def head_tail(text: str, limit: int) -> str:
    """``text`` if it has at most ``limit`` characters, else its head and tail around a note."""
    if len(text) <= limit:
        return text
    half = limit // 2
    dropped = len(text) - 2 * half
    return f"{text[:half]}\n[... {dropped} characters dropped ...]\n{text[-half:]}"


def tail(text: str, limit: int) -> str:
    """The last ``limit`` characters of ``text``, saying how many came before them."""
    if len(text) <= limit:
        return text
    return f"[... {len(text) - limit} characters before ...]\n{text[-limit:]}"
