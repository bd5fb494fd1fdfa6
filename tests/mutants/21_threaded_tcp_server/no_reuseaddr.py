"""No SO_REUSEADDR: the server works, but once it is stopped it cannot be started again on
the same port while connections it closed first wait out TIME_WAIT (bind: EADDRINUSE).

Must fail: test_sigterm_stops_it_and_the_port_is_free_again
"""


def serve(port, max_line=MAX_LINE):
    signal.signal(signal.SIGTERM, _stop)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind((HOST, port))
        listener.listen(BACKLOG)
        while True:
            conn, _address = listener.accept()
            threading.Thread(target=handle_client, args=(conn, max_line), daemon=True).start()
