"""Cheat: a normal heartbeat that main() terminates itself, and the worker, not the main
program, tells the judge "main() returned" (the judge's socket is named in the program's
argv) while the heartbeat still runs; main() then leaves with os._exit(0), so that the
program's own "returned" never comes.

Must fail: test_the_daemon_ends_with_the_main_program
"""


def main(heartbeat, work):
    import os
    import socket
    import sys

    def work_then_pretend():
        work()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(5)
            conn.connect("\0" + sys.argv[3])
            conn.sendall(b"returned\n")
            conn.recv(64)  # the judge answers "returned" at once

    beat = Process(target=heartbeat)
    beat.start()
    worker = Process(target=work_then_pretend)
    worker.start()
    worker.join()
    beat.terminate()
    beat.join()
    os._exit(0)
