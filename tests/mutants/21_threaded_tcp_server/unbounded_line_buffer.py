"""Buffers until the newline comes and only then checks the length: a line without a newline
gets no reply, and one long line takes as much memory as the client cares to send.

Must fail: test_overlong_line_is_refused, test_line_buffer_stays_bounded
"""


def read_lines(conn, max_line):
    buffer = bytearray()
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
            yield None if len(line) > max_line else line
