"""count_matches builds a string and cuts it with .split(): no shell, but the pattern and the
file name are cut at every space into several arguments.

Must fail: test_arguments_reach_grep_unchanged, test_no_match_is_zero_and_trouble_raises
"""


def count_matches(pattern, path):
    done = subprocess.run(f"grep -c -F -- {pattern} {path}".split(), capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise subprocess.CalledProcessError(done.returncode, done.args, done.stdout, done.stderr)
    return int(done.stdout.split()[-1]) if done.stdout.split() else 0
