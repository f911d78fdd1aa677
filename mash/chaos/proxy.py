"""A TCP forwarder on loopback that can be cut and restored: a database outage on demand.

Stopping the real PostgreSQL server would take every other user of it down too (the machine's
database is shared), and needs privileges a test may not have. Putting this proxy between one
client and the server, then closing it, looks to that client exactly like the server vanishing:
open connections are reset and new ones refused, until :meth:`Proxy.up` is called again. Used by
chaos scenario ``db-outage`` and by the decision-log sink tests.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class Proxy:
    """Forwards ``127.0.0.1:port`` to ``(host, target_port)`` while up; refuses and resets
    every connection while down. The port is chosen once and kept across outages, so a client
    configured with it reconnects by itself when the proxy comes back."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port: int = probe.getsockname()[1]
        probe.close()
        self.server: socket.socket | None = None
        self.sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def up(self) -> None:
        """Listen again on the same port (a fresh listener: the old one was closed)."""
        self.server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(
            target=self._accept, args=(self.server,), daemon=True, name="chaos-proxy"
        ).start()

    def down(self) -> None:
        """Refuse new connections and reset every open one, as a dead server would."""
        server, self.server = self.server, None
        if server is not None:
            with contextlib.suppress(OSError):  # shutdown wakes the thread blocked in accept()
                server.shutdown(socket.SHUT_RDWR)
            server.close()
        with self._lock:
            open_sockets, self.sockets = self.sockets, []
        for s in open_sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:  # the real server is down too: the client sees a reset
                client.close()
                continue
            with self._lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
