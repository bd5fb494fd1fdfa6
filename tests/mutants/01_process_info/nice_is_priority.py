"""The nice value is read from field 18, the priority (20 + nice), instead of field 19.

Must fail: test_parent_and_nice_value
"""

NICE = 18 - 3
