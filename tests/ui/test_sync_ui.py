"""Sign in, sync in the background, and the status indicator, against a real server process."""

from __future__ import annotations

import pytest

from desktop.ui.sync_ui import SignInDialog, status_text
from tests.sync.conftest import PASSWORD, free_port, laptops, sqlite_server, sqlite_service  # noqa: F401
from tests.ui.conftest import FakeThreadPool


@pytest.fixture
def window(make_window, store):
    window = make_window(store)
    window.tasks.use_pool(FakeThreadPool())
    return window


def test_status_before_signing_in(case, window, store):
    text, tip = status_text(store)
    assert text == f"Not signed in · {store.pending_count()} changes waiting"
    assert "Sign in" in tip
    assert window.sync.button.text() == text
    assert window.sync.sync_now(quiet=True) is False  # nothing to sync with


def test_sign_in_then_sync_brings_the_allocated_case(qtbot, window, store, sqlite_service):
    """Practitioner A signs in on an empty laptop: the case allocated to A arrives."""
    service = sqlite_service
    dialog = SignInDialog(window.tasks, parent=window)
    qtbot.addWidget(dialog)
    dialog.server.setText(service.server.url)
    dialog.user.setText(service.ids["a_username"])
    dialog.password.setText("wrong password")
    dialog.sign_in()
    assert "Wrong username or password" in dialog.message.text()
    dialog.password.setText(PASSWORD)
    dialog.sign_in()
    assert dialog.result() == dialog.DialogCode.Accepted
    assert dialog.password.text() == ""  # not kept on screen

    with qtbot.waitSignal(window.sync.finished) as blocker:
        assert window.sync.sync_now()
    report, error = blocker.args
    assert error is None and report.received > 0
    assert [window.model.index(r, 0).data() for r in range(window.model.rowCount())] == ["Ivy Okafor"]
    assert window.sync.button.text().startswith("Synced · ")
    assert "0 changes waiting" in window.sync.button.text()
    assert window.sync.token  # kept from the worker's keyring read: not read again per sync

    from sync.client.auth import stored_token

    with qtbot.waitSignal(window.sync.signed_out) as blocker:
        window.sync.sign_out()  # the logout request runs on the store worker
    assert blocker.args == [None]
    assert window.sync.token is None and stored_token(service.server.url, store) is None


def test_an_unreachable_server_shows_offline_and_loses_nothing(qtbot, window, store, case):
    from sync.client import local
    from sync.client.auth import save_token

    url = f"http://127.0.0.1:{free_port()}"  # nothing listens here
    local.set_state(store, "server_url", url)
    save_token(url, "a-token", store)
    waiting = store.pending_count()
    with qtbot.waitSignal(window.sync.finished, timeout=60_000) as blocker:
        assert window.sync.sync_now(quiet=True)
    assert blocker.args[1] is not None
    assert window.sync.button.text().startswith(f"Offline · {waiting} changes waiting")
    assert store.pending_count() == waiting and store.get("referral", case["referral"])


def test_a_demo_store_never_syncs(window, store, caseload):
    from desktop.demo import fill_demo

    fill_demo(caseload, 5)
    window.refresh()
    assert window.sync.sync_now() is False
    assert status_text(store)[0] == window.sync.button.text() == "Demo data — never synced"
    assert "waiting" not in window.sync.button.text()  # nothing is waiting: it never goes
    assert window.statusBar().currentMessage() == "Demo data — never synced."  # F9 says why
    sign_in = window.findChild(type(window.sync.actions[0]), "signIn")
    assert not sign_in.isEnabled() and not window.findChild(type(sign_in), "signOut").isEnabled()
    assert window.sync.sign_in() is False  # never offered, even from the indicator
