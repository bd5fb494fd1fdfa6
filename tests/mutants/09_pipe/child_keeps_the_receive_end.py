"""The child never closes its copy of the receive end. Nothing hangs here, but should the
reader die, the child's send() would never fail: it holds a reader itself.

Must fail: test_each_process_closes_the_end_it_does_not_use
"""


def _send_all(send_end, receive_end, produce):
    try:
        for item in produce():
            send_end.send(item)
    finally:
        send_end.close()
