"""pipeline never closes the parent's p1.stdout: when the second stage exits the pipe still
has a reader (us), so the first stage never gets SIGPIPE; it fills the pipe and blocks for
ever, and p1.wait() with it.

Must fail: test_the_parent_closes_its_copy_of_the_pipe, test_the_first_stage_ends_by_sigpipe
"""


def pipeline(first, second):
    p1 = subprocess.Popen(first, stdout=subprocess.PIPE)
    p2 = subprocess.Popen(second, stdin=p1.stdout, stdout=subprocess.PIPE, text=True)
    out, _ = p2.communicate()
    p1.wait()
    return out, p1.returncode, p2.returncode
