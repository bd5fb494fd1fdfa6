"""collect decides that the stream is over when nothing arrives for a tenth of a second
(poll(timeout)), instead of waiting for EOFError: a producer that is only slow loses the
rest of its stream.

Must fail: test_the_stream_arrives_whole_and_in_order
"""


def collect(produce):
    receive_end, send_end = Pipe(duplex=False)
    child = Process(target=_send_all, args=(send_end, receive_end, produce))
    child.start()
    send_end.close()
    items = []
    try:
        while receive_end.poll(0.1):
            try:
                items.append(receive_end.recv())
            except EOFError:
                break
    finally:
        receive_end.close()
        child.join()
    return items
