"""Refuses only names containing "../": an absolute path, "..", a name with "/" or a hidden
file still gets through (os.path.join(folder, "/abs/path") is "/abs/path").

Must fail: test_names_that_escape_are_refused
"""


def valid_name(name):
    return bool(name) and "../" not in name and "\n" not in name
