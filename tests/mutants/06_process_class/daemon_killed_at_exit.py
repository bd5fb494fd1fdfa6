"""A daemon, but main() stops it itself: an atexit hook (run before multiprocessing's own)
kills it with SIGKILL, instead of letting multiprocessing terminate it as the program ends.

Must fail: test_the_daemon_ends_with_the_main_program
"""

import atexit


def main(heartbeat, work):
    beat = Process(target=heartbeat, daemon=True)
    beat.start()
    atexit.register(beat.kill)  # "make sure it is gone"
    worker = Process(target=work)
    worker.start()
    worker.join()
