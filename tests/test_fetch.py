"""ingest.fetch against a real HTTP server on 127.0.0.1.

The server runs in a background thread and serves a small PDF made with fpdf2,
plus routes that misbehave on purpose: wrong types, lies about length,
redirect tricks and stalls. Plain http to loopback is allowed only because
each test sets WTKB_FETCH_ALLOW_LOOPBACK_HTTP=1 (see ingest/fetch.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ingest.fetch import ID_RE, LOCK_NAME, LOOPBACK_ENV, FetchResult, fetch_all
from ingest.load import load_sources
from ingest.records import KINDS
from ingest.config import PROJECT_ROOT, load_settings

MAX_BYTES = 50_000
STALL_S = 1.6  # longer than the 1 s timeout the tests use
TRICKLE_S = 0.05  # a byte every 50 ms never trips the 1 s read timeout


def make_pdf(text: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


PDF = make_pdf("Working together to safeguard children: a test document.")
PDF_V2 = make_pdf("Working together to safeguard children: the second edition of a test document.")
BIG = PDF + b"\n%" + b"x" * (MAX_BYTES * 2)  # still starts with %PDF-, too big


# ---------------------------------------------------------------- the server

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request a connection; the body ends when it closes

    def log_message(self, *args):  # keep pytest output clean
        pass

    def send(self, code: int, body: bytes = b"", ctype: str = "application/pdf",
             headers: dict | None = None, length: int | None | bool = True):
        try:
            self.send_response(code)
            if ctype:
                self.send_header("Content-Type", ctype)
            if length is True:
                self.send_header("Content-Length", str(len(body)))
            elif isinstance(length, int) and length is not False:
                self.send_header("Content-Length", str(length))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if body:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on purpose

    def redirect(self, location: str, code: int = 302):
        self.send(code, b"", ctype="text/plain", headers={"Location": location})

    def do_GET(self):  # noqa: N802
        path = self.path.split("?", 1)[0]
        self.server.requests.append((path, {k.lower(): v for k, v in self.headers.items()}))
        route = ROUTES.get(path)
        if route is None and path.startswith("/slow-hop/"):
            return slow_hop(self)
        if route is None and path.startswith("/hop/"):
            n = int(path.rsplit("/", 1)[1])
            return self.redirect(f"/hop/{n + 1}")
        if route is None:
            return self.send(404, b"not here", ctype="text/plain")
        return route(self)


def etagged(h: Handler):
    if h.headers.get("If-None-Match") == '"v1"':
        return h.send(304, b"", ctype="", length=False, headers={"ETag": '"v1"'})
    h.send(200, PDF, headers={"ETag": '"v1"', "Last-Modified": "Fri, 15 Dec 2023 11:09:00 GMT"})


def versioned(h: Handler):
    h.send(200, h.server.state["versioned"])


def stall_headers(h: Handler):
    time.sleep(STALL_S)
    h.send(200, PDF)


def stall_body(h: Handler):
    try:
        h.send_response(200)
        h.send_header("Content-Type", "application/pdf")
        h.send_header("Content-Length", str(len(PDF)))
        h.end_headers()
        h.wfile.write(PDF[:100])
        h.wfile.flush()
        time.sleep(STALL_S)
        h.wfile.write(PDF[100:])
    except (BrokenPipeError, ConnectionResetError):
        pass


def trickle_body(h: Handler):
    """Valid headers, then the PDF one byte at a time: every read succeeds within the timeout."""
    try:
        h.send_response(200)
        h.send_header("Content-Type", "application/pdf")
        h.send_header("Content-Length", str(len(PDF)))
        h.end_headers()
        for i in range(len(PDF)):
            h.wfile.write(PDF[i:i + 1])
            h.wfile.flush()
            time.sleep(TRICKLE_S)
    except (BrokenPipeError, ConnectionResetError, OSError):
        pass


def trickle_headers(h: Handler):
    """The status line and headers themselves arrive a byte at a time, forever."""
    try:
        for ch in b"HTTP/1.0 200 OK\r\nX-Slow: " + b"a" * 100_000:
            h.wfile.write(bytes([ch]))
            h.wfile.flush()
            time.sleep(TRICKLE_S)
    except (BrokenPipeError, ConnectionResetError, OSError):
        pass


def drip(h: Handler):
    """Issue 22, item 8: valid headers, then one byte a second."""
    try:
        h.send_response(200)
        h.send_header("Content-Type", "application/pdf")
        h.send_header("Content-Length", str(len(PDF)))
        h.end_headers()
        for i in range(len(PDF)):
            h.wfile.write(PDF[i:i + 1])
            h.wfile.flush()
            time.sleep(1.0)
    except (BrokenPipeError, ConnectionResetError, OSError):
        pass


def slow_hop(h: Handler):
    """A redirect chain whose every hop waits just under the read timeout before answering."""
    n = int(h.path.rsplit("/", 1)[1])
    time.sleep(0.8)
    h.redirect(f"/slow-hop/{n + 1}" if n < 4 else "/trickle-body.pdf")


def endless_continue(h: Handler):
    """Interim "100 Continue" responses, a byte at a time, that never reach a final answer."""
    try:
        while True:
            for ch in b"HTTP/1.1 100 Continue\r\n\r\n":
                h.wfile.write(bytes([ch]))
                h.wfile.flush()
                time.sleep(TRICKLE_S)
    except (BrokenPipeError, ConnectionResetError, OSError):
        pass


def chunked_drip(h: Handler):
    """A chunked body of one-byte chunks: no Content-Length to judge the end by."""
    try:
        h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nTransfer-Encoding: chunked\r\n\r\n")
        for i in range(len(PDF)):
            h.wfile.write(b"1\r\n" + PDF[i:i + 1] + b"\r\n")
            h.wfile.flush()
            time.sleep(TRICKLE_S)
        h.wfile.write(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError, OSError):
        pass


ROUTES = {
    "/doc.pdf": etagged,
    "/drip.pdf": drip,
    "/endless-continue.pdf": endless_continue,
    "/chunked-drip.pdf": chunked_drip,
    "/plain.pdf": lambda h: h.send(200, PDF),  # no ETag or Last-Modified
    "/versioned.pdf": versioned,
    "/octet.pdf": lambda h: h.send(200, PDF, ctype="application/octet-stream"),
    "/page.html": lambda h: h.send(200, b"<html><body><h1>Hi</h1></body></html>", ctype="text/html; charset=utf-8"),
    "/fake.pdf": lambda h: h.send(200, b"<html>not a pdf</html>", ctype="application/pdf"),
    "/empty.pdf": lambda h: h.send(200, b""),
    "/big.pdf": lambda h: h.send(200, BIG),
    "/big-nolength.pdf": lambda h: h.send(200, BIG, length=False),
    "/short.pdf": lambda h: h.send(200, PDF, length=len(PDF) * 2),  # claims more than it sends
    "/redirect.pdf": lambda h: h.redirect("/doc.pdf"),
    "/redirect-absolute.pdf": lambda h: h.redirect(f"http://127.0.0.1:{h.server.server_port}/plain.pdf", 301),
    "/redirect-away.pdf": lambda h: h.redirect("https://evil.example.com/x.pdf"),
    "/redirect-https-downgrade.pdf": lambda h: h.redirect("http://www.gov.uk/x.pdf"),
    "/loop-a": lambda h: h.redirect("/loop-b"),
    "/loop-b": lambda h: h.redirect("/loop-a"),
    "/stall-headers.pdf": stall_headers,
    "/stall-body.pdf": stall_body,
    "/server-error.pdf": lambda h: h.send(503, b"busy", ctype="text/plain"),
    "/trickle-body.pdf": trickle_body,
    "/trickle-headers.pdf": trickle_headers,
    "/tiny.pdf": lambda h: h.send(200, b"%PDF-1.4\n%%EOF a 45-byte file is not a PDF\n"),
    "/no-eof.pdf": lambda h: h.send(200, PDF.rsplit(b"%%EOF", 1)[0]),
}


@pytest.fixture(scope="module")
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.requests = []
    srv.state = {}
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def base(server, monkeypatch):
    monkeypatch.setenv(LOOPBACK_ENV, "1")
    server.requests.clear()
    server.state["versioned"] = PDF
    return f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def settings(tmp_path):
    return load_settings(official_dir=tmp_path / "official", sources_file=tmp_path / "none.toml",
                         fetch_timeout_s=1.0, fetch_max_bytes=MAX_BYTES)


def entry(doc_id: str, url: str, fmt: str = "pdf", hosts=("127.0.0.1",)) -> dict:
    e = {"id": doc_id, "title": doc_id, "file_url": url, "format": fmt,
         "landing_page": "https://www.gov.uk/government/publications/example"}
    if hosts:
        e["allowed_hosts"] = list(hosts)
    return e


def fetch_one(settings, url, doc_id="doc", **kw) -> FetchResult:
    fmt = kw.pop("fmt", "pdf")
    hosts = kw.pop("hosts", ("127.0.0.1",))
    results = fetch_all(settings, sources={doc_id: entry(doc_id, url, fmt, hosts)}, **kw)
    assert len(results) == 1
    return results[0]


def assert_clean(settings, result: FetchResult, status: str = "failed"):
    """One-line message naming the document; no partial files anywhere."""
    assert result.status == status, result
    assert "\n" not in result.message and result.message.strip()
    assert result.doc_id in result.message
    assert not list(Path(settings.official_dir).parent.rglob("*.part"))


def lock(settings) -> dict:
    return json.loads((Path(settings.official_dir) / LOCK_NAME).read_text())


# ---------------------------------------------------------------- success and re-runs

def test_success_writes_file_and_lock(settings, base):
    calls = []
    r = fetch_one(settings, f"{base}/doc.pdf", progress=lambda *a: calls.append(a))
    assert_clean(settings, r, "fetched")
    target = Path(settings.official_dir) / "doc.pdf"
    assert r.path == target and target.read_bytes() == PDF
    sha = hashlib.sha256(PDF).hexdigest()
    assert (r.bytes, r.sha256) == (len(PDF), sha)
    rec = lock(settings)["doc"]
    assert rec["sha256"] == sha and rec["bytes"] == len(PDF)
    assert rec["url"] == rec["final_url"] == f"{base}/doc.pdf"
    assert rec["etag"] == '"v1"' and rec["last_modified"] and rec["fetched_at"]
    assert calls[-1] == ("doc", len(PDF), len(PDF))


def test_octet_stream_is_accepted_for_pdf(settings, base):
    assert_clean(settings, fetch_one(settings, f"{base}/octet.pdf"), "fetched")


def test_html_format_is_saved_as_html(settings, base):
    r = fetch_one(settings, f"{base}/page.html", fmt="html")
    assert_clean(settings, r, "fetched")
    assert r.path.name == "doc.html"


def test_rerun_with_etag_gets_304_unchanged(settings, base, server):
    assert fetch_one(settings, f"{base}/doc.pdf").status == "fetched"
    target = Path(settings.official_dir) / "doc.pdf"
    mtime = target.stat().st_mtime_ns
    r = fetch_one(settings, f"{base}/doc.pdf")
    assert_clean(settings, r, "unchanged")
    assert server.requests[-1][1].get("if-none-match") == '"v1"'
    assert server.requests[-1][1].get("if-modified-since")
    assert target.stat().st_mtime_ns == mtime and r.sha256 == hashlib.sha256(PDF).hexdigest()


def test_rerun_without_validators_compares_sha(settings, base, server):
    assert fetch_one(settings, f"{base}/plain.pdf").status == "fetched"
    first = lock(settings)["doc"]["fetched_at"]
    r = fetch_one(settings, f"{base}/plain.pdf")
    assert_clean(settings, r, "unchanged")
    assert "if-none-match" not in server.requests[-1][1]
    assert lock(settings)["doc"]["fetched_at"] == first


def test_changed_file_is_replaced(settings, base, server):
    assert fetch_one(settings, f"{base}/versioned.pdf").status == "fetched"
    server.state["versioned"] = PDF_V2
    r = fetch_one(settings, f"{base}/versioned.pdf")
    assert_clean(settings, r, "fetched")
    assert r.path.read_bytes() == PDF_V2
    assert lock(settings)["doc"]["sha256"] == hashlib.sha256(PDF_V2).hexdigest()


def test_edited_file_on_disk_is_downloaded_again(settings, base, server):
    assert fetch_one(settings, f"{base}/doc.pdf").status == "fetched"
    target = Path(settings.official_dir) / "doc.pdf"
    target.write_bytes(b"%PDF-broken")
    r = fetch_one(settings, f"{base}/doc.pdf")
    assert "if-none-match" not in server.requests[-1][1]  # the lock no longer describes the file
    assert_clean(settings, r, "fetched")
    assert target.read_bytes() == PDF


def test_failure_keeps_the_previous_good_file(settings, base):
    assert fetch_one(settings, f"{base}/plain.pdf").status == "fetched"
    r = fetch_one(settings, f"{base}/big-nolength.pdf")
    assert_clean(settings, r)
    assert (Path(settings.official_dir) / "doc.pdf").read_bytes() == PDF
    assert lock(settings)["doc"]["url"].endswith("/plain.pdf")


# ---------------------------------------------------------------- server answers

def test_404_names_the_landing_page(settings, base):
    r = fetch_one(settings, f"{base}/nothing-here.pdf")
    assert_clean(settings, r)
    assert "HTTP 404" in r.message and "gov.uk/government/publications/example" in r.message
    assert not (Path(settings.official_dir) / "doc.pdf").exists()


def test_5xx_is_failed(settings, base):
    r = fetch_one(settings, f"{base}/server-error.pdf")
    assert_clean(settings, r)
    assert "HTTP 503" in r.message


def test_wrong_content_type(settings, base):
    r = fetch_one(settings, f"{base}/page.html")
    assert_clean(settings, r)
    assert "text/html" in r.message and not (Path(settings.official_dir) / "doc.pdf").exists()


def test_pdf_content_type_but_not_a_pdf(settings, base):
    r = fetch_one(settings, f"{base}/fake.pdf")
    assert_clean(settings, r)
    assert "%PDF-" in r.message


def test_empty_body(settings, base):
    assert_clean(settings, fetch_one(settings, f"{base}/empty.pdf"))


def test_oversize_by_content_length(settings, base):
    calls = []
    r = fetch_one(settings, f"{base}/big.pdf", progress=lambda *a: calls.append(a))
    assert_clean(settings, r)
    assert "limit" in r.message and not calls  # refused before reading the body


def test_oversize_without_content_length(settings, base):
    calls = []
    r = fetch_one(settings, f"{base}/big-nolength.pdf", progress=lambda *a: calls.append(a))
    assert_clean(settings, r)
    assert "limit" in r.message
    assert calls and all(total is None for _, _, total in calls)
    assert max(done for _, done, _ in calls) <= MAX_BYTES


def test_body_shorter_than_content_length(settings, base):
    r = fetch_one(settings, f"{base}/short.pdf")
    assert_clean(settings, r)
    assert "stopped after" in r.message


# ---------------------------------------------------------------- redirects

def test_redirect_to_allowed_path(settings, base):
    r = fetch_one(settings, f"{base}/redirect.pdf")
    assert_clean(settings, r, "fetched")
    assert lock(settings)["doc"]["final_url"] == f"{base}/doc.pdf"


def test_absolute_redirect_to_allowed_host(settings, base):
    assert_clean(settings, fetch_one(settings, f"{base}/redirect-absolute.pdf"), "fetched")


@pytest.mark.parametrize("path, words", [
    ("/redirect-away.pdf", "evil.example.com is not an allowed download host"),
    ("/redirect-https-downgrade.pdf", "only https://"),
    ("/loop-a", "redirect loop"),
    ("/hop/0", "too many redirects"),
])
def test_bad_redirects_are_refused(settings, base, server, path, words):
    r = fetch_one(settings, f"{base}{path}")
    assert_clean(settings, r)
    assert words in r.message
    assert len(server.requests) <= 6


# ---------------------------------------------------------------- the network

@pytest.mark.parametrize("path", ["/stall-headers.pdf", "/stall-body.pdf"])
def test_timeout(settings, base, path):
    start = time.monotonic()
    r = fetch_one(settings, f"{base}{path}")
    assert time.monotonic() - start < STALL_S + 1
    assert_clean(settings, r)
    assert "timed out after 1 s" in r.message and "by hand" in r.message


def test_connection_refused(settings, base):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = fetch_one(settings, f"http://127.0.0.1:{port}/doc.pdf")
    assert_clean(settings, r)
    assert r.message.startswith("doc: could not download (connection refused")
    assert "doc.pdf" in r.message


def test_offline_every_document_fails_fast(settings, monkeypatch, tmp_path):
    """No DNS: the real manifest's documents all fail at once, one line each,
    without touching the network (getaddrinfo is replaced)."""
    calls = []

    def no_dns(host, *args, **kwargs):
        calls.append(host)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    real = load_settings(official_dir=tmp_path / "official", fetch_timeout_s=1.0)
    start = time.monotonic()
    results = fetch_all(real)
    assert time.monotonic() - start < 2
    assert len(results) == len(load_sources(real.sources_file)) >= 4
    for r in results:
        assert_clean(real, r)
        assert "could not find the server assets.publishing.service.gov.uk" in r.message
        assert "by hand into" in r.message and r.message.endswith(f"/official/{r.doc_id}.pdf")
    assert calls == ["assets.publishing.service.gov.uk"]  # looked up once, then remembered


def test_hanging_dns_is_bounded_by_the_timeout(settings, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: time.sleep(3))
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    url = "https://wtkb-test-host.invalid/doc.pdf"
    sources = {i: entry(i, url, hosts=("wtkb-test-host.invalid",)) for i in ("one", "two", "three")}
    start = time.monotonic()
    results = fetch_all(settings, sources=sources)
    assert time.monotonic() - start < 2.5
    for r in results:
        assert_clean(settings, r)
        assert "no answer after 1 s" in r.message


# ---------------------------------------------------------------- refusals before any request

def test_http_without_env_var_is_refused(settings, base, server, monkeypatch):
    monkeypatch.delenv(LOOPBACK_ENV)
    r = fetch_one(settings, f"{base}/doc.pdf")
    assert_clean(settings, r)
    assert LOOPBACK_ENV in r.message and not server.requests


@pytest.mark.parametrize("url", ["http://www.gov.uk/x.pdf", "ftp://127.0.0.1/x.pdf", "file:///etc/passwd",
                                 "https://user:pw@www.gov.uk/x.pdf", "not a url"])
def test_other_schemes_are_refused(settings, base, url):
    r = fetch_one(settings, url, hosts=("127.0.0.1", "www.gov.uk"))
    assert_clean(settings, r)
    assert "refusing" in r.message


def test_host_not_in_allowlist_is_refused(settings, base, server):
    r = fetch_one(settings, f"{base}/doc.pdf", hosts=())
    assert_clean(settings, r)
    assert "127.0.0.1 is not an allowed download host" in r.message and not server.requests


@pytest.mark.parametrize("bad_id", ["../x", "a/b", "/abs", "..", "A", "", "x" * 90, "a\\b"])
def test_path_trick_ids_are_refused(settings, base, server, bad_id):
    r = fetch_all(settings, sources={bad_id: entry(bad_id, f"{base}/doc.pdf")})[0]
    assert r.status == "failed" and "refusing this id" in r.message and "\n" not in r.message
    assert not server.requests
    assert not list(Path(settings.official_dir).parent.rglob("*.pdf"))


# ---------------------------------------------------------------- manifest handling

def test_missing_file_url(settings, base):
    e = entry("wt-x", "")
    r = fetch_all(settings, sources={"wt-x": e})[0]
    assert r.status == "missing"
    assert r.message.startswith("no file URL known for wt-x; download it from https://www.gov.uk/")
    assert r.message.endswith("wt-x.pdf")


def test_only_filters_and_unknown_ids_fail(settings, base, server):
    sources = {"a": entry("a", f"{base}/plain.pdf"), "b": entry("b", f"{base}/doc.pdf")}
    results = fetch_all(settings, only=["b", "nope"], sources=sources)
    by_id = {r.doc_id: r for r in results}
    assert by_id["b"].status == "fetched" and "a" not in by_id
    assert by_id["nope"].status == "failed" and "valid ids: a, b" in by_id["nope"].message
    assert [p for p, _ in server.requests] == ["/doc.pdf"]


def test_one_failure_does_not_stop_the_rest(settings, base):
    sources = {"bad": entry("bad", f"{base}/fake.pdf"), "good": entry("good", f"{base}/plain.pdf")}
    results = fetch_all(settings, sources=sources)
    assert [r.status for r in results] == ["failed", "fetched"]
    assert set(lock(settings)) == {"good"}


def test_sources_default_to_the_settings_manifest(settings, base, tmp_path):
    manifest = tmp_path / "sources.toml"
    manifest.write_text(f"""
[[source]]
id = "from-toml"
file_url = "{base}/plain.pdf"
format = "pdf"
allowed_hosts = ["127.0.0.1"]
""")
    r = fetch_all(settings.replace(sources_file=manifest))
    assert [(x.doc_id, x.status) for x in r] == [("from-toml", "fetched")]


def test_corrupt_lock_file_is_ignored(settings, base):
    Path(settings.official_dir).mkdir(parents=True)
    (Path(settings.official_dir) / LOCK_NAME).write_text("{not json")
    assert fetch_one(settings, f"{base}/plain.pdf").status == "fetched"
    assert "doc" in lock(settings)


def test_a_failing_progress_callback_leaves_no_partial_file(settings, base):
    def boom(*args):
        raise RuntimeError("display went away")

    r = fetch_one(settings, f"{base}/plain.pdf", progress=boom)
    assert_clean(settings, r)
    assert "display went away" in r.message and not (Path(settings.official_dir) / "doc.pdf").exists()


def test_dest_overrides_official_dir(settings, base, tmp_path):
    other = tmp_path / "elsewhere"
    r = fetch_one(settings, f"{base}/plain.pdf", dest=other)
    assert r.status == "fetched" and r.path == other / "doc.pdf" and (other / LOCK_NAME).exists()


def test_project_manifest_is_well_formed():
    sources = load_sources(PROJECT_ROOT / "corpus" / "sources.toml")
    assert {"wt2023-guidance", "wt2023-framework", "csc-national-framework-2023", "wt2018-guidance"} <= set(sources)
    allowed = set(load_settings().fetch_allowed_hosts)
    for doc_id, e in sources.items():
        assert ID_RE.match(doc_id)
        for key in ("title", "short_title", "publisher", "edition", "kind", "licence", "landing_page",
                    "format", "found"):
            assert isinstance(e.get(key), str) and e[key].strip(), (doc_id, key)
        assert e["official"] is True and isinstance(e["confirmed"], bool)
        assert e["kind"] in KINDS and e["format"] in ("pdf", "html")
        assert e["landing_page"].startswith("https://www.gov.uk/")
        url = e["file_url"]
        if url:
            host = url.split("/")[2]
            assert url.startswith("https://") and host in allowed | set(e.get("allowed_hosts", []))
        else:
            assert e["confirmed"] is False


# ---------------------------------------------------------------- total time and complete files

@pytest.mark.parametrize("path", ["/trickle-body.pdf", "/trickle-headers.pdf"])
def test_trickling_server_is_cut_off_at_fetch_max_seconds(settings, base, path):
    """Per-read timeouts never fire on a trickle; the total limit must (issue 13, item 6)."""
    limited = settings.replace(fetch_max_seconds=2.0)
    t = time.monotonic()
    r = fetch_one(limited, base + path)
    took = time.monotonic() - t
    assert_clean(limited, r)
    assert "fetch_max_seconds" in r.message and took < 6, (took, r.message)
    assert not (Path(settings.official_dir) / "doc.pdf").exists()


@pytest.mark.parametrize("path, words", [("/tiny.pdf", "too small"), ("/no-eof.pdf", "%%EOF")])
def test_incomplete_or_tiny_pdf_is_refused(settings, base, path, words):
    r = fetch_one(settings.replace(min_pdf_bytes=200), base + path)
    assert_clean(settings, r)
    assert words in r.message
    assert not (Path(settings.official_dir) / "doc.pdf").exists()


@pytest.mark.parametrize("path", ["/slow-hop/0", "/endless-continue.pdf", "/chunked-drip.pdf"])
def test_other_slow_server_patterns_are_cut_off_too(settings, base, path):
    """Slow redirect hops, endless interim responses, a trickled chunked body: one deadline for it all."""
    limited = settings.replace(fetch_max_seconds=2.0)
    t = time.monotonic()
    r = fetch_one(limited, base + path)
    took = time.monotonic() - t
    assert_clean(limited, r)
    assert "fetch_max_seconds" in r.message and took < 6, (took, r.message)


def wtkb_fetch(tmp_path, url: str, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[source]]\nid = "slow"\ntitle = "Slow"\nfile_url = "{url}"\n'
                       'allowed_hosts = ["127.0.0.1"]\n')
    env = dict(os.environ, WTKB_SOURCES_FILE=str(sources), WTKB_OFFICIAL_DIR=str(tmp_path / "official"),
               COLUMNS="250", **{LOOPBACK_ENV: "1"})
    env.pop("WTKB_FETCH_MAX_SECONDS", None)
    env.pop("WTKB_FETCH_TIMEOUT_S", None)
    t = time.monotonic()
    p = subprocess.run([str(Path(sys.executable).parent / "wtkb"), "fetch", *args], env=env, capture_output=True,
                       text=True, timeout=90)
    return p, time.monotonic() - t


def test_cli_timeout_bounds_the_whole_download(tmp_path, base):
    """Issue 22, item 8: `wtkb fetch --timeout 3` against a server sending 1 byte a second."""
    p, took = wtkb_fetch(tmp_path, f"{base}/drip.pdf", "--timeout", "3")
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert took < 3 + 12, took  # the limit, plus starting Python on a busy machine
    line = [ln for ln in p.stdout.splitlines() if "slow" in ln]
    assert len(line) == 1 and "fetch_max_seconds limit of 3 s" in line[0] and "--timeout" in line[0], p.stdout
    assert not list((tmp_path / "official").glob("*")), "nothing is saved"


def test_cli_timeout_still_bounds_a_silent_server(tmp_path, base):
    """--timeout also caps each single wait: a server that says nothing is given up on within it."""
    p, took = wtkb_fetch(tmp_path, f"{base}/stall-headers.pdf", "--timeout", "1")
    assert p.returncode == 1 and took < 1 + 12 and "slow" in p.stdout, (took, p.stdout, p.stderr)


def test_cli_timeout_help_says_it_bounds_the_whole_download():
    from typer.testing import CliRunner

    from wtkb.cli import app

    result = CliRunner().invoke(app, ["fetch", "--help"], env={"COLUMNS": "200"})
    assert "whole download" in result.output and "however slowly" in result.output


# ---------------------------------------------------------------- writing never follows a planted link

def test_a_link_planted_as_the_part_file_is_never_written_through(settings, base, tmp_path):
    """A shared official folder: someone plants doc.pdf.part -> a file of the user's; fetch must not
    pour the download into it (nor fetch.lock.json.part into another)."""
    official = Path(settings.official_dir)
    official.mkdir(parents=True)
    victims = [tmp_path / "bashrc", tmp_path / "notes.txt"]
    for v in victims:
        v.write_text("precious\n")
    (official / "doc.pdf.part").symlink_to(victims[0])
    (official / f"{LOCK_NAME}.part").symlink_to(victims[1])
    r = fetch_one(settings, f"{base}/doc.pdf")
    assert r.status == "fetched", r
    assert [v.read_text() for v in victims] == ["precious\n", "precious\n"]
    assert (official / "doc.pdf").read_bytes() == PDF and lock(settings)["doc"]["bytes"] == len(PDF)
    assert not (official / "doc.pdf.part").exists() and not os.path.lexists(official / "doc.pdf.part")


def test_a_tls_handshake_trickled_a_byte_at_a_time_is_bounded(settings, monkeypatch):
    """https to a server that starts a TLS record and then sends one byte at a time: the handshake
    as a whole is held to the time limits, not each byte."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(5)
    stop = threading.Event()

    def drip():
        conn, _ = srv.accept()
        try:
            conn.recv(4096)
            conn.sendall(b"\x16\x03\x03\x40\x00")  # a handshake record of 16 KB ... arriving a byte at a time
            while not stop.is_set():
                conn.sendall(b"\x02")
                time.sleep(0.2)
        except OSError:
            pass
        finally:
            conn.close()

    threading.Thread(target=drip, daemon=True).start()
    port = srv.getsockname()[1]
    limited = settings.replace(fetch_timeout_s=1.0, fetch_max_seconds=2.0)
    t = time.monotonic()
    try:
        r = fetch_one(limited, f"https://127.0.0.1:{port}/doc.pdf")
    finally:
        stop.set()
        srv.close()
    assert_clean(limited, r)
    assert time.monotonic() - t < 5
