"""The store's schema, only ever changed through these numbered migrations.

Each migration runs in one transaction together with the ``user_version``
bump, so a crash mid-migration leaves the previous version intact. Never edit a
released migration: add a new one. ``tests/store/test_migrations.py`` opens a
database made at every earlier version.

Every *syncable* table carries the same sync columns (see ``SYNC_COLUMNS``):
a client-generated UUID, a record version, per-field versions for merging, the
modification time and a tombstone flag. Deletes are tombstones.
"""

from __future__ import annotations

APPLICATION_ID = 0x464E4F54  # "FNOT": marks a database as Fieldnote's

SYNC_COLUMNS = """
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL DEFAULT 1,
    field_versions TEXT NOT NULL DEFAULT '{}',
    modified_at TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1))"""

MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (
        1,
        "caseload and outbox",
        [
            f"""CREATE TABLE school ({SYNC_COLUMNS},
            name TEXT NOT NULL,
            urn TEXT,
            phase TEXT,
            governance TEXT,
            area TEXT,
            address TEXT,
            phone TEXT)""",
            f"""CREATE TABLE caseworker ({SYNC_COLUMNS},
            name TEXT NOT NULL,
            email TEXT,
            role TEXT NOT NULL DEFAULT 'practitioner',
            team TEXT,
            area TEXT,
            specialisms TEXT NOT NULL DEFAULT '[]')""",
            f"""CREATE TABLE pupil ({SYNC_COLUMNS},
            school_id TEXT REFERENCES school(id),
            first_name TEXT NOT NULL,
            last_name TEXT NOT NULL,
            date_of_birth TEXT,
            year_group INTEGER,
            gender TEXT,
            upn TEXT,
            fsm INTEGER NOT NULL DEFAULT 0,
            pupil_premium INTEGER NOT NULL DEFAULT 0,
            sen TEXT NOT NULL DEFAULT 'none',
            eal INTEGER NOT NULL DEFAULT 0,
            looked_after INTEGER NOT NULL DEFAULT 0)""",
            f"""CREATE TABLE referral ({SYNC_COLUMNS},
            pupil_id TEXT NOT NULL REFERENCES pupil(id),
            school_id TEXT NOT NULL REFERENCES school(id),
            referral_date TEXT NOT NULL,
            reason TEXT NOT NULL,
            concern TEXT,
            source TEXT,
            status TEXT NOT NULL DEFAULT 'new',
            caseworker_id TEXT REFERENCES caseworker(id),
            allocated_on TEXT,
            closed_on TEXT,
            outcome TEXT,
            fixed_exclusions_before INTEGER,
            permanent_exclusions_before INTEGER,
            fixed_exclusions_after INTEGER,
            permanent_exclusions_after INTEGER)""",
            f"""CREATE TABLE visit ({SYNC_COLUMNS},
            referral_id TEXT NOT NULL REFERENCES referral(id),
            visit_date TEXT NOT NULL,
            visit_type TEXT NOT NULL,
            attendees TEXT,
            notes TEXT,
            recommendations TEXT)""",
            f"""CREATE TABLE support_plan ({SYNC_COLUMNS},
            referral_id TEXT NOT NULL REFERENCES referral(id),
            start_date TEXT NOT NULL,
            targets TEXT,
            strategies TEXT,
            review_dates TEXT NOT NULL DEFAULT '[]',
            parent_involvement TEXT,
            status TEXT NOT NULL DEFAULT 'open')""",
            f"""CREATE TABLE helpline_call ({SYNC_COLUMNS},
            call_date TEXT NOT NULL,
            school_id TEXT REFERENCES school(id),
            referral_id TEXT REFERENCES referral(id),
            caller TEXT,
            caller_role TEXT,
            topic TEXT NOT NULL,
            advice TEXT,
            outcome TEXT)""",
            """CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            mutation_id TEXT NOT NULL UNIQUE,
            device_id TEXT NOT NULL,
            entity TEXT NOT NULL,
            record_id TEXT NOT NULL,
            op TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete')),
            fields TEXT NOT NULL,
            base_version INTEGER NOT NULL,
            schema_version INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT)""",
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            "CREATE INDEX pupil_school ON pupil(school_id)",
            "CREATE INDEX referral_status ON referral(status)",
            "CREATE INDEX referral_pupil ON referral(pupil_id)",
            "CREATE INDEX referral_caseworker ON referral(caseworker_id)",
            "CREATE INDEX visit_referral ON visit(referral_id)",
            "CREATE INDEX plan_referral ON support_plan(referral_id)",
            "CREATE INDEX outbox_state ON outbox(state, seq)",
        ],
    ),
    (
        2,
        "append-only audit trail",
        [
            """CREATE TABLE audit_log (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            entity TEXT,
            record_id TEXT,
            detail TEXT)""",
            """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
           BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END""",
            """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
           BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END""",
            "CREATE INDEX audit_record ON audit_log(entity, record_id)",
        ],
    ),
    (
        3,
        "sync state: cursor, server versions, conflicts, review",
        [
            # Key/value sync settings: the server URL, the pull cursor, the last sync time.
            "CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            # The server's version of each record this laptop has applied (from a pull or a push
            # reply). Local versions count local edits too, so they cannot stand in for it.
            """CREATE TABLE sync_record (
            entity TEXT NOT NULL,
            record_id TEXT NOT NULL,
            server_version INTEGER NOT NULL,
            PRIMARY KEY (entity, record_id))""",
            # The server version an edit was made on, captured when the edit is written, so that
            # the server can tell a concurrent edit from one made after seeing the other.
            "ALTER TABLE outbox ADD COLUMN server_base INTEGER",
            "UPDATE outbox SET server_base = 0",
            """CREATE TRIGGER outbox_server_base AFTER INSERT ON outbox
           BEGIN
             UPDATE outbox SET server_base = COALESCE(
               (SELECT server_version FROM sync_record
                 WHERE entity = NEW.entity AND record_id = NEW.record_id), 0)
             WHERE seq = NEW.seq;
           END""",
            # Both values of a field edited on two laptops, until a person chooses.
            """CREATE TABLE conflict (
            id TEXT PRIMARY KEY,
            entity TEXT NOT NULL,
            record_id TEXT NOT NULL,
            field TEXT NOT NULL,
            kind TEXT NOT NULL,
            local_value TEXT,
            remote_value TEXT,
            mutation_id TEXT,
            created_at TEXT NOT NULL,
            resolved_at TEXT,
            resolution TEXT)""",
            "CREATE INDEX conflict_open ON conflict(resolved_at, entity, record_id)",
            # Unsent edits of a case that was reallocated away from this laptop: kept for review.
            """CREATE TABLE review (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            entity TEXT NOT NULL,
            record_id TEXT NOT NULL,
            reason TEXT NOT NULL,
            record TEXT,
            changes TEXT NOT NULL,
            created_at TEXT NOT NULL,
            resolved_at TEXT)""",
        ],
    ),
    (
        4,
        "form completions and answers",
        [
            f"""CREATE TABLE form_completion ({SYNC_COLUMNS},
            pupil_id TEXT NOT NULL REFERENCES pupil(id),
            referral_id TEXT REFERENCES referral(id),
            pack_id TEXT NOT NULL,
            pack_version TEXT NOT NULL,
            informant TEXT NOT NULL,
            age_band TEXT NOT NULL,
            completed_by TEXT NOT NULL,
            respondent TEXT,
            completed_on TEXT NOT NULL,
            time_point TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'final')),
            finalised_at TEXT,
            supersedes TEXT REFERENCES form_completion(id))""",
            f"""CREATE TABLE form_answer ({SYNC_COLUMNS},
            completion_id TEXT NOT NULL REFERENCES form_completion(id),
            item_id TEXT NOT NULL,
            value TEXT)""",
            "CREATE UNIQUE INDEX form_answer_item ON form_answer(completion_id, item_id)",
            "CREATE INDEX form_completion_pupil ON form_completion(pupil_id, pack_id)",
            # Recorded evidence is immutable once finalised: a correction is a new completion.
            """CREATE TRIGGER form_completion_final BEFORE UPDATE ON form_completion
           WHEN OLD.status = 'final'
           BEGIN SELECT RAISE(ABORT, 'a finalised form cannot change; make a correction'); END""",
            """CREATE TRIGGER form_answer_final BEFORE UPDATE ON form_answer
           WHEN (SELECT status FROM form_completion WHERE id = OLD.completion_id) = 'final'
           BEGIN SELECT RAISE(ABORT, 'a finalised form cannot change; make a correction'); END""",
            """CREATE TRIGGER form_answer_final_delete BEFORE DELETE ON form_answer
           WHEN (SELECT status FROM form_completion WHERE id = OLD.completion_id) = 'final'
           BEGIN SELECT RAISE(ABORT, 'a finalised form cannot change; make a correction'); END""",
        ],
    ),
    (
        5,
        "classroom observations as event logs",
        [
            # What lists and resume need; the event log below is the observation itself.
            f"""CREATE TABLE observation ({SYNC_COLUMNS},
            referral_id TEXT REFERENCES referral(id),
            lesson TEXT,
            scheme_name TEXT,
            interval_seconds INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('recording', 'ended', 'final')),
            observation_version INTEGER NOT NULL DEFAULT 1,
            supersedes TEXT,
            started_at TEXT NOT NULL,
            ended_at TEXT)""",
            # One row per engine event, committed as it happens: append-only evidence.
            f"""CREATE TABLE observation_event ({SYNC_COLUMNS},
            observation_id TEXT NOT NULL REFERENCES observation(id),
            seq INTEGER NOT NULL,
            type TEXT NOT NULL,
            payload TEXT NOT NULL)""",
            "CREATE UNIQUE INDEX observation_event_seq ON observation_event(observation_id, seq)",
            "CREATE INDEX observation_referral ON observation(referral_id, started_at)",
            """CREATE TRIGGER observation_event_no_update BEFORE UPDATE ON observation_event
           BEGIN SELECT RAISE(ABORT, 'recorded observation events cannot change'); END""",
            """CREATE TRIGGER observation_event_no_delete BEFORE DELETE ON observation_event
           BEGIN SELECT RAISE(ABORT, 'recorded observation events cannot change'); END""",
            """CREATE TRIGGER observation_final BEFORE UPDATE ON observation WHEN OLD.status = 'final'
           BEGIN SELECT RAISE(ABORT, 'a finalised observation cannot change; make a new version'); END""",
        ],
    ),
    (
        6,
        "custom coding schemes",
        [
            # A service's own schemes (copies of the presets, edited). Each observation keeps the
            # scheme it used in its own event log, so editing a scheme never changes past ones.
            f"""CREATE TABLE coding_scheme ({SYNC_COLUMNS},
            name TEXT NOT NULL,
            definition TEXT NOT NULL)""",
        ],
    ),
    (
        7,
        "attachments",
        [
            # A file (a PDF report, a logo) attached to a case or a school. The record names the
            # bytes by their SHA-256; the bytes travel separately (sync rule 9).
            f"""CREATE TABLE attachment ({SYNC_COLUMNS},
            sha256 TEXT NOT NULL,
            size INTEGER NOT NULL,
            media_type TEXT,
            filename TEXT,
            title TEXT,
            referral_id TEXT REFERENCES referral(id),
            school_id TEXT REFERENCES school(id))""",
            "CREATE INDEX attachment_referral ON attachment(referral_id)",
            "CREATE INDEX attachment_sha256 ON attachment(sha256)",
            # The bytes themselves, once per content, inside this encrypted store (not synced as
            # records: they go up and down through the attachment endpoints).
            """CREATE TABLE blob (
            sha256 TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            data BLOB NOT NULL,
            added_at TEXT NOT NULL)""",
            # A download in progress: the parts received so far, so a killed sync resumes
            # where it stopped. Moved into ``blob`` (and deleted) once the whole is verified.
            """CREATE TABLE blob_part (
            sha256 TEXT NOT NULL,
            byte_offset INTEGER NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (sha256, byte_offset))""",
        ],
    ),
    (
        8,
        "quarantine of pulled records this laptop cannot store",
        [
            # A record from the server that could not be applied here (a constraint, a trigger,
            # a value of the wrong kind): kept as the server sent it, with the reason, so that
            # it never stops the rest of a pull. Retried or dismissed from Needs attention or
            # ``fieldnote sync --quarantine``; a newer version that applies settles it.
            """CREATE TABLE quarantine (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            entity TEXT NOT NULL,
            record_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            state TEXT NOT NULL,
            reason TEXT NOT NULL,
            created_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 1,
            resolved_at TEXT,
            resolution TEXT)""",
            "CREATE UNIQUE INDEX quarantine_open ON quarantine(entity, record_id) WHERE resolved_at IS NULL",
        ],
    ),
    (
        9,
        "reports",
        [
            # A report a practitioner writes (visit report first; PSP and progress later), saved
            # as they type. ``sections`` is JSON (section key -> plain text); ``evidence`` is JSON
            # ({"observations": [ids], "completions": [ids], "text": {evidence key -> paragraph}}).
            # Finalising renders the PDF and records its SHA-256 in the same update, so a final
            # report never changes again: a correction is a new draft that ``supersedes`` it.
            f"""CREATE TABLE report ({SYNC_COLUMNS},
            referral_id TEXT NOT NULL REFERENCES referral(id),
            kind TEXT NOT NULL DEFAULT 'visit' CHECK (kind IN ('visit', 'psp', 'progress')),
            report_date TEXT NOT NULL,
            sections TEXT NOT NULL DEFAULT '{{}}',
            evidence TEXT NOT NULL DEFAULT '{{}}',
            status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'final')),
            finalised_at TEXT,
            supersedes TEXT REFERENCES report(id),
            issued_sha256 TEXT,
            attachment_id TEXT REFERENCES attachment(id))""",
            "CREATE INDEX report_referral ON report(referral_id, report_date)",
            """CREATE TRIGGER report_final BEFORE UPDATE ON report WHEN OLD.status = 'final'
           BEGIN SELECT RAISE(ABORT, 'a finalised report cannot change; make a correction'); END""",
        ],
    ),
    (
        10,
        "school audits",
        [
            # A school audit (or a follow-up review of one: ``review_of``) on a template (an
            # audit pack). Finalised = immutable; a correction is a new audit that ``supersedes``.
            f"""CREATE TABLE audit ({SYNC_COLUMNS},
            school_id TEXT NOT NULL REFERENCES school(id),
            template_id TEXT NOT NULL,
            template_version TEXT NOT NULL,
            conducted_by TEXT REFERENCES caseworker(id),
            conducted_on TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'final')),
            finalised_at TEXT,
            supersedes TEXT REFERENCES audit(id),
            review_of TEXT REFERENCES audit(id),
            good_practice TEXT,
            notes TEXT)""",
            # One row per criterion, committed the moment it is rated: merges criterion by
            # criterion, so two laptops rating different sections both keep theirs.
            f"""CREATE TABLE audit_rating ({SYNC_COLUMNS},
            audit_id TEXT NOT NULL REFERENCES audit(id),
            criterion_id TEXT NOT NULL,
            value TEXT,
            rated_at TEXT,
            evidence TEXT,
            evidence_at TEXT,
            good_practice INTEGER NOT NULL DEFAULT 0 CHECK (good_practice IN (0, 1)))""",
            "CREATE UNIQUE INDEX audit_rating_criterion ON audit_rating(audit_id, criterion_id)",
            f"""CREATE TABLE audit_judgement ({SYNC_COLUMNS},
            audit_id TEXT NOT NULL REFERENCES audit(id),
            section_id TEXT NOT NULL,
            value TEXT,
            strengths TEXT,
            development TEXT)""",
            "CREATE UNIQUE INDEX audit_judgement_section ON audit_judgement(audit_id, section_id)",
            f"""CREATE TABLE audit_action ({SYNC_COLUMNS},
            audit_id TEXT NOT NULL REFERENCES audit(id),
            action TEXT NOT NULL,
            owner TEXT,
            due_on TEXT,
            status TEXT NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'in_progress', 'done', 'not_done')),
            criteria TEXT NOT NULL DEFAULT '[]',
            progress TEXT,
            carried_from TEXT REFERENCES audit_action(id))""",
            "CREATE INDEX audit_action_audit ON audit_action(audit_id)",
            f"""CREATE TABLE audit_meeting ({SYNC_COLUMNS},
            audit_id TEXT NOT NULL REFERENCES audit(id),
            held_on TEXT,
            attendees TEXT,
            agreed TEXT)""",
            "CREATE UNIQUE INDEX audit_meeting_audit ON audit_meeting(audit_id)",
            "CREATE INDEX audit_school ON audit(school_id, conducted_on)",
            # A photo or document attached to an audit, or to one criterion of it.
            "ALTER TABLE attachment ADD COLUMN audit_id TEXT REFERENCES audit(id)",
            "ALTER TABLE attachment ADD COLUMN criterion_id TEXT",
            "CREATE INDEX attachment_audit ON attachment(audit_id)",
            """CREATE TRIGGER audit_final BEFORE UPDATE ON audit WHEN OLD.status = 'final'
           BEGIN SELECT RAISE(ABORT, 'a finalised audit cannot change; make a correction'); END""",
        ]
        + [
            sql
            for child in ("audit_rating", "audit_judgement", "audit_action", "audit_meeting")
            for sql in (
                f"""CREATE TRIGGER {child}_final BEFORE UPDATE ON {child}
               WHEN (SELECT status FROM audit WHERE id = OLD.audit_id) = 'final'
               BEGIN SELECT RAISE(ABORT, 'a finalised audit cannot change; make a correction'); END""",
                f"""CREATE TRIGGER {child}_final_delete BEFORE DELETE ON {child}
               WHEN (SELECT status FROM audit WHERE id = OLD.audit_id) = 'final'
               BEGIN SELECT RAISE(ABORT, 'a finalised audit cannot change; make a correction'); END""",
            )
        ],
    ),
    (
        11,
        "PSP reviews and dated exclusions",
        [
            # A review of a Pastoral Support Plan: ``ratings`` is JSON, one entry per target as
            # reviewed ({"target": text, "rating": 1-5, "note": text}); progress since the last
            # review is the change in a target's rating between consecutive reviews.
            f"""CREATE TABLE plan_review ({SYNC_COLUMNS},
            referral_id TEXT NOT NULL REFERENCES referral(id),
            plan_id TEXT NOT NULL REFERENCES support_plan(id),
            review_date TEXT NOT NULL,
            ratings TEXT NOT NULL DEFAULT '[]',
            notes TEXT)""",
            "CREATE INDEX plan_review_plan ON plan_review(plan_id, review_date)",
            # One exclusion of a pupil, dated (the referral's before/after counts carry no
            # dates): what "not excluded again within 12 months of closure" and "excluded in the
            # autumn term of Year 7" are counted from.
            f"""CREATE TABLE exclusion ({SYNC_COLUMNS},
            pupil_id TEXT NOT NULL REFERENCES pupil(id),
            referral_id TEXT REFERENCES referral(id),
            exclusion_date TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'fixed' CHECK (kind IN ('fixed', 'permanent')),
            notes TEXT)""",
            "CREATE INDEX exclusion_pupil ON exclusion(pupil_id, exclusion_date)",
        ],
    ),
]

LATEST_VERSION = MIGRATIONS[-1][0]

# Tables whose rows sync, and the columns a client may set on each (everything
# but the sync columns). Derived from the schema at open time; see Store.
SYNCABLE = (
    "school",
    "caseworker",
    "pupil",
    "referral",
    "visit",
    "support_plan",
    "helpline_call",
    "form_completion",
    "form_answer",
    "observation",
    "observation_event",
    "coding_scheme",
    "attachment",
    "report",
    "audit",
    "audit_rating",
    "audit_judgement",
    "audit_action",
    "audit_meeting",
    "plan_review",
    "exclusion",
)
