"""Cheat: one child runs every job, each in a thread of its own, and each job's hello names
its thread's id instead of a process (``os.getpid`` patched in that child to return
``threading.get_native_id()``). To /proc a thread id looks like a pid: ``/proc/<tid>`` is
there, its ppid is the parent, and it is gone the moment the thread ends - no wait, no zombie,
no handler at all. A judge that believed the pid a job says hello with saw one child per job,
each "reaped" as soon as it was told to end. The kernel names the process that connected: the
same child for every job, connecting once per job, never the pid it claims.

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
            if runner == 0:  # the one child: a thread per job, each one "a child"
                code = 1
                try:
                    os.close(jobs_w)
                    os.getpid = threading.get_native_id  # the main thread's id is the pid
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
        os.waitpid(runner, 0)  # every job has ended by now: so has the runner
    return started
