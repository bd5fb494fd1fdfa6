"""Takes what one recv() returns for exactly one line: half a line is answered as if it were
a command, and two lines that arrive together are answered as one (粘包 ignored).

Must fail: test_a_line_split_across_sends_is_one_command, test_two_lines_in_one_send_get_two_replies
"""


def read_lines(conn, max_line):
    while True:
        data = conn.recv(RECV_SIZE)
        if not data:
            return
        line = data.rstrip(b"\n")
        yield None if len(line) > max_line else line
