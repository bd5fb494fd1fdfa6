"""Cheat: a SIGCHLD handler that does nothing (so /proc shows SigCgt for SIGCHLD) beside a
slow interval timer (setitimer ITIMER_REAL, every 0.3 s: longer than the judge's quiet
window) whose SIGALRM handler reaps with os.waitpid(-1, WNOHANG) in a loop and stores the
statuses, in install_reaper and in serve.
One thread, reaping in a handler, but not in response to SIGCHLD: the parent wakes every
tick, and the tick that reaps a child is a wake-up of its own after the one the child's
SIGCHLD caused (the do-nothing handler): two wake-ups for one child, where a handler that
reaps wakes once. A test with one such child could pass when the reaping tick falls in the
instant the SIGCHLD woke the parent; these tests end two or more.

Must fail: test_handler_reaps_each_child_while_the_parent_works, test_exit_statuses_are_the_ones_the_judge_chose, test_restore_puts_the_old_disposition_back, test_serve_runs_each_job_in_its_own_child, test_serve_reaps_while_it_waits_for_work
"""

_TICK_S = 0.3


def _idle(signum, frame):
    pass  # reaps nothing


def _start_poller(statuses):
    def tick(signum, frame):
        _reap_every_ended_child(statuses)

    old_alarm = signal.signal(signal.SIGALRM, tick)
    signal.setitimer(signal.ITIMER_REAL, _TICK_S, _TICK_S)

    def stop():
        signal.setitimer(signal.ITIMER_REAL, 0, 0)
        signal.signal(signal.SIGALRM, old_alarm)

    return stop


def install_reaper(statuses):
    previous = signal.signal(signal.SIGCHLD, _idle)
    stop = _start_poller(statuses)

    def restore():
        stop()
        signal.signal(signal.SIGCHLD, previous)

    return restore


def serve(next_job):
    previous = signal.signal(signal.SIGCHLD, _idle)
    stop = _start_poller({})
    started = 0
    try:
        while (job := next_job()) is not None:
            if os.fork() == 0:
                _run_in_child(job)
            started += 1
    finally:
        stop()
        signal.signal(signal.SIGCHLD, previous)
    return started
