"""First run on a new laptop: what the set-up asks, checks and does (no Qt).

The set-up (``desktop/ui/first_run.py``) is shown only when there is neither a store nor a
config file (``needs_first_run``) and the app is not being driven by a script
(``FIELDNOTE_PASSPHRASE`` set). It asks, in order:

1. who you are and your service (Settings: your name, service name);
2. where data lives (Settings: data folder; fixed when ``FIELDNOTE_HOME`` is set);
3. how the store is protected: the OS keyring (preferred, when the computer has one), or a
   passphrase. A passphrase must pass ``passphrase_strength``: at least
   ``MIN_PASSPHRASE_LENGTH`` characters and a zxcvbn score of at least 3 of 4 ("safely
   unguessable", about 10^8 guesses or more), counting your name, your service and
   "Fieldnote" as words an attacker would try first. A forgotten passphrase cannot be
   recovered: nobody, not the service's IT, can open the data without it;
4. the address of the service's server (optional; signing in is offered when the window
   opens, or later from Sync ▸ Sign in…);
5. demo data (fictional pupils to try things on) or an empty start.

``apply`` then saves the settings, creates the key and the encrypted store, and fills
the demo data if asked. Everything can be changed later: name, service and data folder in
Settings, the protection in Settings ▸ Data protection (``desktop/protection.py``: keyring ↔
passphrase, or a new passphrase, without rewriting the store), the server in Sync ▸ Sign in….
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from desktop.config import Settings, config_path, load_settings, save_settings
from desktop.store.keys import MIN_PASSPHRASE_LENGTH, PASSPHRASE_ENV, KeyManager, keyring_available

MIN_SCORE = 3  # zxcvbn: 0 too guessable … 4 very unguessable
DEMO_PUPILS = 60
FORGOTTEN_WARNING = (
    "If you forget this passphrase, your Fieldnote data cannot be recovered: nobody, not "
    "even your service's IT, can open it without the passphrase. Write it down somewhere "
    "safe, away from the laptop, or use a password manager."
)


@dataclass
class Strength:
    acceptable: bool
    score: int  # zxcvbn's 0-4 (0 when too short to be scored)
    message: str  # what the user sees under the field


def passphrase_strength(passphrase: str, words: tuple[str, ...] = ()) -> Strength:
    """Whether a new passphrase is strong enough, and why not in the user's words.
    ``words``: the user's name, service and the like, which an attacker would try first."""
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        return Strength(
            False, 0, f"Use at least {MIN_PASSPHRASE_LENGTH} characters; a few unrelated words are easy to remember."
        )
    from zxcvbn import zxcvbn  # imported here: its word lists take a moment to load

    inputs = ["fieldnote"]
    for text in words:  # "Siân Ó Briain" → "siân", "sian", "ó", "o", "briain", "sianobriain"…
        plain = "".join(c for c in unicodedata.normalize("NFKD", str(text).lower()) if not unicodedata.combining(c))
        for variant in {str(text).lower(), plain}:
            inputs += [*variant.split(), "".join(variant.split())]
    result = zxcvbn(passphrase[:100], user_inputs=inputs)
    score = int(result["score"])
    if score >= MIN_SCORE:
        return Strength(True, score, "Strong enough." if score == MIN_SCORE else "A strong passphrase.")
    feedback = result.get("feedback") or {}
    hint = feedback.get("warning") or "It would be guessed too easily."
    tips = " ".join(feedback.get("suggestions") or ["Add another word or two."])
    return Strength(False, score, f"{hint.rstrip('.')}. {tips}".strip())


@dataclass
class FirstRunChoices:
    practitioner_name: str = ""
    service_name: str = Settings.service_name
    data_dir: str = ""  # empty: the platform's per-user data folder
    protection: str = "keyring"  # "keyring" or "passphrase"
    passphrase: str = ""
    server_url: str = ""  # optional: sign in is offered when the window opens
    demo_data: bool = False


def scripted() -> bool:
    """Started by a script or a test with its passphrase given: no set-up is shown."""
    return bool(os.environ.get(PASSPHRASE_ENV))


def default_data_dir() -> Path:
    """The data folder used when none is chosen (``FIELDNOTE_HOME`` if set)."""
    import platformdirs

    from desktop.paths import APP_AUTHOR, APP_NAME

    home = os.environ.get("FIELDNOTE_HOME")
    if home:
        return Path(home).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR, roaming=False))


def data_dir_fixed() -> bool:
    """``FIELDNOTE_HOME`` decides the data folder: the set-up shows it but cannot move it."""
    return bool(os.environ.get("FIELDNOTE_HOME"))


def needs_first_run() -> bool:
    """No config file and no store (nor key information) in the data folder."""
    if scripted() or config_path().exists():
        return False
    home = default_data_dir()
    return not any((home / name).exists() for name in ("fieldnote.db", "keyinfo.json"))


def protection_choices() -> list[str]:
    """What the computer can offer: the keyring only where a backend is usable."""
    return ["keyring", "passphrase"] if keyring_available() else ["passphrase"]


def check(choices: FirstRunChoices) -> dict[str, str]:
    """Problems by page ("you", "data", "protection", "server"); empty when all is well."""
    problems: dict[str, str] = {}
    if not choices.practitioner_name.strip():
        problems["you"] = "Enter your name: it is recorded with every change you make."
    elif not choices.service_name.strip():
        problems["you"] = "Enter your service's name: it is printed on your reports."
    if choices.data_dir.strip():
        folder = Path(choices.data_dir.strip()).expanduser()
        if not folder.is_absolute():
            problems["data"] = "Choose a full folder path (for example from Browse…)."
        elif folder.exists() and not folder.is_dir():
            problems["data"] = f"{folder} is a file, not a folder."
        elif folder.is_dir() and any((folder / n).exists() for n in ("fieldnote.db", "keyinfo.json")):
            problems["data"] = (
                f"{folder} already holds Fieldnote data. Choose an empty folder, "
                "or restore a backup into it from the command line."
            )
    if choices.protection not in protection_choices():
        problems["protection"] = "This computer has no OS keyring: choose a passphrase."
    elif choices.protection == "passphrase":
        strength = passphrase_strength(choices.passphrase, (choices.practitioner_name, choices.service_name))
        if not strength.acceptable:
            problems["protection"] = strength.message
    url = choices.server_url.strip()
    if url:
        from sync.client.errors import SyncError
        from sync.client.transport import check_server_url

        try:
            check_server_url(url)
        except (SyncError, ValueError) as exc:
            problems["server"] = str(exc)
    return problems


@dataclass
class Created:
    """What ``create`` made: the store's file and key, and who writes in it."""

    path: Path
    key: bytes
    actor: str | None


def create(choices: FirstRunChoices) -> Created:
    """The slow part of the set-up, for any thread (the wizard runs it off the GUI thread):
    save the settings, create the key (scrypt, or a write to the OS keyring) and the store,
    and add demo data if asked. The store is closed again (a connection is used only on the
    thread that opened it): ``open_created`` opens it where it is needed. Raises
    ``ValueError`` listing the problems if any."""
    problems = check(choices)
    if problems:
        raise ValueError(" ".join(problems.values()))
    from desktop import paths
    from desktop.store.db import store_path

    settings = load_settings()
    settings.practitioner_name = choices.practitioner_name.strip()
    settings.service_name = choices.service_name.strip()
    if not data_dir_fixed():
        settings.data_dir = choices.data_dir.strip()
    had_settings = config_path().exists()
    save_settings(settings)
    home = paths.data_dir()
    try:
        keys = KeyManager(home)
        key = keys.obtain(choices.passphrase if choices.protection == "passphrase" else None)
        made = Created(store_path(home), key, settings.practitioner_name or None)
        store = open_created(made)
    except BaseException:
        if not had_settings:  # no store was made: the set-up is offered again at next start
            config_path().unlink(missing_ok=True)
        raise
    try:
        if choices.demo_data:
            from desktop.caseload import Caseload
            from desktop.demo import fill_demo

            fill_demo(Caseload(store), DEMO_PUPILS)
    finally:
        store.close()
    return made


def open_created(made: Created):
    """The store ``create`` made, opened on this thread."""
    from desktop.store import Store

    return Store.open(made.path, made.key, actor=made.actor)


def apply(choices: FirstRunChoices):
    """``create``, then open the store here. Returns ``(store, key)``."""
    made = create(choices)
    return open_created(made), made.key
