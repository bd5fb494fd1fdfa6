"""Piece i is written at i * sizes[i], as if every piece had the same size.

Must fail: test_pieces_land_in_one_byte_buffer
"""


def gather_bytes(fetch, sizes):
    buffer = Array("c", sum(sizes))
    workers = [
        Process(target=_fetch_into, args=(fetch, i, i * size, buffer))
        for i, size in enumerate(sizes)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return buffer.raw
