"""Audit templates: an instrument pack of ``kind: "audit"`` seen as sections and criteria.

The pack loader validates the template (``desktop.forms.loader``, its ``audit`` field);
this module only gives it the shape an audit needs: each criterion's kind (rated on the
template's scale, yes/no, a number with a unit, short text), the scale's levels in
order, section judgement scales and guidance.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from desktop.forms.loader import AUDIT_UNRATED
from desktop.forms.pack import AuditSpec, InstrumentPack, JudgementScale, ResponseOption

RATED, YES_NO, NUMBER, TEXT, CHOICE = "rated", "yes_no", "number", "text", "choice"
NOT_SEEN, NOT_APPLICABLE = AUDIT_UNRATED
UNRATED_LABELS = {NOT_SEEN: "Not seen", NOT_APPLICABLE: "Not applicable"}


class TemplateError(ValueError):
    """A pack that cannot be used as an audit template."""


@dataclass(frozen=True)
class Criterion:
    id: str
    section: str
    number: int
    text: str
    kind: str  # RATED, YES_NO, NUMBER, TEXT or CHOICE
    options: tuple[ResponseOption, ...] = ()
    unit: str = ""
    minimum: int | Decimal | None = None
    maximum: int | Decimal | None = None
    decimals: int = 0
    guidance: dict[str, str] | None = None

    def parse(self, raw) -> str | None:
        """The stored value for what was entered (text), or ValueError in the user's words."""
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            return None
        text = str(raw).strip()
        if self.kind in (RATED, YES_NO, CHOICE):
            values = [str(o.value) for o in self.options]
            if self.kind == RATED:
                values += [v for v in AUDIT_UNRATED if v not in values]
            for v in values:
                if text.lower() == v.lower():
                    return v
            raise ValueError(f"'{text}' is not one of {', '.join(values)}.")
        if self.kind == NUMBER:
            try:
                n = Decimal(text)
            except InvalidOperation:
                raise ValueError(f"'{text}' is not a number.") from None
            if not n.is_finite() or n != n.quantize(Decimal(1).scaleb(-self.decimals)):
                raise ValueError(f"Give a number with at most {self.decimals} decimal place(s).")
            if self.minimum is not None and n < self.minimum:
                raise ValueError(f"{text} is below the lowest allowed, {self.minimum}.")
            if self.maximum is not None and n > self.maximum:
                raise ValueError(f"{text} is above the highest allowed, {self.maximum}.")
            return str(n)
        if len(text) > 2000:
            raise ValueError("Keep this to 2,000 characters; put more in the evidence note.")
        return text


@dataclass(frozen=True)
class Section:
    id: str
    label: str
    criteria: tuple[Criterion, ...]
    judgement_scale: JudgementScale | None
    guidance: tuple[str, ...]

    @property
    def rated(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.kind == RATED)


class AuditTemplate:
    """A validated audit pack as sections of criteria on one rating scale."""

    def __init__(self, pack: InstrumentPack):
        if pack.kind != "audit":
            raise TemplateError(f"'{pack.id}' is not an audit template.")
        self.pack = pack
        spec = pack.audit
        if spec is None:  # an older template without the ``audit`` field: first options set
            first = next((rs for rs in pack.response_sets.values() if rs.kind == "options"), None)
            if first is None:
                raise TemplateError(f"'{pack.id}' has no rating scale.")
            spec = AuditSpec(first.id)
        self.spec = spec
        scale = pack.response_sets[spec.rating_scale]
        #: The rating levels, lowest score first (e.g. red, amber, green).
        self.levels: tuple[ResponseOption, ...] = tuple(
            sorted((o for o in scale.options if o.score is not None), key=lambda o: o.score)
        )
        self.level_rank = {str(o.value): o.score - self.levels[0].score for o in self.levels}
        #: A level's own key and colour when the template gives them (``audit.levels``).
        self.level_own_keys: dict[str, str] = dict(spec.keys)
        self.level_own_colours: dict[str, str] = dict(spec.colours)
        jscales = {j.id: j for j in spec.judgement_scales}
        extra = {a.section: a for a in spec.sections}
        sections = []
        pack_sections = list(pack.sections) or []
        for sec in pack_sections:
            crits = tuple(self._criterion(it) for it in pack.items if it.section == sec.id)
            a = extra.get(sec.id)
            sections.append(
                Section(
                    sec.id,
                    sec.label,
                    crits,
                    jscales.get(a.judgement_scale) if a and a.judgement_scale else None,
                    a.guidance if a else (),
                )
            )
        loose = tuple(self._criterion(it) for it in pack.items if it.section is None)
        if loose:
            sections.append(Section("general", "General", loose, None, ()))
        self.sections: tuple[Section, ...] = tuple(sections)
        self.criteria: dict[str, Criterion] = {c.id: c for s in sections for c in s.criteria}

    @property
    def id(self) -> str:
        return self.pack.id

    @property
    def version(self) -> str:
        return self.pack.version

    @property
    def title(self) -> str:
        return self.pack.title

    def section(self, section_id: str) -> Section:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(section_id)

    def level_label(self, value: str | None) -> str:
        if value is None:
            return ""
        for o in self.levels:
            if str(o.value) == value:
                return o.label
        return UNRATED_LABELS.get(value, value)

    def _criterion(self, item) -> Criterion:
        rs = self.pack.response_sets[item.response_set]
        common = dict(
            id=item.id,
            section=item.section or "general",
            number=item.number,
            text=item.display_text,
            guidance=self.spec.guidance.get(item.id),
        )
        if rs.id == self.spec.rating_scale:
            return Criterion(kind=RATED, options=rs.options, **common)
        if rs.kind == "number":
            return Criterion(
                kind=NUMBER, unit=rs.label, minimum=rs.minimum, maximum=rs.maximum, decimals=rs.decimals, **common
            )
        if rs.kind == "text":
            return Criterion(kind=TEXT, **common)
        values = sorted(str(o.value).lower() for o in rs.options)
        return Criterion(kind=YES_NO if values == ["no", "yes"] else CHOICE, options=rs.options, **common)


def scale_keys(levels: list[tuple[str, str]], own: dict[str, str] | None = None) -> dict[str, str]:
    """Single keys for a rating scale's levels ((value, label), lowest first): N not seen,
    X not applicable, a level's own key when the template gives one, else the first free
    letter of its label (R/A/G; S/R/I/U...), and its position 1..n."""
    own = own or {}
    keys = {"N": NOT_SEEN, "X": NOT_APPLICABLE}
    keys.update({k: v for v, k in own.items()})
    for i, (value, label) in enumerate(levels, 1):
        keys[str(i)] = value
        if value in own:
            continue
        for ch in label.upper():
            if ch.isalpha() and ch not in keys:
                keys[ch] = value
                break
    return keys


def audit_templates(registry) -> list[AuditTemplate]:
    """Every audit template in a pack registry, by title."""
    return sorted(
        (AuditTemplate(p) for p in registry.packs.values() if p.kind == "audit"), key=lambda t: t.title.lower()
    )
