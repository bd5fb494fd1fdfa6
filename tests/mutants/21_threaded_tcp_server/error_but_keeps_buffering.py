"""Replies 'ERR line too long' in time, but keeps every byte of the refused line in the
buffer until its newline comes: the reply is right, the memory is not bounded.

Must fail: test_line_buffer_stays_bounded
"""


def read_lines(conn, max_line):
    buffer = bytearray()
    refused = False
    while True:
        chunk = conn.recv(RECV_SIZE)
        if not chunk:
            return
        buffer += chunk
        while True:
            end = buffer.find(b"\n")
            if end < 0:
                break
            line = bytes(buffer[:end])
            del buffer[: end + 1]
            if refused:
                refused = False
            elif len(line) > max_line:
                yield None
            else:
                yield line
        if len(buffer) > max_line and not refused:
            refused = True
            yield None
