"""Helpers specs build their messages with."""

from __future__ import annotations

import random

from grader.messages import first_difference


def _by_loop(got: bytes, want: bytes) -> int:
    for index, (a, b) in enumerate(zip(got, want, strict=False)):
        if a != b:
            return index
    return min(len(got), len(want))


def test_first_difference_agrees_with_a_byte_by_byte_loop() -> None:
    draw = random.Random(12)
    for _ in range(500):
        want = bytes(draw.randrange(3) for _ in range(draw.choice([0, 1, 2, 3, 17, 1000])))
        got = bytearray(want)
        change = draw.randrange(4)
        if change == 0 and got:
            got[draw.randrange(len(got))] ^= 1
        elif change == 1:
            del got[draw.randrange(len(got) + 1) :]
        elif change == 2:
            got += b"x"
        assert first_difference(bytes(got), want) == _by_loop(bytes(got), want), (got, want)


def test_first_difference_finds_one_byte_in_megabytes() -> None:
    want = random.Random(23).randbytes(5 * 1024 * 1024)
    got = bytearray(want)
    got[4_000_000] ^= 0xFF
    assert first_difference(bytes(got), want) == 4_000_000
    assert first_difference(want, want) == len(want)
    assert first_difference(want[:10], want) == 10
