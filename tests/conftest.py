"""Shared fixtures: every test gets its own data folder and a known keyring."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TODAY = date(2026, 11, 23)
PASSPHRASE = "correct horse battery"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that lives in memory, standing in for the OS keyring."""

    priority = 10

    def __init__(self):
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.secrets.get((service, username))

    def set_password(self, service, username, password):
        self.secrets[(service, username)] = password

    def delete_password(self, service, username):
        self.secrets.pop((service, username), None)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """A fresh FIELDNOTE_HOME, no passphrase in the environment, and no OS keyring."""
    home = tmp_path / "home"
    monkeypatch.setenv("FIELDNOTE_HOME", str(home))
    monkeypatch.delenv("FIELDNOTE_PASSPHRASE", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield home
    keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring():
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    return ring


@pytest.fixture
def store(isolated_home):
    from desktop.store import open_store

    s = open_store(isolated_home, PASSPHRASE, actor="tester")
    yield s
    s.close()


@pytest.fixture
def caseload(store):
    from desktop.caseload import Caseload

    return Caseload(store, today=TODAY)


@pytest.fixture
def case(caseload):
    """A school, a caseworker, a pupil and a new referral: the ids."""
    school = caseload.add_school(
        name="Hollowmere Primary School", urn="990001", phase="primary", governance="maintained", area="Ashbridge North"
    )
    worker = caseload.add_caseworker("Sam Whitfield", specialisms=["SEMH"])
    pupil = caseload.add_pupil(
        first_name="Ivy", last_name="Okafor", school_id=school, date_of_birth="2017-03-14", year_group=5
    )
    referral = caseload.add_referral(
        pupil_id=pupil,
        school_id=school,
        reason="persistent_disruption",
        referral_date="2026-11-02",
        concern="Leaves the classroom.",
    )
    return {"school": school, "caseworker": worker, "pupil": pupil, "referral": referral}


def file_bytes(folder: Path) -> bytes:
    """Every byte of every file in a folder (database, WAL, key info)."""
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


@pytest.fixture(autouse=True)
def quick_scrypt(monkeypatch):
    """New passphrase keys in tests use scrypt at n=2**14 (a few ms instead of about a
    second per store). Tests of the real parameters and of their upgrade set
    ``keys.SCRYPT_PARAMS`` back to ``keys.RECOMMENDED_SCRYPT_PARAMS`` (tests/store/test_keyinfo.py);
    commands run in a subprocess always use the real ones."""
    from desktop.store import keys

    monkeypatch.setattr(keys, "SCRYPT_PARAMS", {"n": 2**14, "r": 8, "p": 1})
