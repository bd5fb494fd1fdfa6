"""Checks that teach the same lesson in every exercise that needs it, in one text.

A lesson that several specs judge (every forked child ends with ``os._exit``) is written once
here, in English and Chinese, so that twenty specs do not carry twenty drifting copies. The
spec passes its own README reference (``see``): :mod:`grader.readme_refs` checks references in
the spec's source, so each exercise's README must have the heading it names.
"""

from __future__ import annotations

from collections.abc import Sequence

from grader.messages import Msg, fail
from grader.outcome import FellThrough


def check_every_child_used_os_exit(
    fell: Sequence[FellThrough], see: Msg, function: str | None = None
) -> None:
    """Fail when a forked child left the student's function instead of ending in it.

    ``fell`` is ``Outcome.fell_through`` (or ``Running.fell_through()``); ``see`` is what the
    message ends with, e.g. ``Msg(" (README: 'End every child with `os._exit`')", "（…）")``;
    ``function`` names the student's function (``"serve()"``), "your function" by default.
    """
    if not fell:
        return
    en_fn = function or "your function"
    zh_fn = f" {function} " if function else "你的函数"  # spaces around Latin text in Chinese
    en = ", ".join(f.describe() for f in fell)
    zh = "、".join(f.describe("zh") for f in fell)
    fail(
        en=f"{len(fell)} forked process(es) left {en_fn} instead of ending in it: {en}. A child "
        "runs the same code as its parent from the fork on: if it returns, raises or calls "
        f"sys.exit(), it climbs back into the code that called {en_fn} and runs it a second "
        "time (here the grader stopped it). End every child with os._exit(code), in a "
        f"try/finally so that an exception cannot skip it{see.en}.",
        zh=f"有 {len(fell)} 个 fork 出来的进程没有在{zh_fn}里结束，而是离开了它：{zh}。fork "
        "之后子进程和父进程执行的是同一份代码：子进程一旦 return、抛出异常或调用 sys.exit()，"
        f"就会回到调用{zh_fn}的代码里，把后面的程序再执行一遍（这次是评测程序把它拦了下来）。"
        "每个子进程都要用 os._exit(code) 结束，并放在 try/finally 里，这样即使出了异常也不会"
        f"跳过它{see.text('zh')}。",
    )
