"""The first-run set-up on a new laptop (a wizard). What it asks and does: desktop/first_run.py.

Finishing creates the key (scrypt, about a second, or a write to the OS keyring), the store
and any demo data: that runs off the GUI thread (``wizard.tasks``, a ``Tasks``: no main
window exists yet), while the last page says "Protecting your data…" and the wizard's
buttons wait. Only opening the finished store happens here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from desktop import first_run
from desktop.first_run import FORGOTTEN_WARNING, FirstRunChoices
from desktop.store import StoreError
from desktop.ui.tasks import Tasks

ERROR_STYLE = "color: #b00020;"
WORKING = "Protecting your data… Fieldnote opens when it is ready."


@dataclass
class FirstRunResult:
    store: object
    key: bytes
    choices: FirstRunChoices


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    return label


def _problem_label() -> QLabel:
    label = QLabel("")
    label.setObjectName("problem")
    label.setWordWrap(True)
    label.setStyleSheet(ERROR_STYLE)
    return label


class _Page(QWizardPage):
    """A page whose Next checks the choices and shows its own problem, if any."""

    key = ""

    def __init__(self, wizard: "FirstRunWizard", title: str, subtitle: str):
        super().__init__()
        self.setTitle(title)
        self.setSubTitle(subtitle)
        self.owner = wizard
        self.layout_ = QVBoxLayout(self)
        self.problem = _problem_label()

    def finish_layout(self) -> None:
        self.layout_.addStretch(1)
        self.layout_.addWidget(self.problem)

    def store_choices(self) -> None:
        """Copy this page's fields into ``owner.choices``."""

    def validatePage(self) -> bool:  # noqa: N802 (Qt's name)
        self.store_choices()
        message = first_run.check(self.owner.choices).get(self.key, "")
        self.problem.setText(message)
        return not message


class YouPage(_Page):
    key = "you"

    def __init__(self, wizard):
        super().__init__(
            wizard,
            "Welcome to Fieldnote",
            "A few questions set this laptop up. Everything here can be changed later in Settings.",
        )
        form = QFormLayout()
        self.name = QLineEdit()
        self.name.setObjectName("practitioner_name")
        self.name.setPlaceholderText("e.g. Siân Ó Briain")
        self.service = QLineEdit(wizard.choices.service_name)
        self.service.setObjectName("service_name")
        form.addRow("&Your name", self.name)
        form.addRow("Your &service", self.service)
        self.layout_.addLayout(form)
        self.layout_.addWidget(
            _note("Your name is recorded with every change you make; your service's name is printed on your reports.")
        )
        self.finish_layout()

    def store_choices(self) -> None:
        self.owner.choices.practitioner_name = self.name.text().strip()
        self.owner.choices.service_name = self.service.text().strip()


class DataPage(_Page):
    key = "data"

    def __init__(self, wizard):
        super().__init__(
            wizard,
            "Where your data lives",
            "Fieldnote keeps everything on this laptop, encrypted, and sends it to your service's server when it can.",
        )
        self.default = first_run.default_data_dir()
        row = QHBoxLayout()
        self.folder = QLineEdit()
        self.folder.setObjectName("data_dir")
        self.folder.setPlaceholderText(str(self.default))
        self.browse = QPushButton("&Browse…")
        self.browse.clicked.connect(self.choose)
        row.addWidget(self.folder, 1)
        row.addWidget(self.browse)
        self.layout_.addWidget(QLabel("Data &folder"))
        self.layout_.itemAt(0).widget().setBuddy(self.folder)
        self.layout_.addLayout(row)
        if first_run.data_dir_fixed():
            self.folder.setText(str(self.default))
            self.folder.setEnabled(False)
            self.browse.setEnabled(False)
            self.layout_.addWidget(
                _note(
                    "This copy of Fieldnote was started with its data folder "
                    "set (FIELDNOTE_HOME), so it cannot be moved here."
                )
            )
        else:
            self.layout_.addWidget(
                _note(
                    "Leave it empty to use the usual place for your account. Choose a folder on this "
                    "laptop's own disk, not a shared or synced drive (OneDrive, Dropbox): the data "
                    "is already encrypted and backed up through the server."
                )
            )
        self.finish_layout()

    def choose(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Choose Fieldnote's data folder", self.folder.text() or str(self.default.parent)
        )
        if folder:
            self.folder.setText(folder)

    def store_choices(self) -> None:
        if not first_run.data_dir_fixed():
            self.owner.choices.data_dir = self.folder.text().strip()


class ProtectionPage(_Page):
    key = "protection"

    def __init__(self, wizard):
        super().__init__(wizard, "How your data is protected", "Fieldnote's data is encrypted. Choose what unlocks it.")
        available = first_run.protection_choices()
        self.keyring = QRadioButton(
            "This computer's &keyring (recommended): your Windows or Mac sign-in unlocks Fieldnote"
        )
        self.keyring.setObjectName("keyring")
        self.passphrase_choice = QRadioButton("A passphrase that you &type when Fieldnote starts")
        self.passphrase_choice.setObjectName("passphrase_mode")
        group = QButtonGroup(self)
        group.addButton(self.keyring)
        group.addButton(self.passphrase_choice)
        self.layout_.addWidget(self.keyring)
        if "keyring" not in available:
            self.keyring.setEnabled(False)
            self.keyring.setText("This computer's keyring (not available on this computer)")
        self.layout_.addWidget(self.passphrase_choice)
        (self.keyring if "keyring" in available else self.passphrase_choice).setChecked(True)

        self.fields = QWidget()
        form = QFormLayout(self.fields)
        self.passphrase = QLineEdit()
        self.passphrase.setObjectName("passphrase")
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.again = QLineEdit()
        self.again.setObjectName("passphrase_again")
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        self.strength = QLabel("")
        self.strength.setObjectName("strength")
        self.strength.setWordWrap(True)
        form.addRow("Pass&phrase", self.passphrase)
        form.addRow("&Again", self.again)
        form.addRow("", self.strength)
        warning = _note(FORGOTTEN_WARNING)
        warning.setObjectName("warning")
        warning.setStyleSheet("font-weight: bold;")
        form.addRow(warning)
        self.understood = QCheckBox("I &understand that a forgotten passphrase cannot be recovered")
        self.understood.setObjectName("understood")
        form.addRow(self.understood)
        self.layout_.addWidget(self.fields)
        self.finish_layout()
        self.passphrase.textChanged.connect(self.update_strength)
        self.passphrase_choice.toggled.connect(self.update_mode)
        self.update_mode()

    def update_mode(self) -> None:
        self.fields.setVisible(self.passphrase_choice.isChecked())

    def update_strength(self) -> None:
        text = self.passphrase.text()
        if not text:
            self.strength.setText("")
            return
        s = first_run.passphrase_strength(text, (self.owner.choices.practitioner_name, self.owner.choices.service_name))
        self.strength.setText(s.message)
        self.strength.setStyleSheet("color: #1b5e20;" if s.acceptable else ERROR_STYLE)

    def store_choices(self) -> None:
        mode = "passphrase" if self.passphrase_choice.isChecked() else "keyring"
        self.owner.choices.protection = mode
        self.owner.choices.passphrase = self.passphrase.text() if mode == "passphrase" else ""

    def validatePage(self) -> bool:  # noqa: N802
        if not super().validatePage():
            return False
        if self.owner.choices.protection != "passphrase":
            return True
        if self.again.text() != self.passphrase.text():
            self.problem.setText("The two passphrases are not the same.")
            return False
        if not self.understood.isChecked():
            self.problem.setText(
                "Tick the box to confirm that you understand a forgotten passphrase cannot be recovered."
            )
            return False
        return True


class ServerPage(_Page):
    key = "server"

    def __init__(self, wizard):
        super().__init__(
            wizard,
            "Your service's server (optional)",
            "Fieldnote works offline. Connecting to your service's server backs "
            "your work up and shares your caseload with your team.",
        )
        form = QFormLayout()
        self.server = QLineEdit()
        self.server.setObjectName("server_url")
        self.server.setPlaceholderText("https://fieldnote.example-council.gov.uk")
        form.addRow("Server &address", self.server)
        self.layout_.addLayout(form)
        self.layout_.addWidget(
            _note(
                "Your service's IT lead gives you the address, a user name and a password. Leave "
                "it empty to connect later from Sync ▸ Sign in…; if you fill it in, you can sign in "
                "as soon as Fieldnote opens."
            )
        )
        self.finish_layout()

    def store_choices(self) -> None:
        self.owner.choices.server_url = self.server.text().strip()


class StartPage(_Page):
    key = "start"

    def __init__(self, wizard):
        super().__init__(wizard, "Start", "Start with an empty caseload, or with demo data to try Fieldnote out.")
        self.empty = QRadioButton("An &empty caseload: I am ready to add my schools and pupils")
        self.empty.setObjectName("empty_start")
        self.demo = QRadioButton(
            f"&Demo data: {first_run.DEMO_PUPILS} fictional pupils in invented schools, to try things on"
        )
        self.demo.setObjectName("demo_data")
        self.empty.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.empty)
        group.addButton(self.demo)
        self.layout_.addWidget(self.empty)
        self.layout_.addWidget(self.demo)
        self.layout_.addWidget(
            _note(
                "Demo data is made up, but it is mixed with anything you add and is sent to the "
                "server like the rest: use it on a laptop that is not yet connected, and start a "
                "new data folder for real work."
            )
        )
        self.finish_layout()
        self.working = QLabel("")
        self.working.setObjectName("working")
        self.layout_.addWidget(self.working)
        self._starting = False

    def store_choices(self) -> None:
        self.owner.choices.demo_data = self.demo.isChecked()

    def validatePage(self) -> bool:  # noqa: N802
        """Finish: create everything off the GUI thread; the wizard closes when it is done."""
        if self.owner.outcome is not None:  # created: accept() asks again
            return True
        if self.owner.busy:
            return False
        self.store_choices()
        self.problem.setText("")
        self.owner.set_busy(True)
        choices = dataclasses.replace(self.owner.choices)  # the worker's own copy
        self._starting = True
        try:
            self.owner.tasks.run(lambda: first_run.create(choices), self._created)
        finally:
            self._starting = False
        return self.owner.outcome is not None  # a synchronous pool (tests) has finished

    def _created(self, made, error: BaseException | None) -> None:
        self.owner.set_busy(False)
        if error is None:
            try:
                store = first_run.open_created(made)
            except (StoreError, OSError) as exc:
                error = exc
        if isinstance(error, ValueError):
            self.problem.setText(str(error))
        elif error is not None:  # a keyring that refused the key, a folder not writable…
            self.problem.setText(f"Fieldnote could not create its data: {error}")
        else:
            self.owner.outcome = FirstRunResult(store, made.key, self.owner.choices)
            if not self._starting:
                self.owner.accept()  # asks validatePage again: True now


class FirstRunWizard(QWizard):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Set up Fieldnote")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setButtonText(QWizard.WizardButton.FinishButton, "&Start Fieldnote")
        self.choices = FirstRunChoices()
        self.outcome: FirstRunResult | None = None
        self.tasks = Tasks()  # tests: wizard.tasks.use_pool(FakeThreadPool())
        self.busy = False
        self.pages = [YouPage(self), DataPage(self), ProtectionPage(self), ServerPage(self), StartPage(self)]
        for page in self.pages:
            self.addPage(page)
        self.resize(760, 560)

    def set_busy(self, busy: bool) -> None:
        """While the store is created: say so; no Back, Finish or Cancel meanwhile."""
        self.busy = busy
        page = self.pages[-1]
        page.working.setText(WORKING if busy else "")
        page.empty.setEnabled(not busy)
        page.demo.setEnabled(not busy)
        for which in (
            QWizard.WizardButton.BackButton,
            QWizard.WizardButton.FinishButton,
            QWizard.WizardButton.CancelButton,
        ):
            self.button(which).setEnabled(not busy)
        if busy:
            self.setCursor(Qt.CursorShape.BusyCursor)
        else:
            self.unsetCursor()

    def done(self, result: int) -> None:
        if self.busy and result != QDialog.DialogCode.Accepted.value:
            return  # Esc or the title bar's close: the creation cannot be stopped midway
        super().done(result)


def run_first_run(parent=None) -> FirstRunResult | None:
    """Show the set-up; the opened store and its key, or None if the user cancelled."""
    wizard = FirstRunWizard(parent)
    if wizard.exec() != QDialog.DialogCode.Accepted:
        return None
    return wizard.outcome


def offer_sign_in(window, server_url: str) -> bool:
    """After the set-up: sign in to the server the user named (they may cancel)."""
    from desktop.ui.sync_ui import SignInDialog

    dialog = SignInDialog(window.tasks, server_url, window)
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    window.sync.update_status()
    if accepted:
        window.sync.sync_now()
    return accepted


__all__ = ["FirstRunWizard", "FirstRunResult", "run_first_run", "offer_sign_in"]
