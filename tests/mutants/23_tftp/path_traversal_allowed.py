"""Any non-empty name is accepted and joined to the folder: `../x`, `/etc/passwd` and hidden
files are all served (and written).

Must fail: test_names_that_escape_are_refused
"""


def valid_name(name):
    return bool(name) and "\n" not in name
