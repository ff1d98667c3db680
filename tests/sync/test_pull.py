"""Pull: pages, no-op re-application, interrupted applies, restarts, digests, bad answers."""

from __future__ import annotations

import http.server
import json

import pytest

from tests.remote import apply_remote
from desktop.store import Store
from sync.client import SyncError
from sync.client.engine import SyncEngine
from sync.client.transport import Transport
from tests.sync.conftest import fake_server, mutation


def _add_visits(service, n):
    ids = [
        service.office.create(
            "visit",
            {
                "referral_id": service.ids["referral"],
                "visit_date": f"2026-11-{10 + i % 10:02d}",
                "visit_type": "review",
                "notes": f"visit {i}",
            },
        )
        for i in range(n)
    ]
    service.engine(service.office, "admin").sync()
    return ids


def _rows(store: Store, entity: str) -> list[dict]:
    return [
        {k: v for k, v in r.items() if k != "modified_at"}
        for r in store.db.query(f"SELECT * FROM [{entity}] ORDER BY id")
    ]


def _snapshot(store: Store) -> dict:
    tables = ["school", "caseworker", "pupil", "referral", "visit", "sync_record", "sync_state", "outbox"]
    return {
        t: _rows(store, t)
        if t not in ("sync_record", "sync_state", "outbox")
        else list(store.db.query(f"SELECT * FROM [{t}] ORDER BY 1, 2"))
        for t in tables
    }


def test_pull_comes_in_pages_with_a_cursor(service):
    """Small pages: each says whether more follow and where to continue; together they hold
    every record in scope exactly once."""
    visits = _add_visits(service, 7)
    api, token = service.server.api, service.tokens["a"]
    cursor, seen, pages = 0, [], 0
    while True:
        page = api.get("/sync/pull", token, cursor=cursor, limit=3).json()
        assert len(page["records"]) <= 3 and page["next_cursor"] >= cursor
        seen += [r["id"] for r in page["records"]]
        cursor, pages = page["next_cursor"], pages + 1
        if not page["has_more"]:
            break
    assert pages >= 4 and len(seen) == len(set(seen))
    assert set(visits) | {service.ids["referral"], service.ids["pupil"]} <= set(seen)
    empty = api.get("/sync/pull", token, cursor=cursor, limit=3).json()
    assert empty == {"records": [], "revoked": [], "next_cursor": cursor, "has_more": False}


def test_reapplying_an_applied_page_changes_nothing(service, laptops):
    """The same page applied twice: no row, version or outbox entry changes the second time."""
    laptop = laptops("a")
    engine = service.engine(laptop, "a", page_size=4)
    pages = []
    engine.on_page = pages.append
    engine.sync()
    before = _snapshot(laptop)
    from sync.client.engine import SyncReport

    for page in pages:
        report = SyncReport()
        engine._apply_page(page, report, force=False)
        assert report.received == 0
    assert _snapshot(laptop) == before | {"sync_state": _snapshot(laptop)["sync_state"]}
    assert laptop.pending_count() == 0 and laptop.db["outbox"].count == 0


def test_a_pull_killed_mid_page_leaves_nothing_half_applied_and_resumes(service, laptops):
    """An error in the middle of applying a page rolls the whole page back (cursor too);
    the next sync carries on and ends equal to an uninterrupted one."""
    _add_visits(service, 6)
    laptop, reference = laptops("a"), laptops("a2")
    service.engine(reference, "a").sync()
    engine = service.engine(laptop, "a", page_size=3)
    calls = {"n": 0}
    original = engine._apply_states

    def dies_in_the_second_page(states, **kw):
        # Pages are applied in batches: the second page's records are written, then the
        # power goes before its cursor is.
        calls["n"] += 1
        changed = original(states, **kw)
        if calls["n"] == 2:
            raise KeyboardInterrupt("power cut")
        return changed

    engine._apply_states = dies_in_the_second_page
    with pytest.raises(KeyboardInterrupt):
        engine.sync()
    cursor_after_first_page = int(
        laptop.conn.execute("SELECT value FROM sync_state WHERE key = 'cursor'").fetchone()[0]
    )
    assert (
        laptop.db["visit"].count
        + laptop.db["referral"].count
        + laptop.db["pupil"].count
        + laptop.db["school"].count
        + laptop.db["caseworker"].count
        == 3
    )
    assert cursor_after_first_page > 0
    assert laptop.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    service.engine(laptop, "a").sync()
    for entity in ("school", "caseworker", "pupil", "referral", "visit"):
        assert _rows(laptop, entity) == _rows(reference, entity)


def test_the_server_restarting_mid_pull_is_survived(sqlite_service, laptops):
    """The server is stopped and started again between two pages: the engine retries with
    backoff and finishes with everything."""
    service = sqlite_service
    visits = _add_visits(service, 6)
    laptop = laptops("a")
    transport = Transport(service.server.url, service.tokens["a"], backoff=0.05, retries=8)
    restarted = []

    def restart_once(page):
        if not restarted:
            restarted.append(True)
            service.server.restart()

    SyncEngine(laptop, service.server.url, None, transport=transport, page_size=2, on_page=restart_once).sync()
    assert restarted and all(laptop.get("visit", v) for v in visits)
    assert laptop.conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_pending_local_edits_are_not_overwritten_by_a_pull(service, laptops):
    """A field edited here but not yet sent keeps its local value when the pull brings the
    server's; other fields of the record take the server's values."""
    laptop = laptops("a")
    service.engine(laptop, "a").sync()
    service.server.api.push(
        service.tokens["lead"],
        [
            mutation(
                "referral", service.ids["referral"], fields={"concern": "Lead's words.", "source": "parent"}, base=2
            )
        ],
    )
    laptop.update("referral", service.ids["referral"], {"concern": "My words."})
    service.engine(laptop, "a").pull()
    row = laptop.get("referral", service.ids["referral"])
    assert (row["concern"], row["source"]) == ("My words.", "parent")
    assert laptop.pending_count() == 1  # still to be pushed; pulled data wrote no outbox entry


def test_a_digest_mismatch_resyncs_the_scope_from_the_start(service, laptops):
    """A record this laptop holds but should not (or at the wrong version) makes the
    digests differ; the engine re-syncs from cursor 0 and removes the stray record."""
    laptop = laptops("a")
    engine = service.engine(laptop, "a")
    engine.sync()
    assert engine.verify() is True
    with laptop.transaction():
        laptop.conn.execute("PRAGMA foreign_keys = OFF")
        apply_remote(
            laptop,
            "school",
            "stray-school",
            {"name": "Not yours"},
            version=1,
            field_versions={"name": 1},
            deleted=False,
        )
        laptop.conn.execute("INSERT INTO sync_record VALUES ('school', 'stray-school', 1)")
        laptop.conn.execute("UPDATE sync_record SET server_version = 99 WHERE entity = 'pupil'")
    report = engine.sync()
    assert report.digest_match is False and report.resynced
    assert laptop.get("school", "stray-school") is None
    assert engine.verify() is True


def test_a_server_from_before_the_set_digest_is_asked_in_its_own_terms(sqlite_service, laptops):
    """An older server ignores "algorithm" and answers without it: the laptop asks again
    with the "sorted" digest, and a laptop in step still matches (no needless re-sync)."""
    service = sqlite_service
    laptop = laptops("a")
    engine = service.engine(laptop, "a")
    engine.sync(verify=False)
    real_post = engine.transport.post
    asked = []

    def old_server(path, body):
        if path != "/sync/digest":
            return real_post(path, body)
        asked.append(body.get("algorithm", "sorted"))
        answer = real_post(path, {"digest": body["digest"]})  # what an old server reads
        answer.pop("algorithm")  # ...and what it says
        return answer

    engine.transport.post = old_server
    report = engine.sync()
    assert asked == ["set", "sorted"]
    assert report.digest_match is True and not report.resynced


class Garbage(http.server.BaseHTTPRequestHandler):
    answers = {
        "/sync/pull": (200, b"<html>proxy login</html>"),
        "/sync/push": (200, json.dumps({"results": "nope"}).encode()),
        "/sync/digest": (200, b"[]"),
    }

    def _answer(self):
        status, body = self.answers.get(self.path.split("?")[0], (404, b"{}"))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def garbage_server():
    with fake_server(Garbage) as url:
        yield url


def test_a_server_answering_garbage_is_a_clear_error_and_changes_nothing(garbage_server, laptops):
    """Non-JSON or wrongly shaped answers raise SyncError; the outbox and data stay as they
    were."""
    laptop = laptops("a")
    school = laptop.create("school", {"name": "Fernside Academy"})
    before = _snapshot(laptop)
    engine = SyncEngine(laptop, garbage_server, "token")
    with pytest.raises(SyncError, match="not understood"):
        engine.push()
    with pytest.raises(SyncError, match="not understood"):
        engine.pull()
    after = _snapshot(laptop)
    assert after["outbox"] == before["outbox"] and after["school"] == before["school"]
    assert laptop.get("school", school) and laptop.pending_count() == 1


def test_network_errors_are_retried_with_growing_waits(laptops):
    """Connection refused: the transport retries with exponential backoff, then gives up
    with a SyncError, having changed nothing."""
    from tests.sync.conftest import free_port

    waits = []
    transport = Transport(f"http://127.0.0.1:{free_port()}", "t", retries=4, backoff=1.0, sleep=waits.append)
    with pytest.raises(SyncError, match="could not be reached"):
        transport.get("/sync/pull")
    assert len(waits) == 4
    assert all(0.5 * 2**i <= w <= 2**i for i, w in enumerate(waits))


def test_a_pull_gives_way_to_a_waiting_writer_and_a_cut_between_commits_resumes(service, laptops):
    """While the GUI thread waits to write, a page commits after each batch (so a key press
    waits for one batch, not a page); a power cut between those commits keeps the cursor,
    and the next sync ends equal to an uninterrupted one."""
    _add_visits(service, 6)
    laptop, reference = laptops("a"), laptops("a2")
    service.engine(reference, "a").sync()
    engine = service.engine(laptop, "a")  # one page holds everything
    engine.apply_chunk = 2
    laptop.writers_waiting = lambda: True  # as if a key press were waiting throughout
    commits, cursors = [], []
    original = engine._apply_safely

    def cut_after_two_commits(states, report, **kw):
        cursors.append(laptop.conn.execute("SELECT value FROM sync_state WHERE key = 'cursor'").fetchone())
        commits.append(laptop.conn.in_transaction)
        if len(commits) == 3:
            raise KeyboardInterrupt("power cut")
        return original(states, report, **kw)

    engine._apply_safely = cut_after_two_commits
    with pytest.raises(KeyboardInterrupt):
        engine.sync()
    held = sum(laptop.db[e].count for e in ("school", "caseworker", "pupil", "referral", "visit"))
    assert held == 4  # two batches of two records committed, one at a time
    assert laptop.conn.execute("SELECT value FROM sync_state WHERE key = 'cursor'").fetchone() in (
        None,
        ("0",),
    )  # the page's cursor never committed
    engine = service.engine(laptop, "a")
    engine.sync()
    for entity in ("school", "caseworker", "pupil", "referral", "visit"):
        assert _rows(laptop, entity) == _rows(reference, entity)
    assert engine.local_digest() == service.engine(reference, "a").local_digest()


def test_with_no_writer_waiting_a_page_is_one_transaction(service, laptops):
    """No one else writing: the page's batches share one commit (no slower than before)."""
    from sync.client.engine import SyncReport

    _add_visits(service, 6)
    pages = []
    first = service.engine(laptops("a2"), "a")
    first.on_page = pages.append
    first.pull()
    assert len(pages) == 1 and len(pages[0]["records"]) > 4
    laptop = laptops("a")
    engine = service.engine(laptop, "a")
    engine.apply_chunk = 2
    begins = []
    original = laptop.transaction

    def counted():
        if not laptop.conn.in_transaction:
            begins.append(1)
        return original()

    laptop.transaction = counted
    report = SyncReport()
    engine._apply_page(pages[0], report, force=False)
    assert begins == [1] and report.received == len(pages[0]["records"])


def test_beside_the_gui_a_page_commits_in_short_transactions_and_its_cursor_last(service, laptops):
    """On the app's store worker (``background``) a page is applied in transactions of at
    most ``apply_seconds``, each put on disk before the next; the cursor commits with the
    last one only, so a power cut after any earlier one fetches the page again, and the
    next sync ends equal to an uninterrupted one."""
    from desktop.store import turns

    _add_visits(service, 6)
    laptop, reference = laptops("a"), laptops("a2")
    service.engine(reference, "a").sync()
    laptop.background = True
    engine = service.engine(laptop, "a")  # one page holds everything
    engine.apply_chunk = 2  # every batch its own transaction, the GUI busy or not:
    engine.apply_seconds = engine.quiet_apply_seconds = 1e-9
    cursors, flushes, owned = [], [], []
    original, flush = engine._apply_safely, laptop.flush_journal

    def applying(states, report, **kw):
        cursors.append(laptop.conn.execute("SELECT value FROM sync_state WHERE key = 'cursor'").fetchone())
        owned.append(turns.checkpoints_owned(laptop.path))
        if len(cursors) == 3:
            raise KeyboardInterrupt("power cut")
        return original(states, report, **kw)

    def flushed():
        flushes.append(laptop.conn.in_transaction)
        flush()

    engine._apply_safely, laptop.flush_journal = applying, flushed
    with pytest.raises(KeyboardInterrupt):
        engine.sync()
    held = sum(laptop.db[e].count for e in ("school", "caseworker", "pupil", "referral", "visit"))
    assert held == 4  # two transactions of two records committed
    assert flushes == [False, False]  # each put on disk between transactions
    assert cursors == [("0",)] * 3 and owned == [True] * 3  # the page's cursor not yet
    assert laptop.conn.execute("SELECT value FROM sync_state WHERE key = 'cursor'").fetchone() == ("0",)
    assert not turns.checkpoints_owned(laptop.path)  # given back when the pull stopped
    engine = service.engine(laptop, "a")
    engine.apply_chunk, engine.apply_seconds = 2, 1e-9
    engine.quiet_apply_seconds = 1e-9
    engine.sync()
    for entity in ("school", "caseworker", "pupil", "referral", "visit"):
        assert _rows(laptop, entity) == _rows(reference, entity)
    assert engine.local_digest() == service.engine(reference, "a").local_digest()


def test_alone_a_page_is_one_transaction_whatever_its_time(service, laptops):
    """``fieldnote sync`` (no GUI connection beside it): no time limit, no journal flushes
    of its own."""
    from sync.client.engine import SyncReport

    _add_visits(service, 6)
    pages = []
    first = service.engine(laptops("a2"), "a")
    first.on_page = pages.append
    first.pull()
    laptop = laptops("a")
    engine = service.engine(laptop, "a")
    engine.apply_chunk, engine.apply_seconds = 2, 1e-9
    engine.quiet_apply_seconds = 1e-9
    begins, flushes = [], []
    original = laptop.transaction

    def counted():
        if not laptop.conn.in_transaction:
            begins.append(1)
        return original()

    laptop.transaction = counted
    laptop.flush_journal = lambda: flushes.append(1)
    engine._apply_page(pages[0], SyncReport(), force=False)
    assert begins == [1] and flushes == []


@pytest.mark.parametrize("idle, transactions", [(0.0, "one per batch"), (float("inf"), "one")])
def test_beside_the_gui_transactions_are_short_only_while_it_writes(service, laptops, idle, transactions):
    """The GUI wrote a moment ago: transactions of ``apply_seconds``. It has not written for
    a while: of ``quiet_apply_seconds`` (fewer commits, a sync as fast as one alone)."""
    from sync.client.engine import SyncReport

    _add_visits(service, 6)
    pages = []
    first = service.engine(laptops("a2"), "a")
    first.on_page = pages.append
    first.pull()
    laptop = laptops("a")
    laptop.background = True
    laptop.writers_idle = lambda: idle
    engine = service.engine(laptop, "a")
    engine.apply_chunk, engine.apply_seconds, engine.quiet_apply_seconds = 2, 1e-9, 60.0
    begins = []
    original = laptop.transaction

    def counted():
        if not laptop.conn.in_transaction:
            begins.append(1)
        return original()

    laptop.transaction = counted
    engine._apply_page(pages[0], SyncReport(), force=False)
    batches = -(-len(pages[0]["records"]) // 2)
    assert len(begins) == (batches if transactions == "one per batch" else 1)


def test_writers_idle_counts_from_the_last_foreground_transaction(tmp_path):
    gui = Store.open(tmp_path / "idle.db", b"\x01" * 32)
    gui.set_meta("x", "1")
    assert gui.writers_idle() < 5
    gui.close()
