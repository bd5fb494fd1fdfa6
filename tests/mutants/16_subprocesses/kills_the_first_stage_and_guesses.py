"""pipeline keeps the parent's p1.stdout open (the bug of Part 3), so the first stage never
gets SIGPIPE: once the second stage has exited, it kills the first with SIGKILL, waits for it
and reports -13 anyway, as if SIGPIPE had ended it.

Must fail: test_the_parent_closes_its_copy_of_the_pipe, test_the_first_stage_ends_by_sigpipe
"""


def pipeline(first, second):
    p1 = subprocess.Popen(first, stdout=subprocess.PIPE)
    p2 = subprocess.Popen(second, stdin=p1.stdout, stdout=subprocess.PIPE, text=True)
    out, _ = p2.communicate()
    p1.kill()
    p1.wait()
    p1.stdout.close()
    return out, -13, p2.returncode
