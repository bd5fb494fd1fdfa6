"""Checks ADD's arguments with int() alone: '+1', '1_000', ' 1' and digits of other scripts
('١٢') pass as integers, though the README's integer is an optional '-' and ASCII digits.

Must fail: test_commands_get_the_documented_replies
"""


def reply_to(line):
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return "ERR not utf-8"
    command, space, argument = text.partition(" ")
    if command == "PING":
        return "ERR bad arguments" if space else "PONG"
    if command == "ECHO":
        return argument
    if command == "ADD":
        numbers = argument.split(" ")
        if len(numbers) != 2:
            return "ERR bad arguments"
        try:
            return str(int(numbers[0]) + int(numbers[1]))
        except ValueError:
            return "ERR bad arguments"
    if command == "QUIT":
        return "ERR bad arguments" if space else "BYE"
    return "ERR unknown command"
