"""``fieldnote-server``: run the server, add accounts, migrate the database."""
from __future__ import annotations

import argparse
import getpass
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fieldnote-server",
        description="Fieldnote's central sync server. With no command it serves on "
                    "127.0.0.1:8000 with a SQLite database in the user's data folder.")
    db_help = ("database URL, e.g. postgresql+psycopg://user@host/fieldnote "
               "(default: FIELDNOTE_SERVER_DATABASE_URL, else a SQLite file)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = sub.add_parser("serve", help="run the HTTP server",
                           description="Run the HTTP server (put TLS in front of it).")
    for p in (parser, serve):
        p.add_argument("--host", default="127.0.0.1", help="address to listen on")
        p.add_argument("--port", type=int, default=8000, help="port to listen on")
        p.add_argument("--database", help=db_help)
    adduser = sub.add_parser("adduser", help="add a user account",
                             description="Add a user. The password is asked for, or read from "
                                         "standard input with --password-stdin.")
    adduser.add_argument("username")
    adduser.add_argument("--role", required=True, choices=["practitioner", "team_lead", "admin"])
    adduser.add_argument("--team", help="the user's team (created if new)")
    adduser.add_argument("--caseworker-id",
                         help="id of the user's caseworker record (their allocations)")
    adduser.add_argument("--password-stdin", action="store_true",
                         help="read the password from standard input")
    adduser.add_argument("--database", help=db_help)
    migrate = sub.add_parser("migrate", help="bring the database schema up to date",
                             description="Run the database migrations (serve does this too).")
    migrate.add_argument("--database", help=db_help)
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
        uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False)
        return 0
    from sync.server.db import make_engine, migrate, write_transaction

    engine = make_engine(_settings(args).resolved_database_url())
    migrate(engine)
    if command == "migrate":
        print("database is up to date")
        return 0
    from sync.server import accounts

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Again: "):
            print("fieldnote-server: the passwords differ", file=sys.stderr)
            return 1
    try:
        with engine.connect() as conn, write_transaction(conn):
            user = accounts.create_user(conn, args.username, password, args.role, args.team,
                                        args.caseworker_id)
    except accounts.AccountError as exc:
        print(f"fieldnote-server: {exc}", file=sys.stderr)
        return 1
    print(f"added {user.role} {user.username} ({user.id})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
