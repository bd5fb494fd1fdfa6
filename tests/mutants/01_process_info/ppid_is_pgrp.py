"""The ppid is read one field too far: field 5 (the process group) instead of field 4.

Must fail: test_parent_and_nice_value, test_children_of_a_process, test_the_tree_of_a_process
"""

PPID = 5 - 3
