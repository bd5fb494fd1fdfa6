"""No daemon: the heartbeat is a normal process that an atexit hook of main() kills (the hook
runs before multiprocessing's own, which would wait for it), so the program still ends.

Must fail: test_the_daemon_ends_with_the_main_program
"""

import atexit


def main(heartbeat, work):
    beat = Process(target=heartbeat)  # not a daemon
    beat.start()
    atexit.register(beat.kill)  # stop it myself, at exit
    worker = Process(target=work)
    worker.start()
    worker.join()
