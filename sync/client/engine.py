"""``SyncEngine``: push the outbox, pull pages in scope, check the digest.

Safe to stop at any moment: each push reply and each pulled page is applied in
one local transaction together with its bookkeeping (outbox states, the cursor),
so a kill or an error leaves the store at the last completed step, and running
``sync()`` again carries on from there.
"""
from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any, Callable

from desktop.store import Store, utc_now
from desktop.store.schema import SYNCABLE
from sync.client import local
from sync.client.errors import SyncError
from sync.client.transport import Transport
from sync.protocol import SCHEMA_VERSION, digest

PERMANENT = {403, 409, 422}  # codes after which resending cannot help


@dataclass
class SyncReport:
    """What one ``sync()`` did (counts only)."""

    sent: int = 0
    rejected: int = 0
    waiting: int = 0
    conflicts: int = 0
    received: int = 0
    purged: int = 0
    to_review: int = 0
    pages: int = 0
    digest_match: bool | None = None
    resynced: bool = False
    cursor: int = 0
    errors: list[str] = field(default_factory=list)


def _need(condition: bool, what: str) -> None:
    if not condition:
        raise SyncError(f"The server's answer was not understood ({what}). Nothing local "
                        "was changed.")


def _check_state(state: Any) -> None:
    _need(isinstance(state, dict), "record is not an object")
    _need(isinstance(state.get("entity"), str) and isinstance(state.get("id"), str), "record id")
    _need(isinstance(state.get("version"), int) and state["version"] >= 1, "record version")
    _need(isinstance(state.get("fields"), dict), "record fields")
    _need(isinstance(state.get("field_versions"), dict), "field versions")
    _need(isinstance(state.get("deleted"), bool), "deleted flag")


def _check_push(answer: dict, batch: list[dict]) -> list[dict]:
    results = answer.get("results")
    _need(isinstance(results, list) and len(results) == len(batch), "push results")
    for result, entry in zip(results, batch):
        _need(isinstance(result, dict) and result.get("mutation_id") == entry["mutation_id"],
              "push result order")
        _need(result.get("status") in ("applied", "conflict", "rejected", "retry"), "status")
        _need(isinstance(result.get("conflicts", []), list), "conflicts")
        if result.get("record") is not None:
            _check_state(result["record"])
    return results


def _check_page(page: dict, cursor: int) -> None:
    _need(isinstance(page.get("records"), list), "records")
    _need(isinstance(page.get("revoked"), list), "revoked")
    _need(isinstance(page.get("has_more"), bool), "has_more")
    _need(isinstance(page.get("next_cursor"), int) and page["next_cursor"] >= cursor, "cursor")
    for state in page["records"]:
        _check_state(state)
    for item in page["revoked"]:
        _need(isinstance(item, dict) and isinstance(item.get("id"), str), "revocation")


class SyncEngine:
    """Syncs one store with one server as one signed-in user.

    ``sync()`` is what the UI and ``fieldnote sync`` call. It must run off the GUI
    thread, through the same single worker as every other store write.
    """

    def __init__(self, store: Store, server_url: str, token: str | None, *,
                 transport: Transport | None = None, batch_size: int = 100,
                 page_size: int = 200, max_attempts: int = 8,
                 on_page: Callable[[dict], None] | None = None):
        self.store = store
        self.transport = transport or Transport(server_url, token)
        self.server_url = self.transport.server_url
        self.batch_size = batch_size
        self.page_size = page_size
        self.max_attempts = max_attempts
        self.on_page = on_page  # called after each applied page (progress; tests)

    # -- the whole round -----------------------------------------------------------------
    def sync(self, *, verify: bool = True) -> SyncReport:
        """Push, then pull, then (optionally) compare digests and re-sync on a mismatch."""
        if self.store.meta("demo") == "1":
            raise SyncError("This store holds demonstration data, which never syncs.")
        report = SyncReport()
        try:
            self._remember_server()
            self.push(report)
            self.pull(report)
            if verify:
                self.verify(report)
        except SyncError as exc:
            local.set_state(self.store, "last_error", str(exc))
            raise
        local.set_state(self.store, "last_error", "")
        local.set_state(self.store, "last_synced_at", utc_now())
        return report

    def _remember_server(self) -> None:
        known = local.get_state(self.store, "server_url")
        if known != self.server_url:
            # Another server's cursor means nothing here: start again from the beginning.
            with self.store.transaction():
                local.set_state(self.store, "server_url", self.server_url)
                local.set_state(self.store, "cursor", "0")
                self.store.conn.execute("DELETE FROM sync_record")

    @property
    def cursor(self) -> int:
        return int(local.get_state(self.store, "cursor", "0") or 0)

    # -- push -----------------------------------------------------------------------------
    def push(self, report: SyncReport | None = None) -> SyncReport:
        """Send pending outbox entries in order, in batches."""
        report = report or SyncReport()
        entries = self.store.pending_changes()
        waiting: set[tuple[str, str]] = set()
        while entries:
            batch_rows, entries = entries[:self.batch_size], entries[self.batch_size:]
            batch_rows = [e for e in batch_rows if (e["entity"], e["record_id"]) not in waiting]
            if not batch_rows:
                continue
            batch = [self._wire(e) for e in batch_rows]
            answer = self.transport.post("/sync/push", {"schema_version": SCHEMA_VERSION,
                                                        "mutations": batch})
            results = _check_push(answer, batch)
            with self._unchecked_references(), self.store.transaction():
                states: dict[tuple[str, str], dict] = {}
                for row, result in zip(batch_rows, results):
                    self._settle(row, result, report, waiting)
                    if result.get("record") is not None:
                        states[(row["entity"], row["record_id"])] = result["record"]
                for state in states.values():
                    self._apply_state(state)
        return report

    @staticmethod
    def _wire(e: dict) -> dict:
        return {"mutation_id": e["mutation_id"], "device_id": e["device_id"],
                "entity": e["entity"], "record_id": e["record_id"], "op": e["op"],
                "fields": json.loads(e["fields"]),
                "base_version": e.get("server_base") or 0,
                "schema_version": e["schema_version"], "client_seq": e["seq"]}

    def _settle(self, row: dict, result: dict, report: SyncReport,
                waiting: set[tuple[str, str]]) -> None:
        status, mutation_id = result["status"], row["mutation_id"]
        if status in ("applied", "conflict"):
            self.store.mark_sent([mutation_id])
            report.sent += 1
            if result.get("conflicts"):
                local.record_conflicts(self.store, row["entity"], row["record_id"], mutation_id,
                                       result["conflicts"])
                report.conflicts += len(result["conflicts"])
        elif status == "rejected" or (status == "retry"
                                      and row["attempts"] + 1 >= self.max_attempts):
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
        while True:
            page = self.transport.get("/sync/pull", {"cursor": cursor, "limit": self.page_size})
            _check_page(page, cursor)
            self._apply_page(page, report, force=full)
            seen |= {(s["entity"], s["id"]) for s in page["records"]}
            cursor = page["next_cursor"]
            report.pages += 1
            if self.on_page:
                self.on_page(page)
            if not page["has_more"]:
                break
        if full:
            self._purge_unseen(seen, report)
        report.cursor = cursor
        return report

    def _apply_page(self, page: dict, report: SyncReport, *, force: bool) -> None:
        with self._unchecked_references(), self.store.transaction():
            for state in page["records"]:
                report.received += self._apply_state(state, force=force)
            for item in page["revoked"]:
                self._revoke(item["id"], report)
            local.set_state(self.store, "cursor", str(page["next_cursor"]))

    @contextlib.contextmanager
    def _unchecked_references(self):
        """Apply server data without per-row foreign-key checks: a page may bring a visit
        before its referral (each record comes once, at its latest change), and the server
        has already checked every reference when it accepted the change."""
        self.store.conn.execute("PRAGMA foreign_keys = OFF")
        try:
            yield
        finally:
            self.store.conn.execute("PRAGMA foreign_keys = ON")

    def _apply_state(self, state: dict, *, force: bool = False) -> int:
        """Apply one record as the server holds it, keeping fields with unsent local edits
        (they win here and are pushed next). Returns 1 if anything changed."""
        entity, record_id = state["entity"], state["id"]
        if entity not in SYNCABLE:
            return 0  # a record type from a newer server: ignored until this app knows it
        known = local.server_version(self.store, entity, record_id)
        if known is not None and state["version"] <= known and not force:
            return 0
        pending = local.pending_fields(self.store, entity, record_id)
        current = self.store.get(entity, record_id, include_deleted=True)
        values = {k: v for k, v in state["fields"].items() if k not in pending}
        versions = dict(state["field_versions"])
        deleted = state["deleted"]
        if current is not None:
            mine = json.loads(current["field_versions"] or "{}")
            versions.update({k: mine[k] for k in pending if k in mine})
            deleted = deleted or (local.DELETED in pending and bool(current["deleted"]))
        version = max(state["version"], current["version"] if current else 0)
        changed = self.store.apply_remote(entity, record_id, values, version=version,
                                          field_versions=versions, deleted=deleted)
        local.set_server_version(self.store, entity, record_id, state["version"])
        return int(changed)

    def _revoke(self, referral_id: str, report: SyncReport) -> None:
        for entity, record_id in local.case_closure(self.store, referral_id):
            report.to_review += local.purge_with_review(self.store, entity, record_id,
                                                        "case reallocated")
            report.purged += 1

    def _purge_unseen(self, seen: set[tuple[str, str]], report: SyncReport) -> None:
        """After a full re-sync: what the server no longer gives this user leaves."""
        held = {(e, i) for e, i, _ in local.held_versions(self.store)}
        gone = held - seen
        referrals = [i for e, i in gone if e == "referral"]
        with self._unchecked_references(), self.store.transaction():
            for referral_id in referrals:
                self._revoke(referral_id, report)
            for entity, record_id in sorted(gone - {("referral", r) for r in referrals}):
                if self.store.get(entity, record_id, include_deleted=True) is not None:
                    report.to_review += local.purge_with_review(
                        self.store, entity, record_id, "no longer in your scope")
                    report.purged += 1
                else:
                    self.store.conn.execute("DELETE FROM sync_record WHERE entity = ? AND "
                                            "record_id = ?", (entity, record_id))

    # -- integrity ----------------------------------------------------------------------------
    def local_digest(self) -> str:
        return digest(local.held_versions(self.store))

    def verify(self, report: SyncReport | None = None) -> bool:
        """Compare digests; on a true mismatch re-sync the whole scope from cursor 0."""
        report = report or SyncReport()
        answer = self.transport.post("/sync/digest", {"digest": self.local_digest()})
        _need(isinstance(answer.get("match"), bool)
              and isinstance(answer.get("server_cursor"), int), "digest answer")
        report.digest_match = answer["match"]
        if answer["match"] or answer["server_cursor"] > self.cursor:
            return answer["match"]  # equal, or merely behind: the next pull catches up
        self.pull(report, full=True)
        report.resynced = True
        return False
