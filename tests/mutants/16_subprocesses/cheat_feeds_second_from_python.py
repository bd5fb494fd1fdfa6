"""Cheat: pipeline runs only the second program, feeds it the first one's lines from Python,
and reports the SIGPIPE the first would have got (-13) without ever running it.

Must fail: test_the_parent_closes_its_copy_of_the_pipe, test_the_first_stage_ends_by_sigpipe
"""


def pipeline(first, second):
    p2 = subprocess.Popen(second, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    n = 0
    try:
        while p2.poll() is None:
            p2.stdin.write("".join(f"line {i}\n" for i in range(n, n + 100)))
            p2.stdin.flush()
            n += 100
    except BrokenPipeError:
        pass
    try:
        p2.stdin.close()
    except BrokenPipeError:
        pass
    out = p2.stdout.read()
    p2.wait()
    return out, -13, p2.returncode
