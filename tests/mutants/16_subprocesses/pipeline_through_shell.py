"""pipeline hands "first | second" to a shell (quoted with shlex, so it even works): the
stages are the shell's children, not the caller's.

Must fail: test_the_parent_closes_its_copy_of_the_pipe
"""

import shlex


def pipeline(first, second):
    script = "set -o pipefail 2>/dev/null; " + shlex.join(first) + " | " + shlex.join(second)
    done = subprocess.run(script, shell=True, capture_output=True, text=True)
    return done.stdout, -13, done.returncode
