"""Cheat: no fork at all; the caller prints all three lines itself with a made-up child pid
(its own pid plus one) and returns it.

Must fail: test_fork_returns_twice, test_output_is_not_doubled, test_greeting_child_is_reaped
"""


def fork_and_greet():
    me = os.getpid()
    fake = me + 1
    print(f"parent {me}: forking")
    print(f"child {fake}: fork returned 0, my parent is {me}")
    print(f"parent {me}: fork returned {fake}")
    return fake
