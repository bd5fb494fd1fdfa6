"""collect joins the child before it reads: a child with items bigger than the pipe's
buffer waits in send() until somebody reads, and the parent waits in join() for it.

Must fail: test_the_stream_arrives_whole_and_in_order
"""


def collect(produce):
    receive_end, send_end = Pipe(duplex=False)
    child = Process(target=_send_all, args=(send_end, receive_end, produce))
    child.start()
    send_end.close()
    child.join()
    items = []
    while True:
        try:
            items.append(receive_end.recv())
        except EOFError:
            break
    receive_end.close()
    return items
