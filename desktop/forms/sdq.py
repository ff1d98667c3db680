"""The SDQ (Strengths and Difficulties Questionnaire): forms, columns, coding.

Scoring itself is the generic engine run on the built-in ``sdq-*`` packs; this
module names which pack serves which informant and age band, and fixes the
CSV interchange shape (youthinmind's variable names).

Input coding (what a CSV cell or form value holds):

* the 25 items: 0 = Not True, 1 = Somewhat True, 2 = Certainly True, as
  ticked. Items 7, 11, 14, 21, 25 (obeys, friend, popular, reflect, attends)
  are reverse-scored by the scorer; do not reverse them beforehand.
* ``ebddiff`` (overall, does the child have difficulties): 0 = No,
  1 = minor, 2 = definite, 3 = severe difficulties.
* impact items (``distres imphome impfrie impclas impleis``; the teacher form
  has no ``imphome``/``impleis``): 0 = Not at all, 1 = Only a little,
  2 = Quite a lot, 3 = A great deal, scored 0 / 0 / 1 / 2.
* blank = not answered.
"""

from __future__ import annotations

from desktop.forms.pack import InstrumentPack

INFORMANTS = ("parent", "teacher", "self")
AGE_BANDS = ("4-17", "2-4", "11-17")

#: (informant, age band) → built-in pack id.
PACK_IDS = {
    ("parent", "4-17"): "sdq-parent-4-17",
    ("teacher", "4-17"): "sdq-teacher-4-17",
    ("parent", "2-4"): "sdq-parent-2-4",
    ("teacher", "2-4"): "sdq-teacher-2-4",
    ("self", "11-17"): "sdq-self-11-17",
}

ITEM_COLUMNS = (
    "consid restles somatic shares tantrum loner obeys worries caring fidgety friend fights unhappy "
    "popular distrac clingy kind lies bullied helpout reflect steals oldbest afraid attends"
).split()
IMPACT_COLUMNS = {
    "parent": ("ebddiff", "distres", "imphome", "impfrie", "impclas", "impleis"),
    "self": ("ebddiff", "distres", "imphome", "impfrie", "impclas", "impleis"),
    "teacher": ("ebddiff", "distres", "impfrie", "impclas"),
}
SCORE_COLUMNS = ("emotion", "conduct", "hyper", "peer", "prosoc", "ebdtot", "extern", "intern", "impact")
BAND_SCORES = ("ebdtot", "emotion", "conduct", "hyper", "peer", "prosoc", "impact")


def resolve_form(informant: str, age_band: str | None) -> tuple[str, str]:
    """The (pack id, age band) for an informant and requested age band.

    The self-report form is for 11–17s; asking for it at "4-17" (the scoring
    document's name for the whole scheme) means that form.
    """
    if informant not in INFORMANTS:
        raise ValueError(f"informant must be one of {', '.join(INFORMANTS)}, not '{informant}'")
    if age_band is None:
        age_band = "11-17" if informant == "self" else "4-17"
    if informant == "self" and age_band == "4-17":
        age_band = "11-17"
    pack_id = PACK_IDS.get((informant, age_band))
    if pack_id is None:
        forms = ", ".join(a for (i, a) in PACK_IDS if i == informant)
        raise ValueError(f"there is no SDQ {informant} form for ages {age_band} (available: {forms})")
    return pack_id, age_band


def input_columns(pack: InstrumentPack) -> tuple[str, ...]:
    """The CSV input columns for this SDQ pack, in form order."""
    return tuple(it.id for it in pack.items)
