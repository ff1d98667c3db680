"""The client talks only to its server: a redirect is never followed (issue 9, item 7).

A fake server answers each request with a redirect to a second fake server that records
everything it receives; the laptop must stop with a clear sync error naming the address it
tried, and nothing may reach the redirect target (not the push body, not the token, not the
password, not an attachment's bytes)."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading

import pytest
import requests

from sync.client import attachments
from sync.client.auth import login
from sync.client.engine import SyncEngine
from sync.client.errors import SyncError
from sync.client.transport import NoRedirectSession, Transport
from tests.sync.conftest import fake_server

REDIRECTS = [301, 302, 307, 308]


def _target_handler(seen: list):
    class Target(http.server.BaseHTTPRequestHandler):
        def _record(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            seen.append((self.command, self.path, dict(self.headers), body))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        do_GET = do_POST = do_PUT = _record

        def log_message(self, *args):
            pass

    return Target


def _redirecting_handler(status: int, target: str, redirect: str, answers: dict):
    """Answers ``redirect`` (a method and path prefix) with ``status`` pointing at
    ``target``; the requests in ``answers`` ((method, path) -> JSON) get those answers."""

    class Redirecting(http.server.BaseHTTPRequestHandler):
        lock = threading.Lock()

        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            path = self.path.split("?")[0]
            key = f"{self.command} {path}"
            if key.startswith(redirect):
                self.send_response(status)
                self.send_header("Location", target + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = json.dumps(answers.get((self.command, path), {})).encode()
            self.send_response(200 if (self.command, path) in answers else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = _answer

        def log_message(self, *args):
            pass

    return Redirecting


@pytest.fixture
def target():
    seen: list = []
    with fake_server(_target_handler(seen)) as url:
        yield url, seen


def _run(status, target, redirect, action, answers=None):
    url, seen = target
    with fake_server(_redirecting_handler(status, url, redirect, answers or {})) as server:
        with pytest.raises(SyncError) as info:
            action(server)
    message = str(info.value)
    assert "redirect" in message and str(status) in message
    assert server in message  # the address it tried to send to
    assert seen == []  # nothing reached the redirect target
    return message


@pytest.mark.parametrize("status", REDIRECTS)
def test_a_push_is_never_sent_on_to_a_redirect(status, target, laptops):
    laptop = laptops("a")
    laptop.create("school", {"name": "Fernside Academy"})

    def push(server):
        SyncEngine(laptop, server, "secret-token", transport=Transport(server, "secret-token", retries=0)).push()

    message = _run(status, target, "POST /sync/push", push)
    assert "/sync/push" in message
    assert laptop.pending_count() == 1  # kept, to send to the real server later


@pytest.mark.parametrize("status", REDIRECTS)
def test_a_pull_is_never_sent_on_to_a_redirect(status, target, laptops):
    laptop = laptops("a")

    def pull(server):
        SyncEngine(laptop, server, "secret-token", transport=Transport(server, "secret-token", retries=0)).pull()

    assert "/sync/pull" in _run(status, target, "GET /sync/pull", pull)


@pytest.mark.parametrize("status", REDIRECTS)
def test_a_login_is_never_sent_on_to_a_redirect(status, target):
    def sign_in(server):
        login(server, "sam", "the-password", transport=Transport(server, None, retries=0))

    assert "/auth/login" in _run(status, target, "POST /auth/login", sign_in)


@pytest.mark.parametrize("status", REDIRECTS)
def test_an_attachment_upload_is_never_sent_on_to_a_redirect(status, target):
    data = b"%PDF-1.4 a report\n" * 100
    sha = hashlib.sha256(data).hexdigest()
    answers = {("GET", f"/attachments/{sha}/status"): {"sha256": sha, "complete": False, "received": 0, "size": None}}

    def upload(server):
        attachments.upload_blob(Transport(server, "secret-token", retries=0), sha, data)

    assert f"/attachments/{sha}" in _run(status, target, f"PUT /attachments/{sha}", upload, answers)


def test_the_session_never_follows_even_when_asked(target):
    """Belt and braces: the transport's session refuses to follow a redirect even for a
    caller that asks it to."""
    url, seen = target
    with fake_server(_redirecting_handler(307, url, "GET /", {})) as server:
        response = NoRedirectSession().get(server + "/anything", allow_redirects=True, timeout=10)
    assert response.status_code == 307 and seen == []
    assert isinstance(NoRedirectSession(), requests.Session)
