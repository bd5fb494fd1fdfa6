"""Starts a thread for each client and joins it at once: the main thread waits for that
client to leave before it accepts again. Threads, but no concurrency.

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
            worker = threading.Thread(target=handle_client, args=(conn, max_line), daemon=True)
            worker.start()
            worker.join()  # "to be safe": back to accept() only when this client is done
