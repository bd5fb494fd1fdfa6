"""Cheat: serve runs each job in a thread of the parent, and forks a decoy child per job that
only waits for its job's thread to end. ``os.getpid`` is patched so that in a job's thread it
returns that job's decoy: the job says hello as the decoy, a real child of the parent, which
ends (and SIG_IGN lets the kernel take it) when the job returns. A judge that believed the pid
a job says hello with saw every job in a child of its own. The kernel names the process that
connected: the parent, for every job.

Must fail: test_serve_runs_each_job_in_its_own_child, test_serve_reaps_while_it_waits_for_work, test_serve_reaps_a_whole_burst
"""


def serve(next_job):
    import threading

    real_getpid = os.getpid
    claimed = {}  # a job thread's ident -> the decoy it claims to be
    held = set()  # the write end of every decoy's pipe still open in the parent
    os.getpid = lambda: claimed.get(threading.get_ident(), real_getpid())
    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    started = 0

    def run(job, decoy, hold):
        claimed[threading.get_ident()] = decoy
        try:
            job()
        finally:
            held.discard(hold)
            os.close(hold)  # the decoy reads the end of file and ends

    try:
        while (job := next_job()) is not None:
            wait_r, hold = os.pipe()
            decoy = os.fork()
            if decoy == 0:
                try:
                    for fd in (hold, *held):
                        os.close(fd)
                    os.read(wait_r, 1)
                finally:
                    os._exit(0)
            os.close(wait_r)
            held.add(hold)
            threading.Thread(target=run, args=(job, decoy, hold), daemon=True).start()
            started += 1
    finally:
        signal.signal(signal.SIGCHLD, previous)
        os.getpid = real_getpid
    return started
