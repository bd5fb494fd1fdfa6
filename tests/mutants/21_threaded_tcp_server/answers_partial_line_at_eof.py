"""At EOF, answers what is left in the buffer as if it were a line, though a partial line at
EOF is dropped without a reply.

Must fail: test_a_partial_line_at_eof_is_dropped
"""


def read_lines(conn, max_line):
    buffer = bytearray()
    discarding = False
    while True:
        chunk = conn.recv(RECV_SIZE)
        if not chunk:
            if buffer and not discarding:
                yield bytes(buffer)
            return
        buffer += chunk
        while True:
            end = buffer.find(b"\n")
            if end < 0:
                break
            line = bytes(buffer[:end])
            del buffer[: end + 1]
            if discarding:
                discarding = False
            elif len(line) > max_line:
                yield None
            else:
                yield line
        if len(buffer) > max_line:
            if not discarding:
                yield None
                discarding = True
            buffer.clear()
