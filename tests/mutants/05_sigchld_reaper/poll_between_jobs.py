"""serve polls with waitpid(-1, WNOHANG) between two jobs instead of reaping on SIGCHLD:
while the parent waits inside next_job(), a child that ends stays a zombie.

Must fail: test_serve_reaps_while_it_waits_for_work, test_serve_reaps_a_whole_burst
"""


def serve(next_job):
    started = 0
    while (job := next_job()) is not None:
        if os.fork() == 0:
            _run_in_child(job)
        started += 1
        while True:  # collect whoever has ended by now, then take the next job
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
    return started
