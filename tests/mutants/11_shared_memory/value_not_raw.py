"""gather_bytes returns buffer.value, which stops at the first zero byte like a C string.

Must fail: test_pieces_land_in_one_byte_buffer
"""


def gather_bytes(fetch, sizes):
    buffer = Array("c", sum(sizes))
    workers = [
        Process(target=_fetch_into, args=(fetch, i, start, buffer))
        for i, start in enumerate(_offsets(sizes))
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return buffer.value
