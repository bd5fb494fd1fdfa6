"""An iterative server (循环服务器): it serves each client to the end before accepting the
next one, so a client that sends nothing holds up everybody behind it.

Must fail: test_idle_client_does_not_delay_another, test_twenty_clients_at_once_are_all_served,
test_one_thread_per_client_and_no_fork
"""


def serve(port, max_line=MAX_LINE):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, port))
        listener.listen(BACKLOG)
        while True:
            conn, _address = listener.accept()
            handle_client(conn, max_line)  # the main thread talks to the client itself
