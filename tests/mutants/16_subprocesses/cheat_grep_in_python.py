"""Cheat: count_matches counts the lines in Python, without grep.

Must fail: test_arguments_reach_grep_unchanged, test_no_match_is_zero_and_trouble_raises
"""


def count_matches(pattern, path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return sum(1 for line in f if pattern in line)
    except OSError as exc:
        raise subprocess.CalledProcessError(2, ["grep", path]) from exc
