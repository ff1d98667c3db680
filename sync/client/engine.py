"""``SyncEngine``: push the outbox, pull pages in scope, check the digest.

Safe to stop at any moment: each push reply and each pulled page is applied in
one local transaction together with its bookkeeping (outbox states, the cursor),
so a kill or an error leaves the store at the last completed step, and running
``sync()`` again carries on from there.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

from desktop.store import Store, utc_now
from sync.client import apply, attachments, content, local, quarantine, restore
from sync.client.errors import Refused, SyncError, Unreachable, describe_failure
from sync.client.report import SyncReport, need  # noqa: F401 - SyncReport is part of this API
from sync.client.transport import Transport
from sync.protocol import (
    DIGEST_SET,
    DIGEST_SORTED,
    LEGACY_PUSH_BATCH,
    MAX_PULL_LIMIT,
    MAX_PUSH_BATCH,
    SCHEMA_VERSION,
)

PERMANENT = {403, 409, 422}  # codes after which resending cannot help
LEGACY_PULL_LIMIT = 1000  # the largest page servers before pages of 5,000 give
# Records applied between looks at whether the GUI thread is waiting to write (then the
# sync commits and lets it), and the longest a pulled page's transaction goes on applying
# them before it commits anyway: a key press waits at most one batch and the commit of a
# transaction that short, however long the page (bench/keypress.py --during-sync).
# Beside the GUI, smaller batches, and transactions of at most APPLY_SECONDS while it
# has written in the last BUSY_SECONDS, else of QUIET_APPLY_SECONDS (fewer commits: a
# faster sync); alone (``fieldnote sync``) a page is one transaction of APPLY_CHUNK batches.
APPLY_CHUNK = 50
GIVE_WAY_CHUNK = 20
APPLY_SECONDS = 0.004
QUIET_APPLY_SECONDS = 0.05
BUSY_SECONDS = 2.0
SYNC_CACHE_KIB = 128 * 1024  # SQLite page cache during a sync (see SyncEngine._large_cache)
log = logging.getLogger("fieldnote.sync")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # JSON true is no number


def _check_state(state: Any) -> None:
    need(isinstance(state, dict), "record is not an object")
    need(isinstance(state.get("entity"), str) and isinstance(state.get("id"), str), "record id")
    need(_is_int(state.get("version")) and state["version"] >= 1, "record version")
    need(isinstance(state.get("fields"), dict), "record fields")
    need(isinstance(state.get("field_versions"), dict), "field versions")
    need(isinstance(state.get("deleted"), bool), "deleted flag")


def _check_push(answer: dict, batch: list[dict]) -> list[dict]:
    """The results of a push reply, checked, in the batch's order. A result marked
    ``as_sent`` (the record is stored exactly as its create sent it) is given the record
    as sent, so that what follows treats it like any record the server sends back."""
    results = answer.get("results")
    need(isinstance(results, list) and len(results) == len(batch), "push results")
    for result, entry in zip(results, batch):
        need(isinstance(result, dict) and result.get("mutation_id") == entry["mutation_id"], "push result order")
        need(result.get("status") in ("applied", "conflict", "rejected", "retry"), "status")
        need(isinstance(result.get("conflicts", []), list), "conflicts")
        if result.get("as_sent") is True and result.get("record") is None:
            need(result["status"] == "applied" and entry["op"] == "create", "as_sent is only for an applied create")
            need(_is_int(result.get("seq")), "seq")
            result["record"] = _as_sent(entry, result["seq"])
        elif result.get("record") is not None:
            _check_state(result["record"])
    return results


_json_text = json.JSONEncoder(allow_nan=False, separators=(",", ":")).encode  # as requests would refuse NaN


class PreparedBody(dict):
    """A push body (a dict like any other) whose changes were encoded to JSON beforehand
    (``text``, of ``body["mutations"]``): the transport sends it without encoding them
    again, so a batch goes the moment the reply before it arrives."""

    def __init__(self, body: dict, text: str):
        super().__init__(body)
        self.mutations_text = text

    def encoded(self) -> bytes:
        rest = {k: v for k, v in self.items() if k != "mutations"}
        head = _json_text(rest)
        return (head[:-1] + ("," if rest else "") + '"mutations":' + self.mutations_text + "}").encode()


def _as_sent(entry: dict, seq: int) -> dict:
    """A create's record as the server stores it when it took the change as sent."""
    return {
        "entity": entry["entity"],
        "id": entry["record_id"],
        "version": 1,
        "field_versions": dict.fromkeys(entry["fields"], 1),
        "fields": entry["fields"],
        "deleted": False,
        "seq": seq,
    }


def _check_page(page: dict, cursor: int, pause: Callable[[], None] | None = None) -> None:
    need(isinstance(page.get("records"), list), "records")
    need(isinstance(page.get("revoked"), list), "revoked")
    need(isinstance(page.get("has_more"), bool), "has_more")
    need(_is_int(page.get("next_cursor")) and page["next_cursor"] >= cursor, "cursor")
    for i, state in enumerate(page["records"]):
        _check_state(state)
        if pause is not None and i % 256 == 255:
            pause()
    for item in page["revoked"]:
        need(isinstance(item, dict) and isinstance(item.get("id"), str), "revocation")


def _fields_of(entries) -> set[str]:
    """The fields pending outbox entries change (see ``local.entry_fields``)."""
    names: set[str] = set()
    for e in entries:
        names |= local.entry_fields(e["op"], e["fields"])
    return names


class SyncEngine:
    """Syncs one store with one server as one signed-in user.

    ``sync()`` is what the UI and ``fieldnote sync`` call. The app runs it off the GUI
    thread on its one store worker (``desktop.ui.tasks.StoreTasks.write``), the same
    connection and thread as every other background write, so syncs never race them;
    the GUI thread's own writes wait at most one short transaction (``APPLY_SECONDS``).
    """

    def __init__(
        self,
        store: Store,
        server_url: str,
        token: str | None,
        *,
        transport: Transport | None = None,
        batch_size: int = MAX_PUSH_BATCH,
        page_size: int = MAX_PULL_LIMIT,
        max_attempts: int = 8,
        on_page: Callable[[dict], None] | None = None,
        on_token: Callable[[str], None] | None = None,
        packs_dir: Path | None = None,
    ):
        self.store = store
        self.transport = transport or Transport(server_url, token)
        self.server_url = self.transport.server_url
        self.batch_size = batch_size
        self.page_size = page_size
        self.max_attempts = max_attempts
        self.on_page = on_page  # called after each applied page (progress; tests)
        # Keeps a refreshed token (the keyring); without it the token is never refreshed.
        self.on_token = on_token
        self.packs_dir = packs_dir  # installed packs folder; None: desktop.paths.packs_dir()
        self.apply_chunk = APPLY_CHUNK  # records per batch of a pulled page (0: the page)
        # A pulled page's longest transaction beside the GUI, while it writes and while it
        # does not (0: no limit, as alone).
        self.apply_seconds = APPLY_SECONDS
        self.quiet_apply_seconds = QUIET_APPLY_SECONDS

    # -- the whole round -----------------------------------------------------------------
    def sync(self, *, verify: bool = True) -> SyncReport:
        """Push, then pull, then (optionally) compare digests and re-sync on a mismatch."""
        if self.store.meta("demo") == "1":
            raise SyncError("This store holds demonstration data, which never syncs.")
        report = SyncReport()
        try:
            with self._large_cache():
                self._remember_server()
                me = self._who_am_i()
                attachments.upload_pending(self.store, self.transport, report)  # before records
                self.push(report)
                self.pull(report, full=self._scope_changed(me) or report.device_renewed)
                content.sync_packs(self.store, self.transport, report, self.packs_dir)
                attachments.download_missing(self.store, self.transport, report)
                if verify:
                    self.verify(report)
                self._remember_identity(me)
                self._refresh_token(me)
                self.store.prune_sent()
        except SyncError as exc:
            self._remember_error(exc)
            raise
        except Exception as exc:  # noqa: BLE001 - whatever went wrong, a clear sync error
            # A server answering garbage the checks above did not foresee, a connection
            # broken part way, this laptop's store refusing a write: never a traceback for
            # the person syncing. Local data is as it was after the last completed step.
            # INFO, not ERROR: with no logging set up, Python prints warnings and errors (with
            # their traceback) on standard error, which is exactly what must not happen.
            log.info("sync failed", exc_info=True)
            error = SyncError(describe_failure(exc))
            self._remember_error(error)
            raise error from exc
        local.set_state(self.store, "last_error", "")
        local.set_state(self.store, "last_error_kind", "")
        local.set_state(self.store, "last_synced_at", utc_now())
        return report

    def _remember_error(self, exc: SyncError) -> None:
        with contextlib.suppress(Exception):  # a store that cannot be written says so itself
            local.set_state(self.store, "last_error", str(exc))
            local.set_state(self.store, "last_error_kind", "offline" if isinstance(exc, Unreachable) else "error")

    @contextlib.contextmanager
    def _large_cache(self):
        """A bigger page cache while syncing. Records have random UUID keys, so a page of
        thousands touches index pages all over a store of hundreds of megabytes; with the
        default 2 MB cache many were read and decrypted again. Memory goes back to normal
        afterwards."""
        conn = self.store.conn
        before = conn.execute("PRAGMA cache_size").fetchone()[0]
        checkpoint = conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        conn.execute(f"PRAGMA cache_size = {-SYNC_CACHE_KIB}")
        # Those scattered index pages are written to the WAL at each page's commit; copying
        # them into the database after every commit (the default checkpoint at 4 MB) wrote
        # most of them twice. Checkpoint every 64 MB during the sync instead.
        conn.execute("PRAGMA wal_autocheckpoint = 16384")
        try:
            yield
        finally:
            conn.execute(f"PRAGMA cache_size = {int(before)}")
            conn.execute(f"PRAGMA wal_autocheckpoint = {int(checkpoint)}")

    def _remember_server(self) -> None:
        known = local.get_state(self.store, "server_url")
        if known != self.server_url:
            # Another server's cursor means nothing here: start again from the beginning.
            with self.store.transaction():
                local.set_state(self.store, "server_url", self.server_url)
                local.set_state(self.store, "cursor", "0")
                self.store.conn.execute("DELETE FROM sync_record")
                local.forget_digest(self.store)

    # -- who is signed in ------------------------------------------------------------------
    def _who_am_i(self) -> dict | None:
        """The signed-in user as the server says (None from a server without /auth/me).

        Refuses to sync as someone else while this laptop holds another user's unsent or
        unreviewed changes: they would be sent in the new user's name, or purged."""
        try:
            me = self.transport.get("/auth/me")
        except Refused as exc:
            if exc.status == 404:
                return None
            raise
        need(all(isinstance(me.get(k), str) for k in ("id", "username", "role")), "user")
        need(isinstance(me.get("token_refresh_after"), (int, float)), "token times")
        known = local.get_state(self.store, "user_id")
        if known and known != me["id"]:
            status = local.sync_status(self.store)
            # Quarantined records are the server's, not the previous user's edits.
            waiting = status.changes_waiting + status.attention_count - len(status.quarantined)
            if waiting:
                who = local.get_state(self.store, "username") or "the previous user"
                raise SyncError(
                    f"This laptop holds {waiting} change(s) or item(s) needing attention from "
                    f"{who}. Sign in as {who} to send or settle them before syncing as "
                    f"{me['username']}."
                )
        return me

    @staticmethod
    def _scope_of(me: dict) -> str:
        return json.dumps([me["id"], me["role"], me.get("team"), me.get("caseworker_id")])

    def _scope_changed(self, me: dict | None) -> bool:
        """Whether the user, or what decides their scope (role, team, caseworker record),
        changed since the last sync: then the whole scope is pulled again and what is no
        longer in it leaves this laptop."""
        known = local.get_state(self.store, "scope")
        return me is not None and bool(known) and known != self._scope_of(me)

    def _remember_identity(self, me: dict | None) -> None:
        if me is not None:
            with self.store.transaction():
                local.set_state(self.store, "user_id", me["id"])
                local.set_state(self.store, "username", me["username"])
                local.set_state(self.store, "scope", self._scope_of(me))

    def _refresh_token(self, me: dict | None) -> None:
        """Past half its life, swap the token for a fresh one (kept by ``on_token``): a
        laptop that syncs stays signed in; one away longer than a token lasts signs in."""
        if me is None or self.on_token is None or time.time() < me["token_refresh_after"]:
            return
        answer = self.transport.post("/auth/refresh", {})
        token = answer.get("access_token")
        need(isinstance(token, str) and bool(token), "refreshed token")
        self.on_token(token)
        self.transport.token = token

    @property
    def cursor(self) -> int:
        return int(local.get_state(self.store, "cursor", "0") or 0)

    # -- push -----------------------------------------------------------------------------
    def push(self, report: SyncReport | None = None) -> SyncReport:
        """Send pending outbox entries in order, in batches.

        A server that finds this store older than what it has seen from its device (put
        back from an older copy) refuses the batch; the store then takes a new device
        identity, renumbers what the server lacks (``sync.client.restore``) and pushes
        again, and ``sync()`` pulls the whole scope."""
        report = report or SyncReport()
        try:
            return self._push(report)
        except restore.Rewound:
            report.renumbered = restore.renew_device(self.store, self.transport)
            report.device_renewed = True
            return self._push(report)

    def _push(self, report: SyncReport) -> SyncReport:
        """Batches go one at a time, in order: each is sent only once the server has
        answered the one before. While a reply is applied to this store, the next batch is
        already on its way (its contents depend only on the replies so far, not on
        applying them): the server merges while this laptop writes. Should applying a
        reply fail, the batch sent meanwhile is still stored by the server; its entries
        stay pending here and are replayed at the next push (the server answers a replay
        with the stored result)."""
        # The first batch is read and sent before the rest of the outbox is read: the server
        # merges it meanwhile.
        entries = self.store.pending_changes(limit=self.batch_size)
        waiting: set[tuple[str, str]] = set()
        # The entries still pending, by record, kept in step with the outbox below: what
        # a reply's record must not overwrite (reading it back per reply would rescan the
        # whole outbox, which has no index by record, for every batch).
        queued: dict[tuple[str, str], dict[str, dict]] = {}
        acked = restore.acked(self.store)  # kept in step with note_acked below
        sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fieldnote-push")
        # Replies are applied with commits that do not wait for the disk (WAL, synchronous
        # NORMAL), as pulled pages are: a power cut may lose the last replies applied, never
        # consistency; their entries are still pending, and the server answers their replay
        # with the results it stored.
        durable = self.store.conn.execute("PRAGMA synchronous").fetchone()[0]
        self.store.conn.execute("PRAGMA synchronous = NORMAL")

        def prepare():
            """The next batch: its entries, changes and the changes' JSON text (None when
            nothing is left). Made while the server merges the batch before it."""
            nonlocal entries
            while entries:
                rows, entries = entries[: self.batch_size], entries[self.batch_size :]
                rows = [e for e in rows if (e["entity"], e["record_id"]) not in waiting]
                if rows:
                    batch = [self._wire(e) for e in rows]
                    return rows, batch, _json_text(batch)
            return None

        def send(ready):
            """Send a prepared batch (None: nothing), with what the server has acknowledged
            so far; entries of records a reply since made wait are left out."""
            while ready is not None:
                rows, batch, text = ready
                if any((e["entity"], e["record_id"]) in waiting for e in rows):
                    kept = [(e, w) for e, w in zip(rows, batch) if (e["entity"], e["record_id"]) not in waiting]
                    if not kept:
                        ready = prepare()
                        continue
                    rows, batch = [e for e, _w in kept], [w for _e, w in kept]
                    text = _json_text(batch)
                # as_sent: records stored exactly as their create sent them are not sent back.
                body = {"schema_version": SCHEMA_VERSION, "mutations": batch, "as_sent": True}
                if acked is not None:
                    body["device_acked"] = dict(acked)
                return rows, batch, sender.submit(self.transport.post, "/sync/push", PreparedBody(body, text))
            return None

        prepared = None
        try:
            upcoming = send(prepare())
            if upcoming is not None:
                entries += self.store.pending_changes(after=upcoming[0][-1]["seq"])
            for e in (*(upcoming[0] if upcoming else ()), *entries):
                queued.setdefault((e["entity"], e["record_id"]), {})[e["mutation_id"]] = e
            prepared = prepare()
            while upcoming is not None:
                batch_rows, batch, request = upcoming
                upcoming = None
                try:
                    answer = request.result()
                except Refused as exc:
                    if exc.status == 422 and len(batch_rows) > LEGACY_PUSH_BATCH:
                        # A server from before batches of 2,000 refuses more than 500: the
                        # same entries, in order, as it allows (for the rest of this sync).
                        self.batch_size = LEGACY_PUSH_BATCH
                        entries = batch_rows + (prepared[0] if prepared else []) + entries
                        upcoming, prepared = send(prepare()), None
                        prepared = prepare()
                        continue
                    if exc.status != 413:
                        raise
                    if len(batch_rows) > 1:
                        # Too large for the server's body limit: the same entries, in
                        # order, in smaller batches (for the rest of this sync).
                        self.batch_size = max(1, len(batch_rows) // 2)
                        entries = batch_rows + (prepared[0] if prepared else []) + entries
                        upcoming, prepared = send(prepare()), None
                        prepared = prepare()
                        continue
                    # One change alone is above the limit: it can never be sent. It needs
                    # attention, and the rest of the queue carries on.
                    row = batch_rows[0]
                    with self.store.transaction():
                        self.store.mark_rejected(row["mutation_id"], str(exc))
                    report.rejected += 1
                    waiting.add((row["entity"], row["record_id"]))
                    queued[(row["entity"], row["record_id"])].pop(row["mutation_id"], None)
                    upcoming, prepared = send(prepared), None
                    prepared = prepare()
                    continue
                if isinstance(answer, dict) and answer.get("device_rewound") is True:
                    raise restore.Rewound()
                results = _check_push(answer, batch)
                # What the next batch depends on, known from the reply alone: the records
                # now waiting (as _settle decides) and what the server acknowledged.
                for row, result in zip(batch_rows, results):
                    if result["status"] not in ("applied", "conflict"):
                        waiting.add((row["entity"], row["record_id"]))
                high = restore.acked_in(self.store, batch_rows, results)
                if high is not None and (acked is None or high > acked["seq"]):
                    acked = {"device_id": self.store.device_id, "seq": high}
                upcoming, prepared = send(prepared), None
                self._settle_batch(batch_rows, batch, results, report, waiting, queued)
                prepared = prepare()
        finally:
            if upcoming is not None:
                upcoming[2].cancel()
            sender.shutdown(wait=True)  # a request under way finishes (or fails) first
            self.store.conn.execute(f"PRAGMA synchronous = {int(durable)}")
        return report

    def _settle_batch(
        self,
        batch_rows: list[dict],
        batch: list[dict],
        results: list[dict],
        report: SyncReport,
        waiting: set[tuple[str, str]],
        queued: dict[tuple[str, str], dict[str, dict]],
    ) -> None:
        """A push reply applied to this store, in one transaction: outbox states, what the
        server acknowledged, and the records as the server now holds them."""
        with self._unchecked_references(), self.store.transaction():
            states: dict[tuple[str, str], dict] = {}
            created: dict[tuple[str, str], dict] = {}  # the create sent, by record
            sent: list[str] = []  # marked sent together (one statement per batch)
            for row, wire, result in zip(batch_rows, batch, results):
                self._settle(row, result, report, waiting, sent)
                key = (row["entity"], row["record_id"])
                if result["status"] != "retry" or row["attempts"] + 1 >= self.max_attempts:
                    queued[key].pop(row["mutation_id"], None)  # no longer pending
                if result.get("record") is not None:
                    states[key] = result["record"]
                    if row["op"] == "create":
                        created[key] = wire
                    else:
                        created.pop(key, None)
            if sent:
                self.store.mark_sent(sent)
            restore.note_acked(self.store, batch_rows, results)
            echoed = self._echoed(states, created, queued)
            pending = {key: _fields_of(queued.get(key, {}).values()) for key in states if key not in echoed}
            self._apply_safely([s for key, s in states.items() if key not in echoed], report, pending=pending)
            if echoed:
                # Nothing to write but their server versions (and any item held for them
                # in quarantine is settled, as after an apply).
                done = [states[key] for key in echoed]
                by_entity: dict[str, list[tuple[str, int]]] = {}
                for state in done:
                    by_entity.setdefault(state["entity"], []).append((state["id"], 1))
                for entity, versions in by_entity.items():
                    local.set_server_versions(self.store, entity, versions)
                quarantine.settle_applied(self.store, done, force=False)

    def _echoed(
        self,
        states: dict[tuple[str, str], dict],
        created: dict[tuple[str, str], dict],
        queued: dict[tuple[str, str], dict[str, dict]],
    ) -> set[tuple[str, str]]:
        """The records of a push reply that are exactly as this laptop created them and
        still holds them: a create the server stored as sent (version 1, every field at
        version 1), with no later change of this laptop's pending, whose row here is still
        at version 1 with the same field versions. Applying them would write nothing; only
        the server version is recorded."""
        candidates: dict[str, dict[str, dict]] = {}
        for key, wire in created.items():
            state = states[key]
            if (
                state["version"] != 1
                or state["deleted"]
                or queued.get(key)
                or state["fields"] != wire["fields"]
                or any(v != 1 for v in state["field_versions"].values())
                or state["field_versions"].keys() != state["fields"].keys()
            ):
                continue
            candidates.setdefault(key[0], {})[key[1]] = state
        echoed: set[tuple[str, str]] = set()
        texts: dict[tuple[str, ...], str] = {}  # field versions as stored, by field names
        for entity, by_id in candidates.items():
            held = apply.versions_held(self.store, entity, list(by_id))
            for record_id, state in by_id.items():
                names = tuple(state["field_versions"])
                text = texts.get(names)
                if text is None:
                    text = texts[names] = apply.field_versions_text(state)
                if held.get(record_id) == (1, text, 0):
                    echoed.add((entity, record_id))
        return echoed

    @staticmethod
    def _wire(e: dict) -> dict:
        return {
            "mutation_id": e["mutation_id"],
            "device_id": e["device_id"],
            "entity": e["entity"],
            "record_id": e["record_id"],
            "op": e["op"],
            "fields": json.loads(e["fields"]),
            "base_version": e.get("server_base") or 0,
            "schema_version": e["schema_version"],
            "client_seq": e["seq"],
        }

    def _settle(
        self, row: dict, result: dict, report: SyncReport, waiting: set[tuple[str, str]], sent: list[str] | None = None
    ) -> None:
        status, mutation_id = result["status"], row["mutation_id"]
        if status in ("applied", "conflict"):
            if sent is None:
                self.store.mark_sent([mutation_id])
            else:
                sent.append(mutation_id)
            report.sent += 1
            if result.get("conflicts"):
                local.record_conflicts(self.store, row["entity"], row["record_id"], mutation_id, result["conflicts"])
                report.conflicts += len(result["conflicts"])
        elif status == "rejected" or (status == "retry" and row["attempts"] + 1 >= self.max_attempts):
            error = str(result.get("error") or f"refused ({result.get('code')})")
            self.store.mark_rejected(mutation_id, error)
            report.rejected += 1
            waiting.add((row["entity"], row["record_id"]))
        else:
            self.store.note_attempt(mutation_id, str(result.get("error") or "not yet"))
            report.waiting += 1
            waiting.add((row["entity"], row["record_id"]))

    # -- pull -----------------------------------------------------------------------------
    def pull(self, report: SyncReport | None = None, *, full: bool = False) -> SyncReport:
        """Fetch and apply pages until the server has no more. ``full`` starts from the
        beginning, re-applies every record and purges what the server no longer gives."""
        report = report or SyncReport()
        cursor = 0 if full else self.cursor
        seen: set[tuple[str, str]] = set()

        def fetch(after: int) -> dict:
            try:
                return self.transport.get("/sync/pull", {"cursor": after, "limit": self.page_size})
            except Refused as exc:
                if exc.status != 422 or self.page_size <= LEGACY_PULL_LIMIT:
                    raise
                # A server from before pages of 5,000: ask as it allows.
                self.page_size = LEGACY_PULL_LIMIT
                return self.transport.get("/sync/pull", {"cursor": after, "limit": self.page_size})

        # While a page is applied here, the next one is already being fetched (the server
        # works while this laptop writes). Pages are still applied one at a time, in order,
        # each in its own transaction with its cursor; a prefetched page is simply dropped
        # if applying the current one fails.
        prefetch = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fieldnote-pull")
        # Applying pages, a commit does not wait for the disk (WAL, synchronous NORMAL): a
        # key press waiting for the write lock then waits for no fsync of the sync's. A
        # power cut may lose the last pages applied, never consistency: their cursor goes
        # with them, so they are fetched again. The GUI's own commits stay FULL.
        # While pulling, this connection also does the store's checkpoints, between its
        # transactions (``Store.owning_checkpoints``): a key press's commit never copies
        # the sync's journal into the database.
        durable = self.store.conn.execute("PRAGMA synchronous").fetchone()[0]
        self.store.conn.execute("PRAGMA synchronous = NORMAL")
        checkpoints = self.store.owning_checkpoints() if self._gives_way() else contextlib.nullcontext()
        # Decoding the next page (on the prefetch thread) waits while the GUI writes.
        pause = getattr(self.transport, "pause", None)
        self.transport.pause = self.store.give_way  # touches no connection: any thread
        try:
            with checkpoints:
                upcoming: Future | None = None
                while True:
                    page = upcoming.result() if upcoming is not None else fetch(cursor)
                    upcoming = None
                    _check_page(page, cursor, self.store.give_way)
                    if page["has_more"]:
                        upcoming = prefetch.submit(fetch, page["next_cursor"])
                    self._apply_page(page, report, force=full)
                    seen |= {(s["entity"], s["id"]) for s in page["records"]}
                    cursor = page["next_cursor"]
                    report.pages += 1
                    if self._gives_way():
                        self.store.checkpoint()
                    if self.on_page:
                        self.on_page(page)
                    if not page["has_more"]:
                        break
        finally:
            prefetch.shutdown(wait=False, cancel_futures=True)
            self.transport.pause = pause
            self.store.conn.execute(f"PRAGMA synchronous = {int(durable)}")
        if full:
            self._purge_unseen(seen, report)
        report.cursor = cursor
        return report

    def _apply_page(self, page: dict, report: SyncReport, *, force: bool) -> None:
        """Apply a page in batches, the last transaction with its revocations and cursor.

        Alone (``fieldnote sync``): batches of ``apply_chunk`` records in one transaction,
        which commits early only if ``writers_waiting``. Beside the GUI (``_gives_way``):
        batches of at most ``GIVE_WAY_CHUNK``, in transactions of at most
        ``apply_seconds`` (``quiet_apply_seconds`` while the GUI has not written for
        ``BUSY_SECONDS``: fewer commits, a faster sync), each also committing after the batch in hand as soon as the GUI
        thread wants to write (a key press, on its own connection), the next one waiting
        until it has (``desktop.store.turns``). That press then waits for one short batch
        and the commit of a short transaction, however long the page (``bench/keypress.py
        --during-sync``). Those commits do not wait for the disk (``pull``); the journal
        is put on disk between them, off the GUI's path (``Store.flush_journal``).

        A stop between commits leaves the cursor where it was: the page comes again, and
        what was applied is skipped (its server version is held) or, in a full re-sync,
        written again unchanged."""
        records = self._newest_once(page["records"])
        beside = self._gives_way()
        size = (min(self.apply_chunk, GIVE_WAY_CHUNK) if beside else self.apply_chunk) or len(records) or 1
        batches = [records[i : i + size] for i in range(0, len(records), size)] or [[]]
        done = 0
        limit = 0.0
        with self._unchecked_references():
            while done < len(batches):
                if beside:
                    busy = self.store.writers_idle() < BUSY_SECONDS
                    limit = self.apply_seconds if busy else self.quiet_apply_seconds
                with self.store.transaction():
                    began = time.perf_counter()
                    while True:
                        report.received += self._apply_safely(batches[done], report, force=force)
                        done += 1
                        if done == len(batches):
                            for item in page["revoked"]:
                                self._revoke(item["id"], report)
                            local.set_state(self.store, "cursor", str(page["next_cursor"]))
                            break
                        if self.store.writers_waiting() or (limit and time.perf_counter() - began >= limit):
                            break  # commit now: the GUI's write goes next
                if beside and not self.store.writers_waiting():
                    # Between transactions, when no key press waits (one that does writes
                    # these pages with its own, as it would wait for them anyway).
                    self.store.flush_journal()

    def _gives_way(self) -> bool:
        """Whether this sync runs beside the GUI thread's writes (the app's store worker,
        ``Store.background``): then its transactions are short, and it flushes and
        checkpoints the journal itself between them. Alone (``fieldnote sync``), a page
        is one transaction unless ``writers_waiting``."""
        return self.store.background and self.apply_seconds > 0

    @staticmethod
    def _newest_once(states: list[dict]) -> list[dict]:
        """Each record once, at its newest version, in page order: applied in separate
        chunks, an older copy after a newer one must not be forced back over it."""
        newest: dict[tuple[str, str], int] = {}
        for i, state in enumerate(states):
            key = (state["entity"], state["id"])
            j = newest.get(key)
            if j is None or state["version"] >= states[j]["version"]:
                newest[key] = i
        if len(newest) == len(states):
            return states
        keep = set(newest.values())
        return [state for i, state in enumerate(states) if i in keep]

    def _unchecked_references(self):
        """Apply server data without per-row foreign-key checks: a page may bring a visit
        before its referral (each record comes once, at its latest change), and the server
        has already checked every reference when it accepted the change."""
        return apply.applying(self.store)

    def _apply_safely(
        self,
        states: list[dict],
        report: SyncReport,
        *,
        force: bool = False,
        pending: dict[tuple[str, str], set[str]] | None = None,
    ) -> int:
        """``_apply_states``, but no record can stop the rest: the batch is tried whole (in
        a savepoint); if any record fails, each is applied on its own and those that fail
        are quarantined with the reason (``sync.client.quarantine``). The caller's
        transaction then stores the cursor as usual."""
        try:
            with self.store.transaction():
                changed = self._apply_states(states, force=force, pending=pending)
                quarantine.settle_applied(self.store, states, force=force)
            return changed
        except quarantine.APPLY_ERRORS:
            pass  # rolled back to the savepoint: find the record(s) at fault
        changed = 0
        for state in states:
            try:
                with self.store.transaction():
                    changed += self._apply_states([state], force=force, pending=pending)
                    quarantine.settle_applied(self.store, [state], force=force)
            except quarantine.APPLY_ERRORS as exc:
                quarantine.hold(self.store, state, quarantine.reason_for(exc))
                report.quarantined += 1
        return changed

    def _apply_states(
        self, states: list[dict], *, force: bool = False, pending: dict[tuple[str, str], set[str]] | None = None
    ) -> int:
        """``sync.client.apply.apply_states`` on this engine's store."""
        return apply.apply_states(self.store, states, force=force, pending=pending)

    def _revoke(self, referral_id: str, report: SyncReport) -> None:
        for entity, record_id in local.case_closure(self.store, referral_id):
            report.to_review += local.purge_with_review(self.store, entity, record_id, "case reallocated")
            report.purged += 1

    def _purge_unseen(self, seen: set[tuple[str, str]], report: SyncReport) -> None:
        """After a full re-sync: what the server no longer gives this user leaves."""
        held = {(e, i) for e, i, _ in local.held_versions(self.store)}
        gone = held - seen
        quarantine.settle_gone(self.store, gone)
        referrals = [i for e, i in gone if e == "referral"]
        with self._unchecked_references(), self.store.transaction():
            for referral_id in referrals:
                self._revoke(referral_id, report)
            for entity, record_id in sorted(gone - {("referral", r) for r in referrals}):
                if self.store.get(entity, record_id, include_deleted=True) is not None:
                    report.to_review += local.purge_with_review(
                        self.store, entity, record_id, "no longer in your scope"
                    )
                    report.purged += 1
                else:
                    self.store.conn.execute(
                        "DELETE FROM sync_record WHERE entity = ? AND record_id = ?", (entity, record_id)
                    )
                    local.forget_digest(self.store)

    # -- integrity ----------------------------------------------------------------------------
    def local_digest(self, algorithm: str = DIGEST_SET) -> str:
        return local.held_digest(self.store, algorithm)

    def verify(self, report: SyncReport | None = None) -> bool:
        """Compare digests; on a true mismatch re-sync the whole scope from cursor 0."""
        report = report or SyncReport()
        answer = self.transport.post("/sync/digest", {"digest": self.local_digest(DIGEST_SET), "algorithm": DIGEST_SET})
        if answer.get("algorithm") != DIGEST_SET:
            # A server from before the "set" digest ignored the algorithm and compared
            # against its own "sorted" one: ask again in its terms.
            answer = self.transport.post("/sync/digest", {"digest": self.local_digest(DIGEST_SORTED)})
        need(isinstance(answer.get("match"), bool) and _is_int(answer.get("server_cursor")), "digest answer")
        report.digest_match = answer["match"]
        if answer["match"] or answer["server_cursor"] > self.cursor:
            return answer["match"]  # equal, or merely behind: the next pull catches up
        self.pull(report, full=True)
        report.resynced = True
        return False
