"""A normal heartbeat process that main() terminates itself before returning.

Must fail: test_the_daemon_ends_with_the_main_program
"""


def main(heartbeat, work):
    beat = Process(target=heartbeat)
    beat.start()
    worker = Process(target=work)
    worker.start()
    worker.join()
    beat.terminate()
    beat.join()
