"""Signing in: the server's token lives in the OS keyring, never in a file."""
from __future__ import annotations

import keyring
import keyring.errors

from sync.client.errors import AuthError, SyncError
from sync.client.transport import Transport, check_server_url

KEYRING_SERVICE = "Fieldnote"


def keyring_account(server_url: str) -> str:
    return f"server-token:{check_server_url(server_url)}"


def login(server_url: str, username: str, password: str, *,
          transport: Transport | None = None) -> str:
    """Sign in and keep the token in the OS keyring; returns the token."""
    transport = transport or Transport(server_url, None, retries=2)
    try:
        answer = transport.post("/auth/login", {"username": username, "password": password})
    except AuthError:
        raise AuthError("Wrong username or password.") from None
    token = answer.get("access_token")
    if not isinstance(token, str) or not token:
        raise SyncError("The server's answer to signing in was not understood.")
    save_token(server_url, token)
    return token


def save_token(server_url: str, token: str) -> None:
    try:
        keyring.set_password(KEYRING_SERVICE, keyring_account(server_url), token)
    except keyring.errors.KeyringError as exc:
        raise SyncError("This computer has no OS keyring to keep the sign-in in, so "
                        "Fieldnote cannot stay signed in.") from exc


def stored_token(server_url: str) -> str | None:
    try:
        return keyring.get_password(KEYRING_SERVICE, keyring_account(server_url))
    except keyring.errors.KeyringError:
        return None


def logout(server_url: str) -> None:
    """Revoke the token on the server (if reachable) and forget it here."""
    token = stored_token(server_url)
    if token:
        try:
            Transport(server_url, token, retries=1).post("/auth/logout", {})
        except SyncError:
            pass  # forgotten here regardless; it expires on the server
    try:
        keyring.delete_password(KEYRING_SERVICE, keyring_account(server_url))
    except keyring.errors.KeyringError:
        pass
