"""What a spec tells a student when a test fails, in English and in Chinese.

A spec writes ``check(condition, en=..., zh=...)`` or ``fail(en=..., zh=...)`` instead of a
bare ``assert``. Both texts travel with the exception (:class:`SpecFailure`); the plugin picks
the one for the session's language (``grader --lang`` or the locale) when it reports the
test, and falls back to English where a spec gave no Chinese. The student-facing problems the
sandbox raises (not written yet, raised, timed out, crashed) are :class:`Msg` too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

LANGS = ("en", "zh")


@dataclass(frozen=True)
class Msg:
    """One message in English and (ideally) Chinese."""

    en: str
    zh: str | None = None

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" and self.zh else self.en

    def __add__(self, other: Msg | str) -> Msg:
        if isinstance(other, str):
            return Msg(self.en + other, None if self.zh is None else self.zh + other)
        zh = None if self.zh is None and other.zh is None else self.text("zh") + other.text("zh")
        return Msg(self.en + other.en, zh)

    def __str__(self) -> str:
        return self.en


class SpecFailure(AssertionError):
    """A spec's check failed; ``teaching`` says why in both languages. The test is ``failed``."""

    status = "failed"

    def __init__(self, msg: Msg) -> None:
        super().__init__(msg.en)
        self.teaching = msg


def check(condition: object, en: str, zh: str | None = None) -> None:
    """Fail the test with the message unless ``condition`` holds."""
    if not condition:
        raise SpecFailure(Msg(en, zh))


def fail(en: str, zh: str | None = None) -> NoReturn:
    """Fail the test with this message."""
    raise SpecFailure(Msg(en, zh))


def first_difference(got: bytes, want: bytes) -> int:
    """The offset of the first byte where ``got`` and ``want`` differ, for a message; the
    shorter one's length when it is a prefix of the other (or both are equal).

    Found by halving, each step one comparison of two prefixes in C: a loop in Python over
    a download of megabytes costs a spec a quarter of a second.
    """
    same, differ = 0, min(len(got), len(want))  # prefixes of `same` bytes are equal
    if got[:differ] == want[:differ]:
        return differ
    while differ - same > 1:  # prefixes of `differ` bytes are not
        middle = (same + differ) // 2
        if got[:middle] == want[:middle]:
            same = middle
        else:
            differ = middle
    return same
