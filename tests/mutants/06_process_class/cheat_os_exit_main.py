"""Cheat: a normal heartbeat, and main() leaves the program with os._exit(0) so that it
ends at once: the heartbeat lives on as an orphan.

Must fail: test_the_daemon_ends_with_the_main_program
"""


def main(heartbeat, work):
    import os

    beat = Process(target=heartbeat)
    beat.start()
    worker = Process(target=work)
    worker.start()
    worker.join()
    os._exit(0)
