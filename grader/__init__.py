"""multitasking-katas grader: checks concurrency code for real, in isolated processes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grader.net import free_port, wait_listening
    from grader.polling import wait_until

__all__ = ["free_port", "wait_listening", "wait_until"]

_HOMES = {"free_port": "grader.net", "wait_listening": "grader.net", "wait_until": "grader.polling"}


def __getattr__(name: str) -> Any:
    """The helpers specs import from ``grader``, imported when first asked for: every grader
    process imports this package, and the ``grader`` command starts its zygote before its
    own imports (grader.entry)."""
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'grader' has no attribute {name!r}")
