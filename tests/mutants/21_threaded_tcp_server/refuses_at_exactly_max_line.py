"""Off by one: refuses the line as soon as the buffer holds max_line bytes without a '\\n',
though a line of exactly max_line bytes is allowed; its '\\n' may simply come later.

Must fail: test_overlong_line_is_refused
"""


def read_lines(conn, max_line):
    buffer = bytearray()
    discarding = False
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
            if discarding:
                discarding = False
            elif len(line) > max_line:
                yield None
            else:
                yield line
        if len(buffer) >= max_line:
            if not discarding:
                yield None
                discarding = True
            buffer.clear()
