"""HTTP to the sync server: TLS always verified, retries with exponential backoff,
and answers checked for shape before anything local is touched."""

from __future__ import annotations

import json
import random
import re
import time
from typing import Any, Callable
from urllib.parse import urlsplit

import requests

from sync.client.errors import AuthError, Refused, SchemaMismatch, SyncError, Unreachable
from sync.protocol import SCHEMA_HEADER, SCHEMA_VERSION

_LOOPBACK = {"localhost", "127.0.0.1", "::1"}
_RETRY_STATUS = {502, 503, 504}
# 304 (Not Modified) answers a conditional GET and is no redirect; every other 3xx is one.
_NOT_A_REDIRECT = {304}
# Answers longer than this are decoded an element at a time (``loads_in_steps``).
STEP_DECODE_BYTES = 64 * 1024
PAUSE_EVERY = 64  # elements decoded between calls of a decoding's ``pause``
_scan = json.JSONDecoder().scan_once  # one JSON value at a position: (value, end)
_space = re.compile(r"[ \t\n\r]*")


def loads_in_steps(text: str, pause: Callable[[], None] | None = None) -> Any:
    """``json.loads(text)``, but each element of the top-level object's arrays decoded on
    its own. ``json.loads`` holds Python's global lock from start to end: on a pulled
    page of several megabytes, tens of milliseconds in which no other thread of the app
    runs (a key press on the GUI thread among them). Between elements, Python hands the
    lock over as usual, and every ``PAUSE_EVERY`` elements ``pause()`` is called (the sync
    waits there while the GUI thread writes: ``Store.give_way``). Anything not shaped so,
    or not valid, is left to ``json.loads`` (its result, or its error)."""
    try:
        return _object_in_steps(text, pause)
    except (ValueError, IndexError, StopIteration):
        return json.loads(text)


def _object_in_steps(text: str, pause: Callable[[], None] | None) -> dict:
    def skip(at: int) -> int:
        return _space.match(text, at).end() if text[at] in " \t\n\r" else at

    at = skip(_space.match(text, 0).end())
    if text[at] != "{":
        raise ValueError("not an object")
    out: dict = {}
    at = skip(at + 1)
    if text[at] == "}":
        at += 1
    else:
        while True:
            if text[at] != '"':
                raise ValueError("key")
            key, at = _scan(text, at)
            at = skip(at)
            if text[at] != ":":
                raise ValueError("colon")
            at = skip(at + 1)
            if text[at] == "[":
                value: Any = []
                at = skip(at + 1)
                if text[at] == "]":
                    at += 1
                else:
                    while True:
                        item, at = _scan(text, at)
                        value.append(item)
                        if pause is not None and len(value) % PAUSE_EVERY == 0:
                            pause()
                        at = skip(at)
                        at, sep = at + 1, text[at]
                        if sep == "]":
                            break
                        if sep != ",":
                            raise ValueError("array")
                        at = skip(at)
            else:
                value, at = _scan(text, at)
            out[key] = value
            at = skip(at)
            at, sep = at + 1, text[at]
            if sep == "}":
                break
            if sep != ",":
                raise ValueError("object")
            at = skip(at)
    if _space.match(text, at).end() != len(text):
        raise ValueError("trailing data")
    return out


def _json_of(response: requests.Response, pause: Callable[[], None] | None = None) -> Any:
    """The answer's JSON (``ValueError`` if it is none); a long one in steps."""
    if len(response.content) < STEP_DECODE_BYTES:
        return response.json()
    try:
        text = response.content.decode("utf-8")  # JSON over HTTP is UTF-8 (RFC 8259)
    except UnicodeDecodeError:
        return response.json()
    return loads_in_steps(text, pause)


class NoRedirectSession(requests.Session):
    """A session that never follows a redirect, whatever a caller asks: casework and
    tokens go only to the server address the laptop was given (a redirect could send a
    push body, or the token, to another host or over plain HTTP)."""

    max_redirects = 0

    def get_redirect_target(self, resp):  # requests asks this before following
        return None

    def request(self, method, url, **kw):
        kw["allow_redirects"] = False
        return super().request(method, url, **kw)


def check_server_url(url: str) -> str:
    """Normalise a server URL; plain HTTP is refused except on this computer itself."""
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise SyncError(f"{url!r} is not a server address (expected https://...).")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        raise SyncError("The server address must start with https:// so that casework travels encrypted.")
    return url


def refuse_redirect(url: str, response: requests.Response) -> None:
    """A redirect is never followed: say where the laptop tried to send and stop."""
    target = response.headers.get("Location")
    where = f" to {target}" if target else ""
    address = url.split("?", 1)[0]
    raise SyncError(
        f"The server at {address} answered with a redirect{where} (HTTP "
        f"{response.status_code}). Fieldnote sends casework only to the server address it "
        "was given, so nothing was sent anywhere else. Check the server address, or ask "
        "your service's IT lead."
    )


class Transport:
    """Requests to one server with one token.

    Certificate checking is always on; there is deliberately no switch to turn it off
    (a private CA can be trusted through the usual ``REQUESTS_CA_BUNDLE``).
    """

    def __init__(
        self,
        server_url: str,
        token: str | None,
        *,
        retries: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        timeout: float = 30.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.server_url = check_server_url(server_url)
        self.token = token
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.timeout = timeout
        self.session = session or NoRedirectSession()
        self.session.verify = True
        self.session.max_redirects = 0
        self.sleep = sleep
        # Called now and then while a long answer is decoded (``loads_in_steps``).
        self.pause: Callable[[], None] | None = None

    def _delay(self, attempt: int) -> float:
        base = min(self.max_backoff, self.backoff * (2**attempt))
        return base * (0.5 + random.random() / 2)  # jitter: laptops back off out of step

    def request(self, method: str, path: str, *, json: Any = None, params: dict | None = None) -> dict:
        return self._answer(self._send(method, path, json=json, params=params))

    def _send(self, method: str, path: str, *, headers: dict | None = None, **kw: Any) -> requests.Response:
        """One request, retried with backoff on network errors and 502/503/504."""
        headers = {SCHEMA_HEADER: str(SCHEMA_VERSION), "Accept": "application/json", **(headers or {})}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        url = self.server_url + path
        problem = "no answer"
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self._delay(attempt - 1))
            try:
                response = self.session.request(
                    method, url, headers=headers, timeout=self.timeout, allow_redirects=False, **kw
                )
            except requests.exceptions.SSLError as exc:
                raise SyncError(
                    "The server's certificate could not be verified, so nothing was sent. Check the server address."
                ) from exc
            except requests.Timeout:
                problem = "no answer in time"  # words, never an exception's class name
                continue
            except requests.ConnectionError:
                problem = "no connection"
                continue
            if response.status_code in _RETRY_STATUS:
                problem = f"HTTP {response.status_code}"
                continue
            if 300 <= response.status_code < 400 and response.status_code not in _NOT_A_REDIRECT:
                refuse_redirect(url, response)
            return response
        raise Unreachable(
            f"The server could not be reached ({problem}) after "
            f"{self.retries + 1} tries. Your changes are kept on this laptop and "
            "sent at the next sync."
        )

    def _answer(self, response: requests.Response) -> dict:
        if response.status_code == 204:
            return {}
        try:
            data = _json_of(response, self.pause)
        except ValueError:
            data = None
        detail = data.get("detail") if isinstance(data, dict) else None
        detail = detail if isinstance(detail, str) else None
        if response.status_code == 401:
            raise AuthError(detail or "Sign in to the server again.")
        if response.status_code == 426:
            raise SchemaMismatch(detail or "Update Fieldnote to sync with this server.")
        if response.status_code >= 400:
            raise Refused(
                f"The server refused the request (HTTP {response.status_code})" + (f": {detail}" if detail else "."),
                response.status_code,
            )
        if not isinstance(data, dict):
            raise SyncError("The server's answer was not understood (not JSON). Nothing local was changed.")
        return data

    def get(self, path: str, params: dict | None = None) -> dict:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any) -> dict:
        encoded = getattr(body, "encoded", None)  # a body encoded beforehand (engine.PreparedBody)
        if encoded is not None:
            headers = {"Content-Type": "application/json"}
            return self._answer(self._send("POST", path, data=encoded(), headers=headers))
        return self.request("POST", path, json=body)

    # -- bytes (attachments) -------------------------------------------------------------------
    def put_bytes(self, path: str, data: bytes, params: dict | None = None) -> dict:
        """PUT raw bytes (an attachment chunk); the answer is JSON, checked like any other."""
        return self._answer(
            self._send("PUT", path, data=data, params=params, headers={"Content-Type": "application/octet-stream"})
        )

    def get_raw(self, path: str, headers: dict | None = None) -> requests.Response:
        """GET with the token and retries, keeping the raw answer (a 304 with no body, bytes
        to hash exactly as they came). Error statuses raise as for JSON requests (AuthError,
        SchemaMismatch, Refused)."""
        response = self._send("GET", path, headers=headers)
        if response.status_code >= 400:
            self._answer(response)  # raises with the server's message
        return response

    def get_bytes(self, path: str, headers: dict | None = None) -> requests.Response:
        """GET raw bytes (``headers`` such as ``Range``): a success is returned whole for the
        caller to check (status, headers, body), since only the caller knows what the bytes
        should be; anything else raises."""
        response = self.get_raw(path, {"Accept": "application/octet-stream", **(headers or {})})
        if response.status_code >= 300:
            raise SyncError(
                f"The server's answer was not understood (HTTP {response.status_code}). Nothing local was changed."
            )
        return response
