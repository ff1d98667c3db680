"""``fieldnote-server``: run the server, add accounts, migrate the database, publish packs."""

from __future__ import annotations

import argparse
import gc
import getpass
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fieldnote-server",
        description="Fieldnote's central sync server. With no command it serves on "
        "127.0.0.1:8000 with a SQLite database in the user's data folder.",
    )
    db_help = (
        "database URL, e.g. postgresql+psycopg://user@host/fieldnote "
        "(default: FIELDNOTE_SERVER_DATABASE_URL, else a SQLite file)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = sub.add_parser(
        "serve", help="run the HTTP server", description="Run the HTTP server (put TLS in front of it)."
    )
    for p in (parser, serve):
        p.add_argument("--host", default="127.0.0.1", help="address to listen on")
        p.add_argument("--port", type=int, default=8000, help="port to listen on")
        p.add_argument("--database", help=db_help)
    adduser = sub.add_parser(
        "adduser",
        help="add a user account",
        description="Add a user. The password is asked for, or read from standard input with --password-stdin.",
    )
    adduser.add_argument("username")
    adduser.add_argument("--role", required=True, choices=["practitioner", "team_lead", "admin"])
    adduser.add_argument("--team", help="the user's team (created if new)")
    adduser.add_argument("--caseworker-id", help="id of the user's caseworker record (their allocations)")
    adduser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    adduser.add_argument("--database", help=db_help)
    migrate = sub.add_parser(
        "migrate",
        help="bring the database schema up to date",
        description="Run the database migrations (serve does this too).",
    )
    migrate.add_argument("--database", help=db_help)
    publish = sub.add_parser(
        "publish-pack",
        help="publish an instrument pack or audit template to every laptop",
        description="Check a pack file (docs/instrument-packs.md) and publish it: every "
        "laptop installs it at its next sync. The same id and version with "
        "other content is refused; a higher version replaces the current one.",
    )
    publish.add_argument("file", metavar="FILE", help="pack file (JSON)")
    publish.add_argument("--database", help=db_help)
    list_packs = sub.add_parser(
        "list-packs",
        help="list published packs",
        description="List every published pack version; the current one of each pack (what laptops get) is marked *.",
    )
    list_packs.add_argument("--database", help=db_help)
    withdraw = sub.add_parser(
        "withdraw-pack",
        help="withdraw a published pack",
        description="Withdraw a pack (every version, or one with --version): laptops remove "
        "the copy they had from the server at their next sync.",
    )
    withdraw.add_argument("pack_id", metavar="PACK_ID")
    withdraw.add_argument("--version", help="withdraw only this version")
    withdraw.add_argument("--database", help=db_help)
    prune = sub.add_parser(
        "prune-uploads",
        help="remove uploads no record names, older than a number of days",
        description="Remove completed uploads that no attachment record names and unfinished "
        "uploads, once idle for --days (default: FIELDNOTE_SERVER_UNCLAIMED_UPLOAD_DAYS,"
        " 7). The server also does this by itself, at most once an hour.",
    )
    prune.add_argument("--days", type=float, help="how long they may wait (days)")
    prune.add_argument("--database", help=db_help)
    unlock = sub.add_parser(
        "unlock",
        help="forget an account's failed sign-ins",
        description="Forget USER's failed sign-ins, so they can sign in again at once "
        "(a laptop they signed in from before is never locked out).",
    )
    unlock.add_argument("username", metavar="USER")
    unlock.add_argument("--database", help=db_help)
    backup = sub.add_parser(
        "backup",
        help="write a consistent copy of the database to a file",
        description="Back up the database while the server runs: SQLite's online backup API "
        "for SQLite, pg_dump (custom format, restore with pg_restore) for "
        "PostgreSQL. See packaging/server/README.md.",
    )
    backup.add_argument("--output", "-o", required=True, help="the backup file to write")
    backup.add_argument("--database", help=db_help)
    return parser


def _settings(args):
    from sync.server.settings import Settings

    settings = Settings()
    if args.database:
        settings.database_url = args.database
    return settings


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = args.command or "serve"
    if command == "serve":
        import uvicorn

        from sync.server import logs
        from sync.server.main import create_app

        settings = _settings(args)
        logs.configure(settings.log_level)
        app = create_app(settings)
        # What start-up built (modules, routes, compiled statements) lives as long as the
        # process: moved out of the collector's view, a push's full collections no longer
        # walk it (a tenth of a large push's time went on them).
        gc.freeze()
        uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False)
        return 0
    if command == "backup":
        from sync.server.backup import BackupError, backup

        try:
            what = backup(_settings(args).resolved_database_url(), args.output)
        except (BackupError, OSError) as exc:
            print(f"fieldnote-server: {exc}", file=sys.stderr)
            return 1
        print(f"backup written to {args.output} ({what})")
        return 0
    from sync.server.db import make_engine, migrate, write_transaction

    engine = make_engine(_settings(args).resolved_database_url())
    migrate(engine)
    if command == "migrate":
        print("database is up to date")
        return 0
    if command in ("publish-pack", "list-packs", "withdraw-pack"):
        return _packs(command, args, engine)
    if command == "prune-uploads":
        import time

        from sync.server import attachments

        days = args.days if args.days is not None else _settings(args).unclaimed_upload_days
        with engine.connect() as conn, write_transaction(conn):
            counts = attachments.prune(conn, time.time(), days)
        print(f"removed {counts['files']} unclaimed file(s) and {counts['unfinished']} unfinished upload(s)")
        return 0
    from sync.server import accounts

    if command == "unlock":
        with engine.connect() as conn, write_transaction(conn):
            forgotten = accounts.unlock(conn, args.username)
        print(f"{args.username}: {forgotten} failed sign-in(s) forgotten")
        return 0
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Again: "):
            print("fieldnote-server: the passwords differ", file=sys.stderr)
            return 1
    try:
        with engine.connect() as conn, write_transaction(conn):
            user = accounts.create_user(conn, args.username, password, args.role, args.team, args.caseworker_id)
    except accounts.AccountError as exc:
        print(f"fieldnote-server: {exc}", file=sys.stderr)
        return 1
    print(f"added {user.role} {user.username} ({user.id})")
    return 0


def _packs(command: str, args, engine) -> int:
    from pathlib import Path

    from sync.server import content
    from sync.server.db import write_transaction

    try:
        if command == "publish-pack":
            try:
                data = Path(args.file).read_bytes()
            except OSError as exc:
                print(f"fieldnote-server: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
                return 1
            text = content.decode(data, args.file)
            with engine.connect() as conn, write_transaction(conn):
                result = content.publish(conn, text, None, source=args.file)
            note = "" if result["current"] else " (a higher version is current)"
            print(
                f"{result['status']}: {result['pack_id']} {result['version']} — "
                f"{result['title']} (sha256 {result['sha256']}){note}"
            )
        elif command == "withdraw-pack":
            with engine.connect() as conn, write_transaction(conn):
                versions = content.withdraw(conn, args.pack_id, None, args.version)
            print(f"withdrawn: {args.pack_id} {', '.join(versions)}")
        else:
            with engine.connect() as conn, conn.begin():
                rows = content.listing(conn)
            for row in rows:
                state = "*" if row["current"] else ("withdrawn" if row["withdrawn_at"] else "")
                print(
                    f"{row['pack_id']}  {row['version']}  {row['kind']}  {row['title']}  "
                    f"{row['sha256'][:12]}  {state}".rstrip()
                )
    except content.ContentError as exc:
        print(f"fieldnote-server: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
