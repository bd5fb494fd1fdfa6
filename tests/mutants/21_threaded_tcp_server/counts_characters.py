"""Measures a complete line in characters instead of bytes: a line of 64 bytes made of 3-byte
characters is only 26 characters, so it passes a max_line of 63.

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
            elif len(line.decode("utf-8", errors="replace")) > max_line:
                yield None
            else:
                yield line
        if len(buffer) > 4 * max_line:  # "a character is at most 4 bytes"
            if not discarding:
                yield None
                discarding = True
            buffer.clear()
