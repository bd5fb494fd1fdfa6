"""The client downloads straight into the destination file and, when the connection breaks
off, raises but leaves the partial file behind.

Must fail: test_client_reports_errors_and_broken_downloads
"""


def client_get(port, name, dest_folder):
    with _connect(port) as sock:
        chan = Channel(sock)
        chan.send_line(f"GET {name}")
        size = _expect_ok(chan)
        with open(os.path.join(dest_folder, name), "wb") as f:
            for piece in chan.read_chunks(size):
                f.write(piece)
        _quit(chan)
    return size
