"""Turns SIGTERM into SystemExit but starts non-daemon client threads: at exit Python waits
for every non-daemon thread, and an idle client's thread waits in recv() forever.

Must fail: test_sigterm_is_not_held_up_by_client_threads
"""


def serve(port, max_line=MAX_LINE):
    signal.signal(signal.SIGTERM, _stop)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, port))
        listener.listen(BACKLOG)
        while True:
            conn, _address = listener.accept()
            threading.Thread(target=handle_client, args=(conn, max_line)).start()
