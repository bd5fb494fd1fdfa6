"""Keeps every accepted connection in a list "to broadcast later" and closes none of them: a
client's thread ends, but its socket stays open as long as the server runs.

Must fail: test_clients_leave_no_thread_socket_or_descriptor_behind
"""

CONNECTIONS = []


def serve(port, max_line=MAX_LINE):
    signal.signal(signal.SIGTERM, _stop)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, port))
        listener.listen(BACKLOG)
        while True:
            conn, _address = listener.accept()
            CONNECTIONS.append(conn)
            threading.Thread(target=_serve_client, args=(conn, max_line), daemon=True).start()


def _serve_client(conn, max_line):
    try:
        for line in read_lines(conn, max_line):
            if line is None:
                conn.sendall(b"ERR line too long\n")
                continue
            conn.sendall(reply_to(line).encode("utf-8") + b"\n")
            if line == b"QUIT":
                conn.shutdown(socket.SHUT_RDWR)  # the client sees EOF; the socket stays open
                return
    except OSError:
        return
