"""The lessons every fork exercise shares are judged and taught the same way everywhere."""

from __future__ import annotations

import ast
import inspect

import pytest

from grader import outcome, sandbox_child
from grader.messages import SpecFailure
from grader.spec import FellThrough, Msg, check_every_child_used_os_exit

SEE = Msg(" (README: 'End every child with `os._exit`')", "（README.zh-CN:「用 os._exit 结束」）")


def test_no_child_fell_through_is_no_failure() -> None:
    check_every_child_used_os_exit((), SEE)


def test_a_child_that_fell_through_is_named_in_both_languages() -> None:
    fell = (FellThrough(41, "returned"), FellThrough(42, "raised ValueError"))
    with pytest.raises(SpecFailure) as failure:
        check_every_child_used_os_exit(fell, SEE)
    msg = failure.value.teaching
    assert msg.en.startswith("2 forked process(es) left your function instead of ending in it")
    assert "pid 41 (returned), pid 42 (raised ValueError)" in msg.en
    assert msg.en.endswith("cannot skip it (README: 'End every child with `os._exit`').")
    assert msg.zh is not None
    assert msg.zh.startswith("有 2 个 fork 出来的进程没有在你的函数里结束")
    assert "pid 41（returned）、pid 42（抛出了 ValueError）" in msg.zh
    assert msg.zh.endswith("不会跳过它（README.zh-CN:「用 os._exit 结束」）。")


def test_a_named_function_is_set_apart_by_spaces_in_chinese() -> None:
    with pytest.raises(SpecFailure) as failure:
        check_every_child_used_os_exit((FellThrough(7, "returned"),), SEE, "serve()")
    msg = failure.value.teaching
    assert "left serve() instead of ending in it" in msg.en
    assert "the code that called serve() and runs it" in msg.en
    assert msg.zh is not None and "没有在 serve() 里结束" in msg.zh
    assert "回到调用 serve() 的代码里" in msg.zh


@pytest.mark.parametrize(
    ("how", "chinese"),
    [
        ("returned from the student's function", "从函数里 return 了"),
        ("raised KeyError", "抛出了 KeyError"),
        ("called sys.exit(3)", "调用了 sys.exit(3)"),
        ("forked while the module was imported", "在导入模块时 fork 出来，离开了模块"),
        (
            "forked during the import, then raised OSError",
            "在导入模块时 fork 出来，然后抛出了 OSError",
        ),
        ("something else", "something else"),  # a text the sandbox did not write stays as it is
    ],
)
def test_how_a_child_left_is_said_in_chinese(how: str, chinese: str) -> None:
    assert FellThrough(5, how).describe("zh") == f"pid 5（{chinese}）"
    assert FellThrough(5, how).describe() == f"pid 5 ({how})"


def test_every_way_the_sandbox_reports_has_a_chinese_text() -> None:
    """Each text sandbox_child passes to _fell_through (placeholders filled) has a translation."""
    tree = ast.parse(inspect.getsource(sandbox_child))
    texts = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_fell_through":
            first = node.args[0]
            if isinstance(first, ast.JoinedStr):  # an f-string: fill each placeholder
                parts = [v.value if isinstance(v, ast.Constant) else "X1" for v in first.values]
                texts.append("".join(str(p) for p in parts))
            else:
                assert isinstance(first, ast.Constant)
                texts.append(first.value)
    assert len(set(texts)) >= 5, texts
    for text in texts:
        assert any(p.fullmatch(text) for p, _ in outcome._HOW_ZH), text
