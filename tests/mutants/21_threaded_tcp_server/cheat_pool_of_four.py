"""Cheat: a pool of four worker threads serves the clients (a "thread per client" as long as
there are at most four): the fifth client waits until one of the first four leaves.

Must fail: test_one_thread_per_client_and_no_fork, test_twenty_clients_at_once_are_all_served
"""

from concurrent.futures import ThreadPoolExecutor


def serve(port, max_line=MAX_LINE):
    pool = ThreadPoolExecutor(max_workers=4)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, port))
        listener.listen(BACKLOG)
        while True:
            conn, _address = listener.accept()
            pool.submit(handle_client, conn, max_line)
