"""The grader's own words in English and Chinese, and the choice between them."""

from __future__ import annotations

import os

WORDS: dict[str, dict[str, str]] = {
    "passed": {"en": "passed", "zh": "通过"},
    "failed": {"en": "failed", "zh": "未通过"},
    "todo": {"en": "todo", "zh": "未开始"},
    "timeout": {"en": "timeout", "zh": "超时"},
    "crashed": {"en": "crashed", "zh": "崩溃"},
    "error": {"en": "error", "zh": "错误"},
    "failing": {"en": "failing", "zh": "未通过"},
    "not checked": {"en": "not checked", "zh": "未检查"},
    "first_failure": {"en": "First problem", "zh": "第一个问题"},
    "hint": {"en": "Hint", "zh": "提示"},
    "last_hint": {"en": "(that is the last hint)", "zh": "（这是最后一条提示）"},
    "next_step": {
        "en": "Stuck? `grader hint {name}` shows a hint.",
        "zh": "卡住了？运行 `grader hint {name}` 查看提示。",
    },
    "all_passed": {"en": "All tests passed. Well done!", "zh": "全部测试通过，做得好！"},
    "exercise": {"en": "exercise", "zh": "练习"},
    "state": {"en": "state", "zh": "状态"},
    "title": {"en": "title", "zh": "标题"},
}


def detect_lang(explicit: str | None = None) -> str:
    """'zh' or 'en': the --lang option, else the locale (LANGUAGE, LC_ALL, LC_MESSAGES, LANG)."""
    if explicit:
        return explicit
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def word(key: str, lang: str) -> str:
    entry = WORDS.get(key)
    return entry.get(lang, entry["en"]) if entry else key
