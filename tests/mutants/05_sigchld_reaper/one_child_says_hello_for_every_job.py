"""One child runs every job, each in a thread of its own: the first job's hello is the child's,
and every later job connects to the judge from that same process again. Jobs in threads share
one process, so "each job in its own child" is not true, and a child told to end cannot end
while its other jobs run. The kernel names the same process at every connection.

Must fail: test_serve_runs_each_job_in_its_own_child, test_serve_reaps_while_it_waits_for_work, test_serve_reaps_a_whole_burst
"""


def serve(next_job):
    import threading

    started = 0
    runner = None
    jobs_r, jobs_w = os.pipe()
    while (job := next_job()) is not None:
        if runner is None:
            runner = os.fork()
            if runner == 0:  # the one child: a thread per job
                code = 1
                try:
                    os.close(jobs_w)
                    threads = []
                    while os.read(jobs_r, 1):
                        threads.append(threading.Thread(target=job))
                        threads[-1].start()
                    for thread in threads:
                        thread.join()
                    code = 0
                finally:
                    os._exit(code)
            os.close(jobs_r)
        os.write(jobs_w, b"j")
        started += 1
    if runner is None:
        os.close(jobs_r)
    os.close(jobs_w)
    if runner is not None:
        os.waitpid(runner, 0)
    return started
