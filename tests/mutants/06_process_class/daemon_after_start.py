"""Sets daemon after start(): AssertionError, and the heartbeat is a normal child that
the program waits for at exit.

Must fail: test_the_daemon_ends_with_the_main_program, test_main_waits_for_its_worker
"""


def main(heartbeat, work):
    beat = Process(target=heartbeat)
    beat.start()
    beat.daemon = True
    worker = Process(target=work)
    worker.start()
    worker.join()
