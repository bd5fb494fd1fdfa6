"""count_matches builds a command line with an f-string and runs it with shell=True: the
shell splits the words, expands $HOME and *, and runs $(touch ...) from the pattern.

Must fail: test_arguments_reach_grep_unchanged, test_no_match_is_zero_and_trouble_raises
"""


def count_matches(pattern, path):
    done = subprocess.run(
        f"grep -c -F -- {pattern} {path}", shell=True, capture_output=True, text=True
    )
    if done.returncode not in (0, 1):
        raise subprocess.CalledProcessError(done.returncode, done.args, done.stdout, done.stderr)
    return int(done.stdout.split()[-1]) if done.stdout.split() else 0
