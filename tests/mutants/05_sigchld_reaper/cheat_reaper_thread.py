"""Cheat: no SIGCHLD handler at all; a daemon thread reaps with blocking waits (and naps when
there is no child), storing the statuses. It reaps, but it is not what the exercise asks,
and the judge reads the SIGCHLD disposition from /proc.

Must fail: test_handler_reaps_each_child_while_the_parent_works, test_handler_reaps_a_whole_burst, test_exit_statuses_are_the_ones_the_judge_chose
"""


def install_reaper(statuses):
    import threading
    import time

    stop = threading.Event()

    def reap():
        while not stop.is_set():
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                time.sleep(0.001)
                continue
            statuses[pid] = os.waitstatus_to_exitcode(status)

    threading.Thread(target=reap, daemon=True).start()
    return stop.set
