"""Cheat: serve runs each job in a thread of the parent: nothing to reap, no child at all.

Must fail: test_serve_runs_each_job_in_its_own_child, test_serve_reaps_a_whole_burst
"""


def serve(next_job):
    import threading

    started = 0
    while (job := next_job()) is not None:
        threading.Thread(target=job, daemon=True).start()
        started += 1
    return started
