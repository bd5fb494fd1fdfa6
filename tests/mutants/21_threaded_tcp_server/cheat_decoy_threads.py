"""Cheat: an iterative server that starts ten idle decoy threads first, so that a count of
the process's threads looks like a thread per client while clients are served one at a time.

Must fail: test_one_thread_per_client_and_no_fork, test_idle_client_does_not_delay_another
"""


def serve(port, max_line=MAX_LINE):
    signal.signal(signal.SIGTERM, _stop)
    parked = threading.Event()
    for _ in range(10):
        threading.Thread(target=parked.wait, daemon=True).start()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, port))
        listener.listen(BACKLOG)
        while True:
            conn, _address = listener.accept()
            handle_client(conn, max_line)
