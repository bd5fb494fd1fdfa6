"""serve sets SIGCHLD to SIG_IGN (right: the kernel reaps every child) and leaves it so:
after serve returns, the caller can never wait for a child of its own.

Must fail: test_serve_runs_each_job_in_its_own_child, test_serve_reaps_while_it_waits_for_work
"""


def serve(next_job):
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    started = 0
    while (job := next_job()) is not None:
        if os.fork() == 0:
            _run_in_child(job)
        started += 1
    return started
