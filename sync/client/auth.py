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


def device_account(server_url: str, username: str) -> str:
    """Where the known-device token for ``username`` on that server is kept."""
    return f"server-device:{check_server_url(server_url)}:{username}"


def login(server_url: str, username: str, password: str, *,
          transport: Transport | None = None, store: Store | None = None) -> str:
    """Sign in and keep the token (OS keyring; else ``store``); returns the token.

    The laptop also keeps the known-device token the server gives it at its first
    successful sign-in and presents it every time after: other people's wrong guesses at
    the account then cannot lock this laptop out (docs/sync-protocol.md)."""
    transport = transport or Transport(server_url, None, retries=2)
    body = {"username": username, "password": password}
    device = _stored(device_account(server_url, username), store)
    if device:
        body["device_token"] = device
    try:
        answer = transport.post("/auth/login", body)
    except AuthError:
        raise AuthError("Wrong username or password.") from None
    token = answer.get("access_token")
    if not isinstance(token, str) or not token:
        raise SyncError("The server's answer to signing in was not understood.")
    save_token(server_url, token, store)
    new_device = answer.get("device_token")
    if isinstance(new_device, str) and new_device and new_device != device:
        _save(device_account(server_url, username), new_device, store)
    return token


def save_token(server_url: str, token: str, store: Store | None = None) -> None:
    _save(keyring_account(server_url), token, store)


def _save(account: str, secret: str, store: Store | None) -> None:
    if not keyring_available() and store is not None:
        local.set_state(store, account, secret)
        return
    try:
        keyring.set_password(KEYRING_SERVICE, account, secret)
    except keyring.errors.KeyringError as exc:
        raise SyncError("This computer has no OS keyring to keep the sign-in in, so "
                        "Fieldnote cannot stay signed in.") from exc


def stored_token(server_url: str, store: Store | None = None) -> str | None:
    return _stored(keyring_account(server_url), store)


def _stored(account: str, store: Store | None) -> str | None:
    try:
        secret = keyring.get_password(KEYRING_SERVICE, account)
    except keyring.errors.KeyringError:
        secret = None
    if secret is None and store is not None:
        secret = local.get_state(store, account) or None
    return secret


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
