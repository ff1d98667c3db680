"""What the visit report editor offers to cite for a case, and which of them are ticked."""

from __future__ import annotations

from desktop.forms.records import FormRecords
from desktop.reports.evidence_choices import COMPLETION, OBSERVATION, EvidenceChoice, chosen_ids, evidence_choices

SDQ = "SDQ teacher 4–17 (scoring; neutral labels)"
BOXALL = "Boxall Profile (synthetic — not the licensed content)"


def test_observations_then_final_forms_oldest_first_ticked_as_the_report_cites_them(store, sample):
    packs = FormRecords(store)
    boxall, sdq_t1, sdq_t2, sdq_t3 = sample["completions"]
    choices = evidence_choices(
        store,
        sample["referral"],
        {"observations": ["obs-sample-2"], "completions": [boxall]},
        lambda pack_id: packs.pack(pack_id).title,
    )
    assert choices == [
        EvidenceChoice(OBSERVATION, "obs-sample-1", "Observation: Maths, 10/11/2026", False),
        EvidenceChoice(OBSERVATION, "obs-sample-2", "Observation: English, 11/11/2026", True),
        EvidenceChoice(COMPLETION, sdq_t1, f"{SDQ}: 12/10/2026 (T1 baseline)", False),
        EvidenceChoice(COMPLETION, boxall, f"{BOXALL}: 10/11/2026 (T1 baseline)", True),
        EvidenceChoice(COMPLETION, sdq_t2, f"{SDQ}: 16/11/2026 (T2 post-intervention)", False),
        EvidenceChoice(COMPLETION, sdq_t3, f"{SDQ}: 20/11/2026 (T3 follow-up)", False),
    ]
    assert chosen_ids(choices) == (["obs-sample-2"], [boxall])
    ticked = [c.ticked(c.record_id in ("obs-sample-1", sdq_t3)) for c in choices]
    assert chosen_ids(ticked) == (["obs-sample-1"], [sdq_t3])


def test_a_form_whose_pack_is_not_installed_here_is_named_by_its_pack_id(store, sample):
    asked = []

    def not_installed(pack_id):
        asked.append(pack_id)
        raise KeyError(pack_id)

    choices = evidence_choices(store, sample["referral"], {}, not_installed)
    assert [c.label for c in choices if c.kind == COMPLETION] == [
        "sdq-teacher-4-17: 12/10/2026 (T1 baseline)",
        "boxall-synthetic: 10/11/2026 (T1 baseline)",
        "sdq-teacher-4-17: 16/11/2026 (T2 post-intervention)",
        "sdq-teacher-4-17: 20/11/2026 (T3 follow-up)",
    ]
    assert sorted(asked) == ["boxall-synthetic", "sdq-teacher-4-17"]  # each pack asked once
    assert not any(c.chosen for c in choices)
