"""``fieldnote login``, ``fieldnote sync`` and ``fieldnote logout`` for scripted use."""

from __future__ import annotations

import getpass
import json
import sys
from dataclasses import asdict


def register(subparsers) -> None:
    login = subparsers.add_parser(
        "login",
        help="sign in to the sync server",
        description="Sign in to the central server. The token is kept in the OS keyring, or "
        "where the computer has none, in Fieldnote's encrypted data (then "
        "FIELDNOTE_PASSPHRASE must be set, as for sync). The password is asked "
        "for, or read from standard input.",
    )
    login.add_argument("--server", required=True, help="server address, https://...")
    login.add_argument("--user", required=True, help="your username on the server")
    login.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    login.set_defaults(func=_login)

    sync = subparsers.add_parser(
        "sync",
        help="send and receive changes",
        description="Send this laptop's changes to the server and receive your caseload's. "
        "Prints a one-line JSON summary. Needs FIELDNOTE_PASSPHRASE where the "
        "store is protected by a passphrase.",
    )
    sync.add_argument("--server", help="server address (default: the last one synced with)")
    sync.add_argument("--no-verify", action="store_true", help="skip the integrity check (digest) after pulling")
    sync.add_argument(
        "--quarantine",
        choices=("list", "retry", "dismiss"),
        help="instead of syncing, deal with records received from the server "
        "that this laptop could not store: list them (JSON lines), retry "
        "storing them (after an upgrade), or dismiss them",
    )
    sync.add_argument(
        "--item",
        type=int,
        action="append",
        metavar="N",
        help="with --quarantine retry or dismiss: the item number (repeatable; "
        "retry without --item retries every item)",
    )
    sync.set_defaults(func=_sync)

    logout = subparsers.add_parser(
        "logout",
        help="sign out of the sync server",
        description="Revoke this laptop's token on the server and remove it from the keyring "
        "(and from Fieldnote's encrypted data, where it was kept there).",
    )
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
            password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else getpass.getpass("Password: ")
            login(args.server, args.user, password, store=store)
            if store is not None:
                local.set_state(store, "server_url", args.server)
    except StoreError as exc:
        print(
            f"fieldnote: this computer has no OS keyring, so the sign-in is kept in "
            f"Fieldnote's encrypted data, which could not be opened: {exc} (set "
            "FIELDNOTE_PASSPHRASE for scripted use)",
            file=sys.stderr,
        )
        return 1
    except SyncError as exc:
        print(f"fieldnote: {exc}", file=sys.stderr)
        return 1
    print(f"signed in to {args.server} as {args.user}")
    return 0


def _sync(args) -> int:
    from desktop.store import StoreError, opened
    from sync.client.errors import SyncError

    if args.quarantine:
        try:
            with opened() as store:
                return _quarantine(store, args)
        except StoreError as exc:
            print(f"fieldnote: {exc}", file=sys.stderr)
            return 1
    try:
        return _sync_now(args)
    except (StoreError, SyncError) as exc:
        print(f"fieldnote: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        from sync.client.errors import describe_failure

        print(f"fieldnote: sync failed: {describe_failure(exc)}", file=sys.stderr)
        return 1


def _quarantine(store, args) -> int:
    """``fieldnote sync --quarantine list|retry|dismiss [--item N ...]`` (no network)."""
    from desktop.store import StoreError
    from sync.client import quarantine

    if args.quarantine == "list":
        for item in quarantine.open_items(store):
            print(
                json.dumps(
                    {
                        "item": item["seq"],
                        "entity": item["entity"],
                        "record_id": item["record_id"],
                        "version": item["version"],
                        "reason": item["reason"],
                        "received": item["created_at"],
                        "attempts": item["attempts"],
                    }
                )
            )
        return 0
    items = args.item or []
    if args.quarantine == "dismiss" and not items:
        print("fieldnote: give the item(s) to dismiss with --item N (see --quarantine list)", file=sys.stderr)
        return 2
    if args.quarantine == "retry" and not items:
        items = [item["seq"] for item in quarantine.open_items(store)]
    failed = 0
    for seq in items:
        try:
            if args.quarantine == "dismiss":
                quarantine.dismiss(store, seq)
                print(f"item {seq}: dismissed")
                continue
            reason = quarantine.retry(store, seq)
        except StoreError as exc:
            print(f"fieldnote: {exc}", file=sys.stderr)
            failed += 1
            continue
        if reason is None:
            print(f"item {seq}: stored")
        else:
            print(f"item {seq}: still cannot be stored: {reason}")
            failed += 1
    return 1 if failed else 0


def _sync_now(args) -> int:
    from desktop.store import opened
    from sync.client import local
    from sync.client.auth import save_token, stored_token
    from sync.client.engine import SyncEngine

    with opened() as store:
        server = args.server or local.get_state(store, "server_url")
        if not server:
            print("fieldnote: give --server the first time", file=sys.stderr)
            return 2
        token = stored_token(server, store)
        if not token:
            print(f"fieldnote: not signed in; run 'fieldnote login --server {server} --user ...'", file=sys.stderr)
            return 1
        report = SyncEngine(store, server, token, on_token=lambda t: save_token(server, t, store)).sync(
            verify=not args.no_verify
        )
        status = local.sync_status(store)
    summary = asdict(report)
    summary.update(
        changes_waiting=status.changes_waiting,
        needs_attention=len(status.needs_attention),
        conflicts=len(status.conflicts),
        review=len(status.review),
        quarantined=len(status.quarantined),
    )
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
        print(f"fieldnote: a sign-in kept in Fieldnote's encrypted data could not be removed: {exc}", file=sys.stderr)
        return 1
    print(f"signed out of {args.server}")
    return 0
