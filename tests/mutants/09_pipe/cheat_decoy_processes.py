"""Cheat: the work is done in the caller - ask calls handler itself, collect iterates
produce() itself - while an idle decoy child with a pipe makes the process table look right
(one child, a pipe, joined at the end).

Must fail: test_one_worker_answers_each_request, test_the_worker_ends_at_eof,
test_the_stream_arrives_whole_and_in_order, test_the_reader_ends_at_eof,
test_each_process_closes_the_end_it_does_not_use
"""


def _idle(conn, other):
    other.close()
    try:
        conn.recv()
    except EOFError:
        pass


def _with_decoy(work):
    here, there = Pipe()
    decoy = Process(target=_idle, args=(there, here))
    decoy.start()
    there.close()
    try:
        return work()
    finally:
        here.close()
        decoy.join()


def ask(handler, requests):
    return _with_decoy(lambda: [handler(r) for r in requests])


def collect(produce):
    return _with_decoy(lambda: list(produce()))
