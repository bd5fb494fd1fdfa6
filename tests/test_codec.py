"""The strict codec: plain data round-trips exactly; everything else is refused."""

from __future__ import annotations

import math

import pytest

from grader import codec

ROUND_TRIP = [
    None,
    True,
    False,
    0,
    -1,
    2**100,
    1.5,
    -0.0,
    "",
    "汉字",
    b"",
    b"\x00\xff",
    [1, [2, [3]]],
    (1, "a", b"b"),
    (),
    {"k": [1, 2]},
    {1: "int key", (1, 2): "tuple key"},
    {"$bytes": "not a tag, a key"},
    [{"$tuple": []}],
]


@pytest.mark.parametrize("value", ROUND_TRIP, ids=repr)
def test_plain_data_round_trips_with_exact_types(value: object) -> None:
    back = codec.decode(codec.encode(value))
    assert back == value
    assert type(back) is type(value)


def test_special_floats_round_trip() -> None:
    inf, nan = codec.decode(codec.encode([math.inf, math.nan]))  # type: ignore[misc]
    assert inf == math.inf and math.isnan(nan)


class AlwaysEqual:
    def __eq__(self, other: object) -> bool:
        return True


class SlyInt(int):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = int.__hash__


@pytest.mark.parametrize(
    "value",
    [
        AlwaysEqual(),
        SlyInt(3),
        [SlyInt(3)],
        {1: AlwaysEqual()},
        {1, 2},
        bytearray(b"x"),
        range(3),
        object(),
    ],
    ids=lambda v: type(v).__name__,
)
def test_anything_else_is_refused_with_its_type_named(value: object) -> None:
    with pytest.raises(codec.CodecError, match="unsupported type"):
        codec.encode(value)


def test_depth_is_bounded() -> None:
    deep: list[object] = []
    node = deep
    for _ in range(codec.MAX_DEPTH + 5):
        child: list[object] = []
        node.append(child)
        node = child
    with pytest.raises(codec.CodecError, match="nested"):
        codec.encode(deep)


@pytest.mark.parametrize(
    "wire",
    [
        b"not json",
        b'{"$bytes": "!!"}',
        b'{"$tuple": 3}',
        b'{"$dict": [[1]]}',
        b'{"$dict": [[[1], 2]]}',
        b'{"a": 1}',
        b'{"$float": "x"}',
        b"[" * 100_000 + b"]" * 100_000,
    ],
    ids=[
        "garbage",
        "bad-base64",
        "tuple-not-list",
        "short-pair",
        "unhashable-key",
        "untagged-dict",
        "bad-float",
        "deep",
    ],
)
def test_decoding_rejects_malformed_messages(wire: bytes) -> None:
    with pytest.raises(codec.CodecError):
        codec.decode(wire)


def test_size_is_bounded() -> None:
    with pytest.raises(codec.CodecError, match="limit"):
        codec.encode("x" * (codec.MAX_BYTES + 1))
