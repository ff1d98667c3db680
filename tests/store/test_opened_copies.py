"""Decrypted copies opened in another app are owner-only and do not linger."""

import os
import stat
import time

import pytest

from desktop.opened_copies import clear, prune, write_opened_copy, write_private_bytes
from desktop.store.attachments import add_attachment

posix_only = pytest.mark.skipif(os.name != "posix", reason="modes are POSIX's; Windows uses ACLs")


@pytest.fixture
def usual_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


@posix_only
def test_an_opened_copy_is_written_owner_only_in_owner_only_folders(store, tmp_path, usual_umask):
    source = tmp_path / "letter.pdf"
    source.write_bytes(b"%PDF-1.4 a letter about a child")
    doc = store.get("attachment", add_attachment(store, source))
    root = tmp_path / "data" / "opened-documents"
    path = write_opened_copy(store, doc, root)
    assert path.read_bytes() == source.read_bytes() and path.is_relative_to(root)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert not list(path.parent.glob("*.part"))


@posix_only
def test_a_rendered_report_is_owner_only_too(tmp_path, usual_umask):
    path = write_private_bytes(tmp_path / "opened-documents" / "abc", "Report.pdf", b"%PDF")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.parent.parent.stat().st_mode) == 0o700


def test_old_copies_are_pruned_and_clear_removes_all(tmp_path):
    root = tmp_path / "opened-documents"
    old, new = root / "old", root / "new"
    for folder in (old, new):
        folder.mkdir(parents=True)
        (folder / "f.pdf").write_bytes(b"x")
    day_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (day_ago, day_ago))
    assert prune(root) == 1
    assert not old.exists() and new.exists()
    clear(root)
    assert not root.exists()
    assert prune(root) == 0  # nothing there: nothing to do
