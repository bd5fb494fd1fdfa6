"""Returns without joining the worker (the program's exit joins it later).

Must fail: test_main_waits_for_its_worker
"""


def main(heartbeat, work):
    beat = Process(target=heartbeat, daemon=True)
    beat.start()
    worker = Process(target=work)
    worker.start()
