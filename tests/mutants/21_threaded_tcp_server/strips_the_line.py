"""Strips every line before parsing it (the habit of input().strip()): 'PING\\r' and ' PING'
become PING, and ECHO loses the spaces at both ends of its text.

Must fail: test_commands_get_the_documented_replies
"""

_reply_to_exact = reply_to  # noqa: F821 - the solution's reply_to


def reply_to(line):
    return _reply_to_exact(line.strip())
