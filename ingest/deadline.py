"""A deadline for one whole download.

Per-operation socket timeouts cannot bound a download: a server trickling a
byte a second never lets one expire. ``Deadline`` runs a watchdog timer that
shuts down every connection opened under it when the time is up, which ends
any blocked read at once; ``handlers`` gives urllib connections it can watch.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
import urllib.request


class Deadline:
    """The whole download of one document must end by a deadline
    (``fetch_max_seconds``). Per-read timeouts cannot ensure that: a server
    trickling a byte a second never lets one expire. A watchdog timer shuts
    the connection down when the time is up, which ends any blocked read."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.expired = False
        self._socks: list = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._socks:
                self._shut(sock)

    @staticmethod
    def _shut(sock) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def watch(self, sock) -> None:
        with self._lock:
            self._socks.append(sock)
            if self.expired:
                self._shut(sock)

    def cancel(self) -> None:
        with self._lock:
            self._timer.cancel()
            self._socks.clear()

    def left(self, timeout: float) -> float:
        """The per-operation timeout, never past the deadline."""
        return max(0.001, min(timeout, self.end - time.monotonic()))

    def passed(self) -> bool:
        return self.expired or time.monotonic() >= self.end

    def message(self) -> str:
        return (f"it took longer than the fetch_max_seconds limit of {self.seconds:g} s "
                "(a very slow server?); try again later or raise it (wtkb fetch --timeout S, "
                "or WTKB_FETCH_MAX_SECONDS)")


def handlers(deadline: Deadline | None) -> list:
    """HTTP(S) handlers whose connections the deadline can shut down."""
    context = ssl.create_default_context()
    if deadline is None:
        return [urllib.request.HTTPSHandler(context=context)]

    class Conn(http.client.HTTPConnection):
        def connect(self):
            super().connect()
            deadline.watch(self.sock)

    class SecureConn(http.client.HTTPSConnection):
        def connect(self):
            super().connect()
            deadline.watch(self.sock)

    class Handler(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(Conn, req)

    class SecureHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(SecureConn, req, context=context)

    return [Handler(), SecureHandler(context=context)]
