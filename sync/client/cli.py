"""``fieldnote login``, ``fieldnote sync`` and ``fieldnote logout`` for scripted use."""
from __future__ import annotations

import getpass
import json
import sys
from dataclasses import asdict


def register(subparsers) -> None:
    login = subparsers.add_parser(
        "login", help="sign in to the sync server",
        description="Sign in to the central server. The token is kept in the OS keyring, or "
                    "where the computer has none, in Fieldnote's encrypted data (then "
                    "FIELDNOTE_PASSPHRASE must be set, as for sync). The password is asked "
                    "for, or read from standard input.")
    login.add_argument("--server", required=True, help="server address, https://...")
    login.add_argument("--user", required=True, help="your username on the server")
    login.add_argument("--password-stdin", action="store_true",
                       help="read the password from standard input")
    login.set_defaults(func=_login)

    sync = subparsers.add_parser(
        "sync", help="send and receive changes",
        description="Send this laptop's changes to the server and receive your caseload's. "
                    "Prints a one-line JSON summary. Needs FIELDNOTE_PASSPHRASE where the "
                    "store is protected by a passphrase.")
    sync.add_argument("--server", help="server address (default: the last one synced with)")
    sync.add_argument("--no-verify", action="store_true",
                      help="skip the integrity check (digest) after pulling")
    sync.set_defaults(func=_sync)

    logout = subparsers.add_parser(
        "logout", help="sign out of the sync server",
        description="Revoke this laptop's token on the server and remove it from the keyring "
                    "(and from Fieldnote's encrypted data, where it was kept there).")
    logout.add_argument("--server", required=True, help="server address")
    logout.set_defaults(func=_logout)


def _no_keyring_store():
    """Where there is no OS keyring the token is kept in the store: the store, opened
    (a context manager); otherwise a context giving None."""
    import contextlib

    from desktop.store import opened
    from desktop.store.keys import keyring_available

    return contextlib.nullcontext(None) if keyring_available() else opened()


def _login(args) -> int:
    from desktop.store import StoreError
    from sync.client import local
    from sync.client.auth import login
    from sync.client.errors import SyncError

    try:
        # The store is opened first: a token is asked for only if it can be kept.
        with _no_keyring_store() as store:
            password = (sys.stdin.readline().rstrip("\r\n") if args.password_stdin
                        else getpass.getpass("Password: "))
            login(args.server, args.user, password, store=store)
            if store is not None:
                local.set_state(store, "server_url", args.server)
    except StoreError as exc:
        print(f"fieldnote: this computer has no OS keyring, so the sign-in is kept in "
              f"Fieldnote's encrypted data, which could not be opened: {exc} (set "
              "FIELDNOTE_PASSPHRASE for scripted use)", file=sys.stderr)
        return 1
    except SyncError as exc:
        print(f"fieldnote: {exc}", file=sys.stderr)
        return 1
    print(f"signed in to {args.server} as {args.user}")
    return 0


def _sync(args) -> int:
    from desktop.store import StoreError, opened
    from sync.client import local
    from sync.client.auth import save_token, stored_token
    from sync.client.engine import SyncEngine
    from sync.client.errors import SyncError

    try:
        with opened() as store:
            server = args.server or local.get_state(store, "server_url")
            if not server:
                print("fieldnote: give --server the first time", file=sys.stderr)
                return 2
            token = stored_token(server, store)
            if not token:
                print(f"fieldnote: not signed in; run 'fieldnote login --server {server} --user ...'",
                      file=sys.stderr)
                return 1
            report = SyncEngine(store, server, token,
                                on_token=lambda t: save_token(server, t, store)
                                ).sync(verify=not args.no_verify)
            status = local.sync_status(store)
    except (StoreError, SyncError) as exc:
        print(f"fieldnote: {exc}", file=sys.stderr)
        return 1
    summary = asdict(report)
    summary.update(changes_waiting=status.changes_waiting,
                   needs_attention=len(status.needs_attention),
                   conflicts=len(status.conflicts), review=len(status.review))
    print(json.dumps(summary))
    return 0


def _logout(args) -> int:
    from desktop.store import StoreError
    from sync.client.auth import logout

    try:
        with _no_keyring_store() as store:
            logout(args.server, store)
    except StoreError as exc:
        logout(args.server)  # at least the keyring's token, if any
        print(f"fieldnote: a sign-in kept in Fieldnote's encrypted data could not be removed: "
              f"{exc}", file=sys.stderr)
        return 1
    print(f"signed out of {args.server}")
    return 0
