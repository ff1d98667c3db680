"""The coding schemes a practitioner can choose: the built-in presets and the service's own.

Presets never change; to change one, copy it. Custom schemes live in the store
(synced like any record), validated in full before they are saved.
"""

from __future__ import annotations

import json

from desktop.store import Store

from .errors import SchemeError
from .scheme import CodingScheme, presets


class SchemeLibrary:
    """Presets plus custom schemes kept in the store."""

    def __init__(self, store: Store):
        self.store = store

    def all(self) -> list[CodingScheme]:
        custom = [
            CodingScheme.from_dict(json.loads(r["definition"]))
            for r in self.store.db.query("SELECT definition FROM coding_scheme WHERE deleted = 0 ORDER BY name")
        ]
        return [*presets(), *custom]

    def is_preset(self, scheme_id: str) -> bool:
        return any(p.id == scheme_id for p in presets())

    def get(self, scheme_id: str) -> CodingScheme:
        for scheme in self.all():
            if scheme.id == scheme_id:
                return scheme
        raise SchemeError(f"no coding scheme {scheme_id!r}")

    def save(self, scheme: CodingScheme) -> CodingScheme:
        """Validate (through the same rules as an import) and store a custom scheme."""
        if self.is_preset(scheme.id):
            raise SchemeError("The built-in schemes cannot be changed; copy one to make your own.")
        checked = CodingScheme.from_dict(scheme.to_dict())
        definition = json.dumps(checked.to_dict(), sort_keys=True)
        if self.store.get("coding_scheme", checked.id) is None:
            self.store.create("coding_scheme", {"name": checked.name, "definition": definition}, record_id=checked.id)
        else:
            self.store.update("coding_scheme", checked.id, {"name": checked.name, "definition": definition})
        return checked

    def copy(self, scheme_id: str, name: str | None = None) -> CodingScheme:
        return self.save(self.get(scheme_id).copy(name=name))

    def delete(self, scheme_id: str) -> None:
        if self.is_preset(scheme_id):
            raise SchemeError("The built-in schemes cannot be deleted.")
        self.store.delete("coding_scheme", scheme_id)
