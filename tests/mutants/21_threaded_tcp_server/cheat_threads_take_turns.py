"""Cheat: a thread per client, started and not joined, but every client's thread holds one
shared lock for its whole session: the threads exist side by side (the count looks right) and
never serve at the same time.

Must fail: test_one_thread_per_client_and_no_fork, test_idle_client_does_not_delay_another, test_twenty_clients_at_once_are_all_served
"""

TURN = threading.Lock()
_handle_client_alone = handle_client  # noqa: F821 - the solution's handle_client


def handle_client(conn, max_line):
    with TURN:
        _handle_client_alone(conn, max_line)
