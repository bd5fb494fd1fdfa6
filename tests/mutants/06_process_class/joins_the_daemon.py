"""Joins the daemon too: main() never returns.

Must fail: test_the_daemon_ends_with_the_main_program, test_main_waits_for_its_worker
"""


def main(heartbeat, work):
    beat = Process(target=heartbeat, daemon=True)
    beat.start()
    worker = Process(target=work)
    worker.start()
    worker.join()
    beat.join()
