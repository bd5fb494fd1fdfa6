"""The client takes one recv() for one message: the status line is whatever recv(1024)
returns, the file is one recv(size). Bytes glued after the status line are lost, and a large
file arrives in many pieces.

Must fail: test_client_get_is_byte_exact
"""


def client_get(port, name, dest_folder):
    with _connect(port) as sock:
        sock.sendall(f"GET {name}\n".encode())
        header = sock.recv(1024).decode("utf-8", "replace").split("\n")[0]
        status, _, rest = header.partition(" ")
        if status == "ERR":
            raise TFTPError(rest)
        size = int(rest)
        data = sock.recv(size) if size else b""
        with open(os.path.join(dest_folder, name), "wb") as f:
            f.write(data)
        sock.sendall(b"QUIT\n")
        sock.recv(1024)
    return size
