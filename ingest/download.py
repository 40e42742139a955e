"""The network side of ``wtkb fetch``: which URLs may be opened, and opening them safely.

Kept apart from ingest/fetch.py (which writes files and keeps the lock) so the
safety rules read in one place: HTTPS only (loopback HTTP for tests when
``WTKB_FETCH_ALLOW_LOOPBACK_HTTP=1``), allowed hosts checked on every redirect
hop, a name lookup bounded by the timeout, and one-line reasons for every
failure that name the host and the fix.
"""

from __future__ import annotations

import errno
import http.client
import ipaddress
import os
import socket
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
from typing import Callable

from .deadline import Deadline
from .deadline import handlers as deadline_handlers
from .provenance import ID_RE as PROVENANCE_ID_RE

ID_RE = PROVENANCE_ID_RE  # one id rule for fetch, load and the index (ingest/provenance.py)
LOOPBACK_ENV = "WTKB_FETCH_ALLOW_LOOPBACK_HTTP"
MAX_REDIRECTS = 5
CHUNK = 64 * 1024
USER_AGENT = "wtkb-fetch/0.1 (Python urllib; downloads official guidance listed in corpus/sources.toml)"
FORMATS = {
    "pdf": ("application/pdf", "application/octet-stream"),
    "html": ("text/html",),
}
REDIRECT_CODES = {301, 302, 303, 307, 308}

Progress = Callable[[str, int, "int | None"], None]


class Fail(Exception):
    """A download problem whose message is already one line for the user."""


class Refused(Fail):
    """A URL or redirect that the safety rules do not allow."""


class HTTPStatus(Fail):
    """The server answered with an error status."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


class BadContent(Fail):
    """The server answered, but not with a file we can use (type, size, not a PDF)."""


class Unreachable(Fail):
    """The host could not be reached at all (DNS, refused, connect timeout)."""


class NotModified(Exception):
    def __init__(self, final_url: str):
        super().__init__(final_url)
        self.final_url = final_url


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hand every 3xx back to us so each hop can be checked."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D401
        return None


# ---------------------------------------------------------------- opening a URL

def seconds_text(s: float) -> str:
    return f"{s:g} s"


def mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n} bytes"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, allowed: set[str]) -> urllib.parse.SplitResult:
    """Refuse anything but https (or loopback http when allowed) to an allowed host."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise Refused(f"refusing {url!r}: not a valid URL") from None
    scheme = parts.scheme.lower()
    if not host:
        raise Refused(f"refusing {url!r}: no host name in the URL")
    if parts.username or parts.password:
        raise Refused(f"refusing {url}: URLs with a user name or password are not allowed")
    if scheme == "http":
        if not _is_loopback(host):
            raise Refused(f"refusing {url}: only https:// downloads are allowed")
        if os.environ.get(LOOPBACK_ENV) != "1":
            raise Refused(f"refusing {url}: plain http:// is only allowed to a loopback address "
                           f"with {LOOPBACK_ENV}=1 (meant for tests); use https://")
    elif scheme != "https":
        raise Refused(f"refusing {url}: only https:// downloads are allowed, not {scheme or 'no scheme'}")
    if host not in allowed:
        raise Refused(f"refusing {url}: host {host} is not an allowed download host "
                       f"({', '.join(sorted(allowed)) or 'none'}); add it to the entry's allowed_hosts "
                       "in corpus/sources.toml only if you trust it")
    return parts


def _via_proxy(scheme: str, host: str) -> bool:
    """Whether urllib will send this request through a proxy (which then does the lookup)."""
    if _is_loopback(host):
        return False
    try:
        return scheme in urllib.request.getproxies() and not urllib.request.proxy_bypass(host)
    except Exception:  # noqa: BLE001 - odd proxy settings: let urllib decide
        return True


def _resolve(host: str, port: int, timeout: float) -> None:
    """Look the host up with a time limit (getaddrinfo itself has none), so an
    offline machine fails in seconds instead of waiting on the resolver."""
    if _is_loopback(host):
        return
    box: dict = {}

    def run():
        try:
            socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as e:
            box["error"] = e

    t = threading.Thread(target=run, name=f"wtkb-resolve-{host}", daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        raise Unreachable(f"could not look up {host} (no answer after {seconds_text(timeout)})")
    if "error" in box:
        raise Unreachable(f"could not find the server {host}; no network or DNS")


def failure_reason(e: BaseException, host: str, port: int | None, timeout: float) -> tuple[str, bool]:
    """A short reason for a network error, and whether the host is unreachable
    (so later documents on the same host need not wait for it again)."""
    if isinstance(e, urllib.error.URLError) and not isinstance(e, urllib.error.HTTPError):
        inner = e.reason
        if isinstance(inner, (socket.timeout, TimeoutError)):
            # urllib wraps only errors from connecting and sending the request:
            # a timeout here means the server could not be reached at all.
            return f"timed out after {seconds_text(timeout)} connecting to {host}", True
        if isinstance(inner, BaseException):
            return failure_reason(inner, host, port, timeout)
        return f"{inner}", False
    where = f"{host}:{port}" if port else host
    if isinstance(e, (socket.timeout, TimeoutError)):
        return f"timed out after {seconds_text(timeout)}", False
    if isinstance(e, socket.gaierror):
        return f"could not find the server {host}; no network or DNS", True
    if isinstance(e, ConnectionRefusedError):
        return f"connection refused by {where}", True
    if isinstance(e, ssl.SSLCertVerificationError):
        return f"the TLS certificate of {host} could not be verified ({e.verify_message})", False
    if isinstance(e, ssl.SSLError):
        return f"TLS error talking to {host} ({e.reason or type(e).__name__})", False
    if isinstance(e, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
        return f"the connection to {where} was dropped", False
    if isinstance(e, http.client.IncompleteRead):
        return "the server closed the connection before the whole file arrived", False
    if isinstance(e, http.client.HTTPException):
        return f"the server sent a malformed response ({type(e).__name__})", False
    if isinstance(e, OSError):
        unreachable = e.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN)
        return f"network error ({e.strerror or type(e).__name__})", unreachable
    return f"{type(e).__name__}", False


def _opener(host: str, deadline: Deadline | None = None) -> urllib.request.OpenerDirector:
    handlers: list = [_NoRedirect()]
    if _is_loopback(host):
        handlers.append(urllib.request.ProxyHandler({}))  # never send loopback traffic to a proxy
    handlers.extend(deadline_handlers(deadline))
    return urllib.request.build_opener(*handlers)


def open_url(url: str, allowed: set[str], headers: dict[str, str], timeout: float,
          down_hosts: dict[str, str], deadline: Deadline | None = None):
    """Open ``url``, following up to MAX_REDIRECTS checked hops. Returns (response, final_url)."""
    seen: list[str] = []
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        parts = check_url(current, allowed)
        host = parts.hostname.lower()
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        key = f"{host}:{port}"
        if key in down_hosts:
            raise Unreachable(down_hosts[key])
        seen.append(current)
        try:
            if not _via_proxy(parts.scheme.lower(), host):
                _resolve(host, port, deadline.left(timeout) if deadline else timeout)
        except Unreachable as e:
            down_hosts[key] = str(e)
            raise
        request = urllib.request.Request(current, headers=headers, method="GET")
        try:
            if deadline is not None and deadline.passed():
                raise Fail(deadline.message())
            response = _opener(host, deadline).open(request, timeout=deadline.left(timeout) if deadline else timeout)
        except urllib.error.HTTPError as e:
            code = e.code
            location = e.headers.get("Location") if e.headers else None
            e.close()
            if code == 304:
                raise NotModified(current) from None
            if code in REDIRECT_CODES:
                if not location:
                    raise Fail(f"the server answered HTTP {code} for {current} without a Location") from None
                nxt = urllib.parse.urljoin(current, location.strip())
                if nxt in seen:
                    raise Refused(f"redirect loop: {current} leads back to {nxt}") from None
                current = nxt
                continue
            reason = http.client.responses.get(code, "") or (e.reason or "")
            raise HTTPStatus(f"the server answered HTTP {code} {reason}".rstrip() + f" for {current}",
                              code) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as e:
            reason, unreachable = failure_reason(e, host, port, timeout)
            if unreachable:
                down_hosts[key] = reason
                raise Unreachable(reason) from None
            raise Fail(reason) from None
        return response, current
    raise Refused(f"too many redirects (more than {MAX_REDIRECTS}) starting from {url}")


