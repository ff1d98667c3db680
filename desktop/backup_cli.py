"""``fieldnote backup`` and ``fieldnote restore`` (issue 12, item 5)."""

from __future__ import annotations

import sys


def register(subparsers) -> None:
    backup = subparsers.add_parser(
        "backup",
        help="write an encrypted backup of the store to a file",
        description="Write a consistent, encrypted copy of the store (made with SQLite's online "
        "backup, safe while Fieldnote is running) and its key information into "
        "one backup file.",
    )
    backup.add_argument("--output", "-o", required=True, help="the backup file to write")
    backup.set_defaults(func=_backup)
    restore = subparsers.add_parser(
        "restore",
        help="restore the store from a backup file",
        description="Restore a backup into the data folder. Refused, with nothing changed, when "
        "the backup is damaged or was made with another key, or the data folder's "
        "store has changes not yet sent to the server. A backup of a passphrase-"
        "protected store needs that passphrase (FIELDNOTE_PASSPHRASE).",
    )
    restore.add_argument("file", help="the backup file")
    restore.set_defaults(func=_restore)


def _backup(args) -> int:
    from desktop.store import StoreError
    from desktop.store.backup import backup_home

    try:
        manifest = backup_home(None, args.output)
    except (StoreError, OSError) as exc:
        print(f"fieldnote: {exc}", file=sys.stderr)
        return 1
    print(
        f"Backup written to {args.output} ({manifest['db_size'] / 1024 / 1024:.1f} MB; "
        f"{manifest['pending_changes']} change(s) not yet sent to the server)."
    )
    return 0


def _restore(args) -> int:
    from desktop.store import StoreError
    from desktop.store.backup import restore_backup

    try:
        manifest = restore_backup(args.file, None)
    except (StoreError, OSError) as exc:
        print(f"fieldnote: {exc}", file=sys.stderr)
        return 1
    print(f"Restored the store as it was at {manifest['made_at']}.")
    return 0
