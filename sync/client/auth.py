"""Signing in: the server's token lives in the OS keyring, never in a plain file.

Where the machine has no OS keyring (the store is then unlocked by passphrase), the
token can be kept in the store itself, which is encrypted at rest with the same key.
"""
from __future__ import annotations

import keyring
import keyring.errors

from desktop.store import Store
from desktop.store.keys import keyring_available
from sync.client import local
from sync.client.errors import AuthError, SyncError
from sync.client.transport import Transport, check_server_url

KEYRING_SERVICE = "Fieldnote"


def keyring_account(server_url: str) -> str:
    return f"server-token:{check_server_url(server_url)}"


def login(server_url: str, username: str, password: str, *,
          transport: Transport | None = None, store: Store | None = None) -> str:
    """Sign in and keep the token (OS keyring; else ``store``); returns the token."""
    transport = transport or Transport(server_url, None, retries=2)
    try:
        answer = transport.post("/auth/login", {"username": username, "password": password})
    except AuthError:
        raise AuthError("Wrong username or password.") from None
    token = answer.get("access_token")
    if not isinstance(token, str) or not token:
        raise SyncError("The server's answer to signing in was not understood.")
    save_token(server_url, token, store)
    return token


def save_token(server_url: str, token: str, store: Store | None = None) -> None:
    if not keyring_available() and store is not None:
        local.set_state(store, keyring_account(server_url), token)
        return
    try:
        keyring.set_password(KEYRING_SERVICE, keyring_account(server_url), token)
    except keyring.errors.KeyringError as exc:
        raise SyncError("This computer has no OS keyring to keep the sign-in in, so "
                        "Fieldnote cannot stay signed in.") from exc


def stored_token(server_url: str, store: Store | None = None) -> str | None:
    try:
        token = keyring.get_password(KEYRING_SERVICE, keyring_account(server_url))
    except keyring.errors.KeyringError:
        token = None
    if token is None and store is not None:
        token = local.get_state(store, keyring_account(server_url)) or None
    return token


def logout(server_url: str, store: Store | None = None) -> None:
    """Revoke the token on the server (if reachable) and forget it here."""
    token = stored_token(server_url, store)
    if token:
        try:
            Transport(server_url, token, retries=1).post("/auth/logout", {})
        except SyncError:
            pass  # forgotten here regardless; it expires on the server
    try:
        keyring.delete_password(KEYRING_SERVICE, keyring_account(server_url))
    except keyring.errors.KeyringError:
        pass
    if store is not None:
        local.set_state(store, keyring_account(server_url), "")
