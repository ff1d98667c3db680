"""Scripted sync without a keyring (issue 9, item 10): ``fieldnote login`` keeps the token
in the encrypted store, ``fieldnote sync`` uses it, ``logout`` revokes it; a token that
cannot be kept is revoked at once. The tests' keyring is the "fail" backend (no keyring),
against a real server process."""

from __future__ import annotations

import io
import json

import keyring
import keyring.backends.fail

from desktop.cli import main
from desktop.store import open_store
from sync.client import local
from sync.client.auth import keyring_account
from tests.conftest import PASSPHRASE
from tests.sync.conftest import PASSWORD


def token_works(server, token: str) -> bool:
    return server.api.get("/auth/me", token).status_code == 200


def kept_token(home, url) -> str | None:
    store = open_store(home, PASSPHRASE)
    try:
        return local.get_state(store, keyring_account(url)) or None
    finally:
        store.close()


def test_login_sync_and_logout_without_a_keyring(sqlite_service, monkeypatch, capsys, isolated_home):
    assert isinstance(keyring.get_keyring(), keyring.backends.fail.Keyring)
    service, url = sqlite_service, sqlite_service.server.url
    monkeypatch.setenv("FIELDNOTE_PASSPHRASE", PASSPHRASE)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["login", "--server", url, "--user", service.ids["a_username"], "--password-stdin"]) == 0
    assert "signed in" in capsys.readouterr().out
    token = kept_token(isolated_home, url)
    assert token and token_works(service.server, token)
    assert token.encode() not in (isolated_home / "fieldnote.db").read_bytes()  # encrypted

    assert main(["sync", "--server", url]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["received"] >= 4
    assert main(["sync"]) == 0  # the server is remembered
    store = open_store(isolated_home, PASSPHRASE)
    assert store.get("referral", service.ids["referral"]) is not None
    store.close()

    assert main(["logout", "--server", url]) == 0
    assert kept_token(isolated_home, url) is None
    assert not token_works(service.server, token)  # revoked on the server
    assert main(["sync", "--server", url]) == 1
    assert "not signed in" in capsys.readouterr().err


def test_without_a_keyring_or_passphrase_no_token_is_asked_for(sqlite_service, monkeypatch, capsys, isolated_home):
    asked = []
    monkeypatch.setattr("sync.client.transport.Transport.post", lambda self, path, body: asked.append(path))
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert (
        main(
            [
                "login",
                "--server",
                sqlite_service.server.url,
                "--user",
                sqlite_service.ids["a_username"],
                "--password-stdin",
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "no OS keyring" in err and "FIELDNOTE_PASSPHRASE" in err and "Traceback" not in err
    assert asked == []  # the server was never asked for a token it could not keep


def test_a_token_that_cannot_be_kept_is_revoked(sqlite_service, monkeypatch, capsys, isolated_home):
    from sync.client import auth

    service, url = sqlite_service, sqlite_service.server.url
    minted = []
    real_save = auth.save_token

    def failing_save(server_url, token, store=None):
        minted.append(token)
        real_save(server_url, token, None)  # as if the store were not there: nowhere to keep it

    monkeypatch.setattr(auth, "save_token", failing_save)
    monkeypatch.setenv("FIELDNOTE_PASSPHRASE", PASSPHRASE)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["login", "--server", url, "--user", service.ids["a_username"], "--password-stdin"]) == 1
    err = capsys.readouterr().err
    assert "could not be kept" in err and "cancelled on the server" in err
    (token,) = minted
    assert not token_works(service.server, token)
    assert kept_token(isolated_home, url) is None
