"""Buffers lines, but decodes every recv() chunk on its own: a UTF-8 character that is split
between two recv()s turns into replacement characters instead of itself.

Must fail: test_a_line_split_across_sends_is_one_command
"""


def read_lines(conn, max_line):
    buffer = ""
    while True:
        chunk = conn.recv(RECV_SIZE)
        if not chunk:
            return
        buffer += chunk.decode("utf-8", errors="replace")
        while "\n" in buffer:
            text, buffer = buffer.split("\n", 1)
            line = text.encode("utf-8")
            yield None if len(line) > max_line else line
        if len(buffer.encode("utf-8")) > max_line:
            buffer = ""
            yield None
