"""collect never closes its copy of the send end. The child sends everything and closes its
copy, but the parent's own copy keeps the send end open, so the parent's recv() waits for
ever after the last item instead of raising EOFError.

Must fail: test_the_stream_arrives_whole_and_in_order, test_the_reader_ends_at_eof,
test_each_process_closes_the_end_it_does_not_use
"""


def collect(produce):
    receive_end, send_end = Pipe(duplex=False)
    child = Process(target=_send_all, args=(send_end, receive_end, produce))
    child.start()
    items = []
    try:
        while True:
            try:
                items.append(receive_end.recv())
            except EOFError:
                break
    finally:
        receive_end.close()
        child.join()
    return items
