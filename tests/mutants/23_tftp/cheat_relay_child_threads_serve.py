"""A cheat (red team, 2026-12-06): a child is forked for every client, but it only relays bytes
between the client's connection and a socket pair, buffering without limit; the parent serves
every client itself, in one thread each, through the other end of the pair. The judge finds
each connection held by a child of its own and not by the server, and every client is answered,
yet no child does any of the work: the files are opened, read and sent by the parent.

Must fail: test_each_client_has_its_own_process
"""

import contextlib
import selectors
import threading


class TFTPServer(TFTPServer):
    def serve_forever(self):
        signal.signal(signal.SIGCHLD, _reap_children)
        live = set()
        while True:
            conn, _ = self.listener.accept()
            mine, theirs = socket.socketpair()
            pid = os.fork()
            if pid == 0:  # the relay: holds the connection, knows nothing of the protocol
                code = 0
                try:
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    self.listener.close()
                    mine.close()
                    for other in list(live):
                        other.close()
                    _relay(conn, theirs)
                except BaseException:
                    code = 1
                finally:
                    os._exit(code)
            conn.close()
            theirs.close()
            live.add(mine)
            threading.Thread(target=self._serve_relay, args=(mine, live), daemon=True).start()

    def _serve_relay(self, sock, live):
        try:
            self.handle(sock)
        finally:
            live.discard(sock)
            sock.close()


def _relay(conn, pair):
    """Copy bytes both ways between the client and the parent, buffering without limit."""
    conn.setblocking(False)
    pair.setblocking(False)
    to_client, to_parent = bytearray(), bytearray()
    client_open = parent_open = True
    shut = False
    sel = selectors.DefaultSelector()
    sel.register(conn, selectors.EVENT_READ)
    sel.register(pair, selectors.EVENT_READ)
    while True:
        if not client_open and not to_parent and not shut:
            with contextlib.suppress(OSError):
                pair.shutdown(socket.SHUT_WR)
            shut = True
        if not parent_open and not to_client:
            break
        wants = {
            conn: (selectors.EVENT_READ if client_open else 0)
            | (selectors.EVENT_WRITE if to_client else 0),
            pair: (selectors.EVENT_READ if parent_open else 0)
            | (selectors.EVENT_WRITE if to_parent else 0),
        }
        if not any(wants.values()):
            break
        for sock, events in wants.items():
            if events:
                try:
                    sel.modify(sock, events)
                except KeyError:
                    sel.register(sock, events)
            else:
                with contextlib.suppress(KeyError):
                    sel.unregister(sock)
        for key, mask in sel.select():
            sock = key.fileobj
            if sock is conn:
                if mask & selectors.EVENT_READ:
                    try:
                        data = conn.recv(262144)
                    except BlockingIOError:
                        data = None
                    except OSError:
                        data = b""
                        to_client.clear()
                        parent_open = False
                    if data == b"":
                        client_open = False
                    elif data:
                        to_parent += data
                if mask & selectors.EVENT_WRITE and to_client:
                    try:
                        del to_client[: conn.send(to_client)]
                    except BlockingIOError:
                        pass
                    except OSError:
                        return
            else:
                if mask & selectors.EVENT_READ:
                    try:
                        data = pair.recv(262144)
                    except BlockingIOError:
                        data = None
                    except OSError:
                        data = b""
                    if data == b"":
                        parent_open = False
                    elif data:
                        to_client += data
                if mask & selectors.EVENT_WRITE and to_parent:
                    try:
                        del to_parent[: pair.send(to_parent)]
                    except BlockingIOError:
                        pass
                    except OSError:
                        to_parent.clear()
                        parent_open = False
    conn.close()
    pair.close()
