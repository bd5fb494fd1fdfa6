"""Cheat: a SIGCHLD handler that does nothing (so /proc shows SigCgt for SIGCHLD) while a
daemon thread reaps with blocking os.waitpid(-1, 0) and stores the statuses, in
install_reaper and in serve. Every child is reaped, but none by the handler: the judge sees
the parent's second thread, blocked in wait4, while children run.

Must fail: test_handler_reaps_each_child_while_the_parent_works, test_handler_reaps_a_whole_burst, test_exit_statuses_are_the_ones_the_judge_chose, test_restore_puts_the_old_disposition_back, test_serve_runs_each_job_in_its_own_child, test_serve_reaps_while_it_waits_for_work, test_serve_reaps_a_whole_burst
"""

import threading
import time


def _idle(signum, frame):
    pass  # reaps nothing


def _reaper_thread(statuses, stop):
    def reap():
        while not stop.is_set():
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                time.sleep(0.0005)
                continue
            statuses[pid] = os.waitstatus_to_exitcode(status)

    threading.Thread(target=reap, daemon=True).start()


def install_reaper(statuses):
    previous = signal.signal(signal.SIGCHLD, _idle)
    stop = threading.Event()
    _reaper_thread(statuses, stop)

    def restore():
        stop.set()
        signal.signal(signal.SIGCHLD, previous)

    return restore


def serve(next_job):
    previous = signal.signal(signal.SIGCHLD, _idle)
    stop = threading.Event()
    _reaper_thread({}, stop)
    started = 0
    try:
        while (job := next_job()) is not None:
            if os.fork() == 0:
                _run_in_child(job)
            started += 1
    finally:
        stop.set()
        signal.signal(signal.SIGCHLD, previous)
    return started
