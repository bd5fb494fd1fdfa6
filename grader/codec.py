"""A strict value codec for data that crosses from a student process to the judge.

Only plain data crosses: None, bool, int, float, str, bytes, and list / tuple / dict of those.
The check is on the exact type, so a subclass (an ``int`` whose ``__eq__`` always says True)
is refused like any other object. Nothing is ever unpickled: the wire format is JSON with
tagged objects for the types JSON lacks, and decoding validates every tag.
"""

from __future__ import annotations

import base64
import json
from typing import Any

MAX_DEPTH = 64
MAX_BYTES = 16 * 1024 * 1024
MAX_INT_BITS = 13_000  # about 3 900 decimal digits: below CPython's 4 300-digit str limit


class CodecError(ValueError):
    """The value cannot cross (encoding) or the bytes are not a valid message (decoding)."""


def _to_wire(value: object, depth: int) -> object:
    if depth > MAX_DEPTH:
        raise CodecError(f"the value is nested deeper than {MAX_DEPTH} levels")
    kind = type(value)
    if kind is int and value.bit_length() > MAX_INT_BITS:  # type: ignore[attr-defined]
        raise CodecError(f"an int of more than {MAX_INT_BITS} bits is too large to grade")
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        return {"$float": repr(value)}
    if kind is bytes:
        assert isinstance(value, bytes)
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if kind is list:
        assert isinstance(value, list)
        return [_to_wire(v, depth + 1) for v in value]
    if kind is tuple:
        assert isinstance(value, tuple)
        return {"$tuple": [_to_wire(v, depth + 1) for v in value]}
    if kind is dict:
        assert isinstance(value, dict)
        return {
            "$dict": [[_to_wire(k, depth + 1), _to_wire(v, depth + 1)] for k, v in value.items()]
        }
    raise CodecError(
        f"unsupported type {kind.__module__}.{kind.__qualname__}: return only None, bool, int, "
        "float, str, bytes, or lists, tuples and dicts of those"
    )


def encode(value: object) -> bytes:
    """Serialise ``value`` or raise CodecError naming the offending type."""
    try:
        data = json.dumps(_to_wire(value, 0), separators=(",", ":")).encode()
    except (ValueError, RecursionError, UnicodeEncodeError) as exc:
        if isinstance(exc, CodecError):
            raise
        raise CodecError(f"the value cannot be encoded: {exc}") from None
    if len(data) > MAX_BYTES:
        raise CodecError(f"the value is {len(data)} bytes encoded; the limit is {MAX_BYTES}")
    return data


def _hashable(value: object) -> object:
    try:
        hash(value)
    except TypeError:
        raise CodecError("a dict key is not hashable") from None
    return value


def _from_wire(node: Any, depth: int) -> object:
    if depth > MAX_DEPTH:
        raise CodecError("nested too deeply")
    if node is None or type(node) in (bool, int, str):
        return node
    if type(node) is list:
        return [_from_wire(v, depth + 1) for v in node]
    if type(node) is dict and len(node) == 1:
        ((tag, body),) = node.items()
        if tag == "$float" and type(body) is str:
            try:
                return float(body)
            except ValueError:
                raise CodecError(f"bad float {body!r}") from None
        if tag == "$bytes" and type(body) is str:
            try:
                return base64.b64decode(body.encode("ascii"), validate=True)
            except (ValueError, UnicodeEncodeError):
                raise CodecError("bad base64 in bytes") from None
        if tag == "$tuple" and type(body) is list:
            return tuple(_from_wire(v, depth + 1) for v in body)
        if tag == "$dict" and type(body) is list:
            out: dict[object, object] = {}
            for pair in body:
                if type(pair) is not list or len(pair) != 2:
                    raise CodecError("a dict entry is not a [key, value] pair")
                out[_hashable(_from_wire(pair[0], depth + 1))] = _from_wire(pair[1], depth + 1)
            return out
    raise CodecError(f"unexpected node {str(node)[:80]!r}")


def decode(data: bytes) -> object:
    """Rebuild a value written by :func:`encode`; anything else raises CodecError."""
    if len(data) > MAX_BYTES:
        raise CodecError(f"message of {len(data)} bytes exceeds {MAX_BYTES}")
    try:
        tree = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise CodecError(f"not a valid message: {exc}") from None
    return _from_wire(tree, 0)
