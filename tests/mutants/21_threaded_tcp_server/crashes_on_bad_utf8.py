"""Decodes without handling UnicodeDecodeError: a line that is not UTF-8 kills the client's
thread, and the client sees its connection closed instead of an error reply.

Must fail: test_non_utf8_line_gets_an_error_reply
"""


def reply_to(line):
    text = line.decode("utf-8")
    command, space, argument = text.partition(" ")
    if command == "PING":
        return "ERR bad arguments" if space else "PONG"
    if command == "ECHO":
        return argument
    if command == "ADD":
        numbers = argument.split(" ")
        if space and len(numbers) == 2 and all(INTEGER.fullmatch(n) for n in numbers):
            return str(int(numbers[0]) + int(numbers[1]))
        return "ERR bad arguments"
    if command == "QUIT":
        return "ERR bad arguments" if space else "BYE"
    return "ERR unknown command"
