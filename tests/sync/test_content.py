"""Packs and templates from the server: an administrator publishes, every laptop installs
at its next sync; withdrawn packs leave the laptops, hand-installed packs never do."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest
import requests

from desktop.forms.registry import SERVER_SUBDIR, install_pack, load_registry
from sync.client import content
from sync.client.errors import SyncError
from sync.client.transport import Transport
from sync.protocol import SCHEMA_HEADER, SCHEMA_VERSION


def make_pack(pack_id: str, version: str = "1.0.0", **extra) -> dict:
    """A small, valid audit template (RAG-rated criteria)."""
    return {
        "format": "fieldnote-instrument-pack",
        "format_version": 1,
        "kind": "audit",
        "id": pack_id,
        "version": version,
        "title": f"Test audit {pack_id}",
        "licence": "Test data for Fieldnote.",
        "source": "tests/sync/test_content.py",
        "synthetic": True,
        "informants": ["practitioner"],
        "age_bands": ["all"],
        "response_sets": [
            {
                "id": "rag",
                "options": [
                    {"value": "red", "label": "Red", "score": 0},
                    {"value": "amber", "label": "Amber", "score": 1},
                    {"value": "green", "label": "Green", "score": 2},
                    {"value": "not_seen", "label": "Not seen", "score": None},
                ],
            }
        ],
        "items": [
            {
                "id": "c1",
                "number": 1,
                "label": "Behaviour policy on the website",
                "response_set": "rag",
                "evidence": True,
            },
            {"id": "c2", "number": 2, "label": "Rewards used by all staff", "response_set": "rag", "evidence": True},
        ],
        "scales": [
            {
                "id": "reds",
                "label": "Red ratings",
                "items": ["c1", "c2"],
                "scoring": {"rule": "count", "values": ["red"], "min_answered": 0},
            }
        ],
        **extra,
    }


def as_bytes(pack: dict) -> bytes:
    return json.dumps(pack, indent=2, ensure_ascii=False).encode("utf-8")


def unique(name: str) -> str:
    # The server is shared by every test of the session: each test uses its own pack ids.
    return f"{name}-{uuid.uuid4().hex[:8]}"


def publish(server, data: bytes, token: str | None = None) -> requests.Response:
    return requests.post(
        server.url + "/admin/packs",
        data=data,
        timeout=30,
        headers={
            "Authorization": f"Bearer {token or server.admin_token}",
            "Content-Type": "application/json",
            SCHEMA_HEADER: str(SCHEMA_VERSION),
        },
    )


def withdraw(server, pack_id: str, token: str | None = None, **params) -> requests.Response:
    return requests.delete(
        f"{server.url}/admin/packs/{pack_id}",
        params=params,
        timeout=30,
        headers={"Authorization": f"Bearer {token or server.admin_token}"},
    )


class Recording(requests.Session):
    """Notes every request's method, path and status (and can tamper with answers)."""

    def __init__(self):
        super().__init__()
        self.seen: list[tuple[str, str, int]] = []

    def tamper(self, path: str, response: requests.Response) -> requests.Response:
        return response

    def request(self, method, url, **kw):
        response = super().request(method, url, **kw)
        path = "/" + url.split("/", 3)[3]
        response = self.tamper(path, response)
        self.seen.append((method, path, response.status_code))
        return response

    def content_requests(self) -> list[tuple[str, str, int]]:
        return [s for s in self.seen if s[1].startswith("/content/")]


def engine_with(service, laptop, who: str, packs, session: requests.Session):
    transport = Transport(service.server.url, service.tokens[who], session=session, sleep=lambda s: None)
    return service.engine(laptop, who, transport=transport, packs_dir=packs)


def test_a_published_pack_is_installed_on_a_practitioners_laptop(service, laptops, tmp_path):
    """The admin publishes an audit template and a wording pack for a built-in SDQ form; after
    A's next sync both are in the laptop's server folder, byte for byte, and the registry
    loads them (the wording over the built-in's neutral labels)."""
    server, packs = service.server, tmp_path / "packs"
    audit = as_bytes(make_pack(unique("audit")))
    answer = publish(server, audit)
    assert answer.status_code == 201, answer.text
    audit_id = answer.json()["pack_id"]
    wording = as_bytes(
        {
            "format": "fieldnote-instrument-pack",
            "format_version": 1,
            "kind": "wording",
            "id": unique("sdq-teacher-wording"),
            "version": "2024.1",
            "title": "SDQ teacher wording",
            "licence": "Test wording (not the questionnaire's), used only by these tests.",
            "source": "tests/sync/test_content.py",
            "synthetic": True,
            "extends": "sdq-teacher-4-17",
            "items": [{"id": "consid", "text": "TEST WORDING ONE"}],
        }
    )
    answer = publish(server, wording)
    assert answer.status_code == 201, answer.text
    wording_id = answer.json()["pack_id"]
    try:
        report = service.engine(laptops("a"), "a", packs_dir=packs).sync()
        assert report.packs_installed >= 2 and report.errors == []
        assert (packs / SERVER_SUBDIR / f"{audit_id}.json").read_bytes() == audit
        registry = load_registry(packs)
        assert registry.problems == []
        entry = next(e for e in registry.entries if e.id == audit_id)
        assert entry.origin == "server" and entry.kind == "audit"
        assert registry.get(audit_id).item("c1").label == "Behaviour policy on the website"
        assert registry.get("sdq-teacher-4-17").item("consid").display_text == "TEST WORDING ONE"
    finally:
        assert withdraw(server, wording_id).status_code == 200  # one wording per base
        assert withdraw(server, audit_id).status_code == 200


def test_a_sync_with_nothing_new_asks_once_and_downloads_nothing(sqlite_service, laptops, tmp_path):
    """Second sync: one manifest request, answered 304; no pack is fetched."""
    service, packs = sqlite_service, tmp_path / "packs"
    pack_id = unique("quiet")
    assert publish(service.server, as_bytes(make_pack(pack_id))).status_code == 201
    laptop = laptops("a")
    first = Recording()
    report = engine_with(service, laptop, "a", packs, first).sync()
    assert report.packs_installed >= 1
    assert any(p.startswith("/content/packs/") for _, p, _ in first.content_requests())

    second = Recording()
    report = engine_with(service, laptop, "a", packs, second).sync()
    assert second.content_requests() == [("GET", "/content/packs", 304)]
    assert report.packs_installed == 0 and report.packs_removed == 0
    assert (packs / SERVER_SUBDIR / f"{pack_id}.json").is_file()
    withdraw(service.server, pack_id)


def test_a_newer_version_replaces_the_older(service, laptops, tmp_path):
    """Version 2 published after version 1 reaches the laptop and replaces it."""
    server, packs, laptop = service.server, tmp_path / "packs", laptops("a")
    pack_id = unique("versions")
    assert publish(server, as_bytes(make_pack(pack_id, "1.9"))).status_code == 201
    service.engine(laptop, "a", packs_dir=packs).sync()
    assert load_registry(packs).get(pack_id).version == "1.9"

    newer = as_bytes(make_pack(pack_id, "1.10", title="Revised audit"))
    assert publish(server, newer).json()["status"] == "published"
    manifest = server.api.get("/content/packs", service.tokens["b"]).json()
    [entry] = [p for p in manifest["packs"] if p["pack_id"] == pack_id]
    assert entry["version"] == "1.10" and entry["sha256"] == hashlib.sha256(newer).hexdigest()
    report = service.engine(laptop, "a", packs_dir=packs).sync()
    assert report.packs_installed == 1
    assert (packs / SERVER_SUBDIR / f"{pack_id}.json").read_bytes() == newer
    assert load_registry(packs).get(pack_id).title == "Revised audit"
    withdraw(server, pack_id)


def test_publishing_is_immutable_per_version(service):
    """Same id and version, other bytes: 409. The same bytes again: 200, nothing changes.
    An older version than the current one: 409."""
    server = service.server
    pack = make_pack(unique("immutable"), "2.0")
    first = publish(server, as_bytes(pack))
    assert first.status_code == 201 and first.json()["status"] == "published"
    again = publish(server, as_bytes(pack))
    assert again.status_code == 200 and again.json()["status"] == "unchanged"
    assert again.json()["sha256"] == first.json()["sha256"]
    changed = publish(server, as_bytes({**pack, "title": "Quietly changed"}))
    assert changed.status_code == 409 and "new version" in changed.json()["detail"]
    older = publish(server, as_bytes({**pack, "version": "1.5"}))
    assert older.status_code == 409 and "older" in older.json()["detail"]
    withdraw(server, pack["id"])


def test_withdrawal_removes_the_server_copy_but_never_a_hand_installed_pack(service, laptops, tmp_path):
    """The server withdraws its pack: the laptop removes the copy the server gave. A pack
    installed by hand (another id) and a hand-installed copy of the withdrawn id stay."""
    server, packs, laptop = service.server, tmp_path / "packs", laptops("a")
    served, own = unique("served"), unique("own")
    assert publish(server, as_bytes(make_pack(served))).status_code == 201
    for name, pack in (("own.json", make_pack(own)), ("same-id.json", make_pack(served, "0.1", title="Local copy"))):
        (tmp_path / name).write_bytes(as_bytes(pack))
        install_pack(tmp_path / name, packs)
    service.engine(laptop, "a", packs_dir=packs).sync()
    assert (packs / SERVER_SUBDIR / f"{served}.json").is_file()
    assert load_registry(packs).get(served).title == "Local copy"  # by hand wins here

    answer = withdraw(server, served)
    assert answer.status_code == 200 and answer.json()["withdrawn"] == ["1.0.0"]
    assert all(p["pack_id"] != served for p in server.api.get("/content/packs", service.tokens["a"]).json()["packs"])
    report = service.engine(laptop, "a", packs_dir=packs).sync()
    assert report.packs_removed == 1
    assert not (packs / SERVER_SUBDIR / f"{served}.json").exists()
    assert (packs / f"{own}.json").is_file() and (packs / f"{served}.json").is_file()
    registry = load_registry(packs)
    assert registry.get(own).version == "1.0.0" and registry.get(served).title == "Local copy"
    assert withdraw(server, served).status_code == 404  # nothing left to withdraw


def test_only_administrators_publish_or_withdraw(service):
    """Practitioners and team leads get 403 from every /admin/packs endpoint; anyone signed
    in reads the manifest; nobody signed out does."""
    server, api = service.server, service.server.api
    pack_id = unique("guarded")
    data = as_bytes(make_pack(pack_id))
    for who in ("a", "lead"):
        token = service.tokens[who]
        assert publish(server, data, token).status_code == 403
        assert api.get("/admin/packs", token).status_code == 403
        assert withdraw(server, pack_id, token).status_code == 403
        assert api.get("/content/packs", token).status_code == 200
    assert requests.get(server.url + "/content/packs", timeout=30).status_code == 401
    assert requests.get(server.url + "/content/packs/" + "0" * 64, timeout=30).status_code == 401
    assert all(p["pack_id"] != pack_id for p in api.get("/admin/packs", server.admin_token).json())


def test_an_invalid_pack_is_refused_with_every_problem_listed(service):
    """422 with a readable message: each problem with its location; not JSON; a wording pack
    for a pack that is neither built in nor published."""
    server = service.server
    broken = make_pack(unique("broken"))
    broken["scales"][0]["items"] = ["c1", "nope"]
    del broken["licence"]
    answer = publish(server, as_bytes(broken))
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert "unknown item 'nope'" in detail and "missing required field 'licence'" in detail
    assert publish(server, b"{not json").status_code == 422
    assert "not valid JSON" in publish(server, b"{not json").json()["detail"]
    orphan = {
        "format": "fieldnote-instrument-pack",
        "format_version": 1,
        "kind": "wording",
        "id": unique("orphan"),
        "version": "1",
        "title": "Wording",
        "licence": "Test.",
        "source": "test",
        "synthetic": True,
        "extends": "no-such-pack",
        "items": [{"id": "c1", "text": "Words"}],
    }
    answer = publish(server, as_bytes(orphan))
    assert answer.status_code == 422
    assert "'no-such-pack', which is not a built-in or published pack" in answer.json()["detail"]


def test_wording_packs_follow_the_registrys_rules_across_publications(sqlite_service):
    """A wording pack needs its base published (or built in) with every item it names; one
    base has one wording pack; a base version dropping a worded item, or withdrawing the
    base under its wording, is refused (409) until the wording is withdrawn."""
    server = sqlite_service.server
    base_id = unique("base")
    wording = {
        "format": "fieldnote-instrument-pack",
        "format_version": 1,
        "kind": "wording",
        "id": unique("words"),
        "version": "1",
        "title": "Wording",
        "licence": "Test.",
        "source": "test",
        "synthetic": True,
        "extends": base_id,
        "items": [{"id": "c2", "text": "Rewards are used by every member of staff"}],
    }
    assert publish(server, as_bytes(wording)).status_code == 422  # base not published yet
    assert publish(server, as_bytes(make_pack(base_id))).status_code == 201
    assert publish(server, as_bytes(wording)).status_code == 201
    second = publish(server, as_bytes({**wording, "id": unique("words")}))
    assert second.status_code == 409 and "already supplies" in second.json()["detail"]

    smaller = make_pack(base_id, "2.0")
    smaller["items"], smaller["scales"][0]["items"] = smaller["items"][:1], ["c1"]
    answer = publish(server, as_bytes(smaller))
    assert answer.status_code == 409 and "no such item" in answer.json()["detail"]
    assert withdraw(server, base_id).status_code == 409
    assert withdraw(server, wording["id"]).status_code == 200
    assert publish(server, as_bytes(smaller)).status_code == 201
    assert withdraw(server, base_id).json()["withdrawn"] == ["1.0.0", "2.0"]


def test_a_garbled_manifest_is_a_clear_error_and_changes_no_pack(sqlite_service, laptops, tmp_path):
    """A manifest that is not JSON, or has the wrong shape, or names a path instead of a
    pack id: SyncError saying so; the installed packs and the record of them stay."""
    service, packs, laptop = sqlite_service, tmp_path / "packs", laptops("a")
    pack_id = unique("steady")
    original = as_bytes(make_pack(pack_id))
    assert publish(service.server, original).status_code == 201
    service.engine(laptop, "a", packs_dir=packs).sync()
    state = content.load_state(laptop)
    assert publish(service.server, as_bytes(make_pack(pack_id, "2.0"))).status_code == 201

    for garbage in (
        b"<html>Gateway login</html>",
        b'{"packs": "all of them", "etag": "x"}',
        json.dumps(
            {
                "etag": "x",
                "packs": [
                    {
                        "pack_id": "../../evil",
                        "version": "1",
                        "kind": "audit",
                        "title": "t",
                        "sha256": "0" * 64,
                        "size": 1,
                    }
                ],
            }
        ).encode(),
    ):

        class Garbled(Recording):
            def tamper(self, path, response):
                if path.startswith("/content/packs") and "/content/packs/" not in path:
                    response.status_code, response._content = 200, garbage
                return response

        with pytest.raises(SyncError, match="not understood .pack manifest"):
            engine_with(service, laptop, "a", packs, Garbled()).sync()
        assert (packs / SERVER_SUBDIR / f"{pack_id}.json").read_bytes() == original
        assert content.load_state(laptop) == state
    assert not (tmp_path / "evil.json").exists()
    withdraw(service.server, pack_id)


def test_a_corrupt_or_invalid_download_is_not_installed_and_the_rest_are(sqlite_service, laptops, tmp_path):
    """A download whose bytes do not match their hash is not installed, nor is a pack the
    laptop's loader refuses; both are reported, the other packs install, sync completes,
    and the next sync tries again (and installs the pack once it arrives whole)."""
    service, packs, laptop = sqlite_service, tmp_path / "packs", laptops("a")
    damaged, fine = unique("damaged"), unique("fine")
    good = as_bytes(make_pack(damaged))
    assert publish(service.server, good).status_code == 201
    assert publish(service.server, as_bytes(make_pack(fine))).status_code == 201
    good_sha = hashlib.sha256(good).hexdigest()
    invalid = b'{"format": "fieldnote-instrument-pack", "format_version": 1, "id": "bad"}'
    invalid_sha = hashlib.sha256(invalid).hexdigest()

    class Faulty(Recording):
        def tamper(self, path, response):
            if path == f"/content/packs/{good_sha}":
                response._content = response.content.replace(b"Behaviour", b"Misbehaviour")
            elif path == f"/content/packs/{invalid_sha}":
                response.status_code, response._content = 200, invalid
            elif path == "/content/packs" and response.status_code == 200:
                manifest = response.json()
                manifest["packs"].append(
                    {
                        "pack_id": "bad",
                        "version": "1",
                        "kind": "audit",
                        "title": "t",
                        "sha256": invalid_sha,
                        "size": len(invalid),
                    }
                )
                response._content = json.dumps(manifest).encode()
            return response

    report = engine_with(service, laptop, "a", packs, Faulty()).sync()
    assert any("arrived damaged" in e and damaged in e for e in report.errors)
    assert any("missing required field 'version'" in e for e in report.errors)
    assert not (packs / SERVER_SUBDIR / f"{damaged}.json").exists()
    assert not (packs / SERVER_SUBDIR / "bad.json").exists()
    assert (packs / SERVER_SUBDIR / f"{fine}.json").is_file()
    assert set(content.load_state(laptop)["refused"]) == {damaged, "bad"}

    report = service.engine(laptop, "a", packs_dir=packs).sync()
    assert report.errors == [] and report.packs_installed == 1
    assert (packs / SERVER_SUBDIR / f"{damaged}.json").read_bytes() == good
    withdraw(service.server, damaged)
    withdraw(service.server, fine)


def test_a_server_without_packs_is_no_error(sqlite_service, laptops, tmp_path):
    """A server from before packs were published answers 404: sync carries on."""

    class OldServer(Recording):
        def tamper(self, path, response):
            if path.startswith("/content/"):
                response.status_code, response._content = 404, b'{"detail": "Not Found"}'
            return response

    report = engine_with(sqlite_service, laptops("a"), "a", tmp_path / "packs", OldServer()).sync()
    assert report.packs_installed == 0 and report.errors == []


def test_server_command_publishes_lists_and_withdraws(sqlite_service, tmp_path):
    """``fieldnote-server publish-pack FILE``, ``list-packs``, ``withdraw-pack``."""
    server = sqlite_service.server
    pack_id = unique("cli")
    path = tmp_path / "pack.json"
    path.write_bytes(b"\xef\xbb\xbf" + as_bytes(make_pack(pack_id)))  # a BOM, as Notepad adds
    result = server.cli("publish-pack", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"published: {pack_id} 1.0.0")
    manifest = server.api.get("/content/packs", sqlite_service.tokens["a"]).json()
    assert any(p["pack_id"] == pack_id for p in manifest["packs"])
    listing = server.cli("list-packs")
    assert listing.returncode == 0 and any(
        line.startswith(f"{pack_id}  1.0.0") and line.endswith("*") for line in listing.stdout.splitlines()
    )

    path.write_text("{}", encoding="utf-8")
    refused = server.cli("publish-pack", str(path))
    assert refused.returncode == 1 and "not a Fieldnote instrument pack" in refused.stderr
    assert server.cli("withdraw-pack", pack_id).returncode == 0
    assert "withdrawn" in server.cli("list-packs").stdout
