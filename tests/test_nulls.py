"""Null submissions: every function of the stub gives up at once; everything else stays."""

from __future__ import annotations

import ast
import asyncio
from typing import Any

import pytest

from grader import nulls

STUB = '''\
"""A stub."""

from __future__ import annotations

LIMIT = 3


def plain(x: int) -> int:
    """Docstring."""
    raise NotImplementedError


async def later() -> int:
    raise NotImplementedError


def lines():
    yield b"never"


class Server:
    port = 80

    def __init__(self, port: int) -> None:
        raise NotImplementedError

    @staticmethod
    def helper() -> int:
        raise NotImplementedError

    class Inner:
        def untouched(self) -> int:
            return 1


if __name__ == "__main__":
    print(plain(1))
'''


def load(kind: nulls.NullKind) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "student"}
    exec(compile(nulls.null_source(STUB, kind), "null", "exec"), namespace)
    return namespace


def calls(namespace: dict[str, Any]) -> list[Any]:
    """Every replaced function, called with arguments that fit its signature."""
    server_cls = namespace["Server"]
    return [
        lambda: namespace["plain"](1),
        lambda: asyncio.run(namespace["later"]()),
        lambda: namespace["lines"](),
        lambda: server_cls(80),
        server_cls.helper,
    ]


def kind(name: str) -> nulls.NullKind:
    return next(k for k in nulls.KINDS if k.name == name)


def test_the_four_kinds() -> None:
    assert [k.name for k in nulls.KINDS] == ["raises", "returns-none", "sys-exit", "os-exit"]


def test_raises_replaces_every_function_and_method() -> None:
    namespace = load(kind("raises"))
    for call in calls(namespace):
        with pytest.raises(RuntimeError, match="null submission"):
            call()


def test_returns_none_keeps_constants_attributes_and_nested_classes() -> None:
    namespace = load(kind("returns-none"))
    assert namespace["LIMIT"] == 3 and namespace["Server"].port == 80
    assert namespace["Server"].Inner().untouched() == 1, "only top-level classes' methods"
    server = namespace["Server"](80)
    assert isinstance(server, namespace["Server"])
    for call in calls(namespace)[:3] + calls(namespace)[4:]:
        assert call() is None


def test_sys_exit_exits_with_code_0() -> None:
    namespace = load(kind("sys-exit"))
    for call in calls(namespace):
        with pytest.raises(SystemExit) as info:
            call()
        assert info.value.code == 0


def test_os_exit_bodies_are_os_exit_0() -> None:
    """Not called here: it would end the test process."""
    tree = ast.parse(nulls.null_source(STUB, kind("os-exit")))
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    replaced = [f for f in functions if f.name != "untouched"]
    assert len(replaced) == 5
    for function in replaced:
        assert ast.unparse(function.body[-1]) == "os._exit(0)", function.name


def test_a_stub_without_functions_or_that_does_not_parse_is_an_error() -> None:
    with pytest.raises(ValueError, match="no function"):
        nulls.null_source("X = 1\n", nulls.KINDS[0])
    with pytest.raises(SyntaxError):
        nulls.null_source("def f(:\n", nulls.KINDS[0])
