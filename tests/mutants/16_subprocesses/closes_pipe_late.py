"""pipeline closes p1.stdout only after the second stage has ended: while the second stage
reads, the parent still holds a read end of the pipe (had the second stage exited early,
the first would have blocked instead of getting SIGPIPE).

Must fail: test_the_parent_closes_its_copy_of_the_pipe
"""


def pipeline(first, second):
    p1 = subprocess.Popen(first, stdout=subprocess.PIPE)
    p2 = subprocess.Popen(second, stdin=p1.stdout, stdout=subprocess.PIPE, text=True)
    out, _ = p2.communicate()
    p1.stdout.close()
    p1.wait()
    return out, p1.returncode, p2.returncode
