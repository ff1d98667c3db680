"""``fieldnote login``, ``fieldnote sync`` and ``fieldnote logout`` for scripted use."""
from __future__ import annotations

import getpass
import json
import sys
from dataclasses import asdict


def register(subparsers) -> None:
    login = subparsers.add_parser(
        "login", help="sign in to the sync server",
        description="Sign in to the central server. The token is kept in the OS keyring; "
                    "the password is asked for, or read from standard input.")
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
        description="Revoke this laptop's token on the server and remove it from the keyring.")
    logout.add_argument("--server", required=True, help="server address")
    logout.set_defaults(func=_logout)


def _login(args) -> int:
    from sync.client.auth import login
    from sync.client.errors import SyncError

    password = (sys.stdin.readline().rstrip("\r\n") if args.password_stdin
                else getpass.getpass("Password: "))
    try:
        login(args.server, args.user, password)
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
            token = stored_token(server)
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
    from sync.client.auth import logout

    logout(args.server)
    print(f"signed out of {args.server}")
    return 0
