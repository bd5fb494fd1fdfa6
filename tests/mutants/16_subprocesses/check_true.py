"""count_matches uses check=True: grep's exit 1 ("no line matched") becomes an error.

Must fail: test_no_match_is_zero_and_trouble_raises
"""


def count_matches(pattern, path):
    done = subprocess.run(
        ["grep", "-c", "-F", "--", pattern, path], capture_output=True, text=True, check=True
    )
    return int(done.stdout)
