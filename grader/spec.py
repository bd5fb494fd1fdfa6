"""Everything a spec imports, from one place: ``from grader.spec import ...``.

The ``student`` fixture (:class:`Student`) runs student code in sandboxes; an
:class:`Outcome` is what the judge learnt from a run, with the :class:`Timeline` it observed;
:func:`check` and :func:`fail` give the student a message in English and Chinese; the probes,
network helpers and waits are the judge's own eyes and hands. See docs/authoring.md.
"""

from __future__ import annotations

from grader import channel, probe, stops, syscalls
from grader.lessons import check_every_child_used_os_exit
from grader.messages import Msg, SpecFailure, check, fail, first_difference
from grader.net import (
    accepts,
    connect,
    connection,
    delivered,
    free_port,
    tcp_sockets,
    tcp_visible,
    unix_sockets,
    wait_listening,
)
from grader.outcome import (
    Ending,
    ExitStatus,
    FellThrough,
    Outcome,
    StudentError,
    StudentProblem,
)
from grader.polling import WaitTimeout, holds_within, wait_until
from grader.sandbox import Calls, Options, Running, Student
from grader.timeline import Life, Timeline, fork_between_samples

__all__ = [
    "Calls",
    "Ending",
    "ExitStatus",
    "FellThrough",
    "Life",
    "Msg",
    "Options",
    "Outcome",
    "Running",
    "SpecFailure",
    "Student",
    "StudentError",
    "StudentProblem",
    "Timeline",
    "WaitTimeout",
    "accepts",
    "channel",
    "check",
    "check_every_child_used_os_exit",
    "connect",
    "connection",
    "delivered",
    "fail",
    "first_difference",
    "fork_between_samples",
    "free_port",
    "holds_within",
    "probe",
    "stops",
    "syscalls",
    "tcp_sockets",
    "tcp_visible",
    "unix_sockets",
    "wait_listening",
    "wait_until",
]
