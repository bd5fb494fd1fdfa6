"""Binds ('', port), every address of the machine, instead of 127.0.0.1 only.

Must fail: test_listens_on_127_0_0_1_only
"""


def serve(port, max_line=MAX_LINE):
    signal.signal(signal.SIGTERM, _stop)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("", port))
        listener.listen(BACKLOG)
        while True:
            conn, _address = listener.accept()
            threading.Thread(target=handle_client, args=(conn, max_line), daemon=True).start()
