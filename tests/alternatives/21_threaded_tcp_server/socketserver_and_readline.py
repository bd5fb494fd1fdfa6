"""Correct, written another way than the reference: ``socketserver.ThreadingTCPServer`` (a
thread per connection, made daemon threads) with a ``StreamRequestHandler`` that reads lines
with ``rfile.readline(limit)`` (the buffered reader bounds what one call takes), parses ADD's
integers by hand, and leaves SIGTERM at its default action.
"""

from __future__ import annotations

import socketserver

HOST = "127.0.0.1"
MAX_LINE = 1024


def _is_integer(text: str) -> bool:
    digits = text[1:] if text.startswith("-") else text
    return bool(digits) and all("0" <= c <= "9" for c in digits)


def answer(line: bytes) -> str:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return "ERR not utf-8"
    if " " in text:
        command, argument = text.split(" ", 1)
        has_argument = True
    else:
        command, argument, has_argument = text, "", False
    if command in ("PING", "QUIT"):
        if has_argument:
            return "ERR bad arguments"
        return "PONG" if command == "PING" else "BYE"
    if command == "ECHO":
        return argument
    if command == "ADD":
        parts = argument.split(" ")
        if has_argument and len(parts) == 2 and all(_is_integer(p) for p in parts):
            return str(int(parts[0]) + int(parts[1]))
        return "ERR bad arguments"
    return "ERR unknown command"


class LineHandler(socketserver.StreamRequestHandler):
    max_line = MAX_LINE

    def handle(self) -> None:
        limit = self.max_line
        try:
            while True:
                line = self.rfile.readline(limit + 1)
                if not line:
                    return  # EOF
                if not line.endswith(b"\n"):
                    if len(line) <= limit:
                        return  # a partial line at EOF: dropped
                    self.wfile.write(b"ERR line too long\n")
                    while True:  # drop the rest of the refused line, up to its "\n"
                        rest = self.rfile.readline(65536)
                        if not rest:
                            return
                        if rest.endswith(b"\n"):
                            break
                    continue
                body = line[:-1]
                if len(body) > limit:
                    self.wfile.write(b"ERR line too long\n")
                    continue
                self.wfile.write(answer(body).encode("utf-8") + b"\n")
                if body == b"QUIT":
                    return
        except OSError:
            return


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 64


def serve(port: int, max_line: int = MAX_LINE) -> None:
    handler = type("Handler", (LineHandler,), {"max_line": max_line})
    with Server((HOST, port), handler) as server:
        server.serve_forever()
