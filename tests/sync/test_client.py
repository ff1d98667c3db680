"""The laptop side: demo stores never sync, HTTPS only, keyring tokens, the CLI commands."""

from __future__ import annotations

import io
import json

import keyring
import pytest

from desktop.cli import main
from sync.client import SyncEngine, SyncError, sync_status
from sync.client.auth import KEYRING_SERVICE
from tests.conftest import PASSPHRASE
from tests.sync.conftest import PASSWORD


def test_a_demo_store_never_syncs(store):
    """A store marked as demonstration data refuses to sync before any network call."""
    store.set_meta("demo", "1")
    engine = SyncEngine(store, "https://fieldnote.invalid", "token")
    with pytest.raises(SyncError, match="demonstration"):
        engine.sync()


@pytest.mark.parametrize("url", ["http://sync.example.org", "ftp://sync.example.org", "nonsense"])
def test_only_https_servers_are_accepted_away_from_this_computer(store, url):
    """Casework never travels unencrypted: plain HTTP is refused except on loopback."""
    with pytest.raises(SyncError):
        SyncEngine(store, url, "token")


def test_certificate_checking_cannot_be_turned_off(store):
    """The transport always verifies TLS certificates."""
    engine = SyncEngine(store, "https://sync.example.org", "token")
    assert engine.transport.session.verify is True
    import inspect

    from sync.client import transport

    assert "verify=False" not in inspect.getsource(transport)


def test_status_reports_what_is_waiting(store):
    """Before any sync: nothing synced yet, every local change waiting, nothing to attend."""
    store.create("school", {"name": "Fernside Academy"})
    status = sync_status(store)
    assert (status.last_synced_at, status.changes_waiting, status.attention_count) == (None, 1, 0)


def test_login_and_sync_commands(sqlite_service, memory_keyring, monkeypatch, capsys, isolated_home):
    """``fieldnote login`` keeps the token in the keyring; ``fieldnote sync`` brings the
    practitioner's case into the local store and prints a JSON summary."""
    service = sqlite_service
    url = service.server.url
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["login", "--server", url, "--user", service.ids["a_username"], "--password-stdin"]) == 0
    assert keyring.get_password(KEYRING_SERVICE, f"server-token:{url}")
    monkeypatch.setenv("FIELDNOTE_PASSPHRASE", PASSPHRASE)
    assert main(["sync", "--server", url]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["received"] >= 4 and summary["digest_match"] is True
    assert main(["sync"]) == 0  # the server is remembered
    from desktop.store import open_store

    local = open_store(isolated_home)
    assert local.get("referral", service.ids["referral"]) is not None
    local.close()
    assert main(["logout", "--server", url]) == 0
    assert keyring.get_password(KEYRING_SERVICE, f"server-token:{url}") is None


def test_login_with_a_wrong_password_says_so(sqlite_service, memory_keyring, monkeypatch, capsys):
    """A refused sign-in exits 1 with a message and stores nothing."""
    monkeypatch.setattr("sys.stdin", io.StringIO("wrong-password\n"))
    assert (
        main(
            [
                "login",
                "--server",
                sqlite_service.server.url,
                "--user",
                sqlite_service.ids["b_username"],
                "--password-stdin",
            ]
        )
        == 1
    )
    assert "Wrong username or password" in capsys.readouterr().err
    assert memory_keyring.secrets == {}
