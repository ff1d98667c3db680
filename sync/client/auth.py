"""Signing in: the server's token lives in the OS keyring, never in a plain file.

Where the machine has no OS keyring (the store is then unlocked by passphrase), or the
keyring refuses it, the token is kept in the store itself, which is encrypted at rest.
A token that cannot be kept anywhere is revoked at once rather than left unused.
"""

from __future__ import annotations

import json

import keyring
import keyring.errors

from desktop.store import Store, StoreError
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


def login(
    server_url: str, username: str, password: str, *, transport: Transport | None = None, store: Store | None = None
) -> str:
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
    try:
        save_token(server_url, token, store)
    except Exception as exc:  # noqa: BLE001 - whatever failed, the token must not linger
        revoke(server_url, token)
        reason = str(exc) if isinstance(exc, (SyncError, StoreError)) else "it could not be written"
        raise SyncError(
            f"Signed in, but the sign-in could not be kept on this computer "
            f"({reason}), so it was cancelled on the server."
        ) from exc
    new_device = answer.get("device_token")
    if isinstance(new_device, str) and new_device and new_device != device:
        try:
            _save(device_account(server_url, username), new_device, store)
        except SyncError:
            pass  # this laptop is then not "known" to the server; signing in still works
    return token


def revoke(server_url: str, token: str, *, retries: int = 1, timeout: float = 30.0) -> bool:
    """Revoke ``token`` on the server; whether the server confirmed it."""
    try:
        Transport(server_url, token, retries=retries, timeout=timeout).post("/auth/logout", {})
        return True
    except SyncError:
        return False  # unreachable: it expires on the server


def save_token(server_url: str, token: str, store: Store | None = None) -> None:
    """Keep the token in the OS keyring, or (no keyring, or it refused) in ``store``."""
    _save(keyring_account(server_url), token, store)


def _save(account: str, secret: str, store: Store | None) -> None:
    if keyring_available():
        try:
            keyring.set_password(KEYRING_SERVICE, account, secret)
            return
        except keyring.errors.KeyringError:
            if store is None:
                raise SyncError(
                    "The OS keyring refused to keep the sign-in, so Fieldnote cannot stay signed in."
                ) from None
    if store is None:
        raise SyncError("This computer has no OS keyring to keep the sign-in in, so Fieldnote cannot stay signed in.")
    local.set_state(store, account, secret)


def account_name(store: Store) -> str | None:
    """Who this laptop is signed in as, by name: the caseworker the account is (as the server
    said at the last sync), else the account's user name; None when not signed in or it has
    never synced. What the activity log records when no name was set in Settings."""
    url = local.get_state(store, "server_url")
    try:
        if not url or not stored_token(url, store):
            return None
    except SyncError:  # an address no longer valid: not signed in there
        return None
    try:
        caseworker_id = json.loads(local.get_state(store, "scope") or "[]")[3]
    except (ValueError, IndexError, TypeError, KeyError):
        caseworker_id = None
    row = store.get("caseworker", caseworker_id) if isinstance(caseworker_id, str) else None
    if row and (row.get("name") or "").strip():
        return row["name"].strip()
    return (local.get_state(store, "username") or "").strip() or None


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


def logout(server_url: str, store: Store | None = None, *, timeout: float = 30.0) -> None:
    """Revoke the token on the server (one try, ``timeout`` seconds at most, if reachable)
    and forget it here."""
    token = stored_token(server_url, store)
    if token:
        # Forgotten here regardless; unconfirmed, it expires on the server.
        revoke(server_url, token, retries=0, timeout=timeout)
    try:
        keyring.delete_password(KEYRING_SERVICE, keyring_account(server_url))
    except keyring.errors.KeyringError:
        pass
    if store is not None:
        local.set_state(store, keyring_account(server_url), "")
