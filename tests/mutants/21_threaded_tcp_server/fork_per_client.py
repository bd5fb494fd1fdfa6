"""The fork server of exercise 20: a child process per client instead of a thread.

Must fail: test_one_thread_per_client_and_no_fork
"""

import os


def serve(port, max_line=MAX_LINE):
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, port))
        listener.listen(BACKLOG)
        while True:
            conn, _address = listener.accept()
            if os.fork() == 0:
                listener.close()
                handle_client(conn, max_line)
                os._exit(0)
            conn.close()
