"""serve reaps in its main loop, as Part 1 of exercise 04 did: it forks the child, then
os.wait() for it before it takes the next job. One job at a time, and no SIGCHLD at all.

Must fail: test_serve_runs_each_job_in_its_own_child, test_serve_reaps_while_it_waits_for_work, test_serve_reaps_a_whole_burst
"""


def serve(next_job):
    started = 0
    while (job := next_job()) is not None:
        if os.fork() == 0:
            _run_in_child(job)
        os.wait()  # the parent stops here until the child ends
        started += 1
    return started
