"""Forgets daemon=True: the program waits at exit for a heartbeat that never ends.

Must fail: test_the_daemon_ends_with_the_main_program
"""


def main(heartbeat, work):
    beat = Process(target=heartbeat)
    beat.start()
    worker = Process(target=work)
    worker.start()
    worker.join()
