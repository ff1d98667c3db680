"""Interchange: versioned JSON (lossless) and CSV (one row per interval).

The JSON format is documented in docs/observation-format.md. Import treats
the file as hostile: it checks size before parsing, every field's type and
range, string lengths, interval order, codes against the scheme and event
ownership, and only then builds the observation (through the same event path
as live recording). Any problem raises ``InterchangeError`` naming the field;
nothing half-built is ever returned.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from .errors import InterchangeError, ObservationError
from .observation import END_REASONS, ENDED, FINALISED, Observation, ObservationRecord, parse_iso_utc, record_events
from .records import (
    INCOMPLETE,
    NO_CODES_STATUSES,
    UNCODED,
    INTERVAL_STATUSES,
    MAX_LABEL,
    MAX_NOTE,
    OBSERVATION_ID,
    AbcRecord,
    EventCount,
    Interval,
    LessonPhase,
    ObservationSetup,
    Pause,
    StateSpan,
    subject_of,
)
from .scheme import CodingScheme, RecordingMethod, check_setup

FORMAT = "fieldnote-observation"
FORMAT_VERSION = 2
# Version 1 is still read: it has no ``uncoded`` status and no ``scheme.carry_over``;
# version 1 recorded with codes carrying over, so its scheme is read with carry_over true.
READABLE_VERSIONS = (1, 2)
SCHEME_FIELDS = {
    "id",
    "name",
    "description",
    "interval_seconds",
    "sample_at",
    "momentary_grace_seconds",
    "peer_every",
    "on_task_codes",
    "groups",
    "codes",
}
GROUP_FIELDS = {"id", "label", "exclusive"}
CODE_FIELDS = {"id", "key", "label", "colour", "method", "group", "description"}
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_INTERVALS = 100_000  # a day of 1 s intervals is 86,400
MAX_EVENTS = 200_000


# -- export -------------------------------------------------------------------
def to_document(observation: Observation) -> dict[str, Any]:
    """The JSON document for an ended or finalised observation (ExportError otherwise)."""
    from .errors import ExportError

    if observation.is_recording:
        raise ExportError(f"observation {observation.id} is still recording; end it before exporting")
    r = observation.record()
    oid = r.id
    events: list[dict[str, Any]] = []
    events += [
        {"type": "event", "observation_id": oid, "code": c.code, "t": c.t, "interval": c.interval} for c in r.counts
    ]
    events += [
        {
            "type": "abc",
            "observation_id": oid,
            "antecedent": a.antecedent,
            "behaviour": a.behaviour,
            "consequence": a.consequence,
            "t": a.t,
            "interval": a.interval,
        }
        for a in r.abc
    ]
    events += [{"type": "phase", "observation_id": oid, "label": p.label, "t": p.t} for p in r.phases]
    events += [{"type": "pause", "observation_id": oid, "t": p.t, "duration_s": p.duration_s} for p in r.pauses]
    events += [
        {"type": "state", "observation_id": oid, "code": s.code, "start_s": s.start_s, "end_s": s.end_s}
        for s in r.states
    ]
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "observation": {
            "id": oid,
            "version": r.version,
            "supersedes": r.supersedes,
            "state": r.state,
            "started_at": r.started_at,
            "ended_at": r.ended_at,
            "end_reason": r.end_reason,
            "observed_s": r.observed_s,
        },
        "setup": r.setup.to_dict(),
        "scheme": r.scheme.to_dict(),
        "intervals": [
            {
                "index": i.index,
                "subject": i.subject,
                "status": i.status,
                "codes": list(i.codes),
                "start_s": i.start_s,
                "end_s": i.end_s,
                "note": i.note,
            }
            for i in r.intervals
        ],
        "events": events,
    }


def to_json(observation: Observation) -> str:
    """The JSON text of ``to_document`` (UTF-8 safe, indented for people to read)."""
    return json.dumps(to_document(observation), indent=2, ensure_ascii=False) + "\n"


CSV_FIXED = ("observation_id", "interval", "subject", "status", "start_s", "end_s", "phase")


def to_csv(observation: Observation) -> str:
    """One row per closed interval: status, a 0/1 column per interval code, event counts, note."""
    from .summary import phase_of

    scheme = observation.scheme
    codes = [c.id for c in scheme.interval_codes]
    events = [c.id for c in scheme.codes_by(RecordingMethod.EVENT)]
    out = io.StringIO()
    out.write(_csv_row(list(CSV_FIXED) + [f"code:{c}" for c in codes] + [f"count:{c}" for c in events] + ["note"]))
    for i in observation.intervals:
        phase = phase_of(observation.phases, i)
        out.write(
            _csv_row(
                [_cell(observation.id), i.index, i.subject, i.status, repr(i.start_s), repr(i.end_s), _cell(phase)]
                + [1 if c in i.codes else 0 for c in codes]
                + [sum(1 for e in observation.counts if e.code == c and e.interval == i.index) for c in events]
                + [_cell(i.note)]
            )
        )
    return out.getvalue()


def _csv_row(values: list) -> str:
    """One CSV row ending in a newline. A writer quotes only the characters of its own line
    ending, so a note or phase holding a bare carriage return would otherwise be left unquoted
    and the file could not be read back: the row is written with CRLF (quoting both), and its
    own ending made a newline."""
    line = io.StringIO()
    csv.writer(line, lineterminator="\r\n").writerow(values)
    return line.getvalue()[:-2] + "\n"


def _cell(text: str) -> str:
    # Spreadsheets run cells starting =, +, -, @ as formulas; a leading
    # apostrophe stops that, and import strips exactly one, so nothing is lost.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r", "'"):
        return "'" + text
    return text


def _uncell(text: str) -> str:
    return text[1:] if text.startswith("'") else text


def intervals_from_csv(text: str) -> tuple[str, list[Interval]]:
    """Read ``to_csv`` output back: (observation id, intervals); InterchangeError if malformed."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise InterchangeError(f"the CSV file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise InterchangeError(f"the CSV is malformed: {exc}") from None
    if not rows:
        raise InterchangeError("the CSV is empty")
    header = rows[0]
    if tuple(header[: len(CSV_FIXED)]) != CSV_FIXED or not header or header[-1] != "note":
        raise InterchangeError("this is not a Fieldnote observation CSV (unexpected header)")
    code_cols = [(n, h[5:]) for n, h in enumerate(header) if h.startswith("code:")]
    oid = None
    out: list[Interval] = []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise InterchangeError(f"CSV line {line}: expected {len(header)} cells, found {len(row)}")
        row_id = _uncell(row[0])
        if oid is None:
            oid = row_id
        if row_id != oid or not OBSERVATION_ID.match(row_id):
            raise InterchangeError(f"CSV line {line}: observation id {row_id!r} differs or is invalid")
        try:
            index = int(row[1])
            start, end = float(row[4]), float(row[5])
        except ValueError:
            raise InterchangeError(f"CSV line {line}: interval, start_s and end_s must be numbers") from None
        if index != len(out) + 1:
            raise InterchangeError(f"CSV line {line}: intervals out of order (expected {len(out) + 1}, found {index})")
        if row[2] not in ("target", "peer") or row[3] not in INTERVAL_STATUSES:
            raise InterchangeError(f"CSV line {line}: unknown subject or status")
        flags = [row[n] for n, _ in code_cols]
        if any(f not in ("0", "1") for f in flags):
            raise InterchangeError(f"CSV line {line}: code columns must be 0 or 1")
        note = _uncell(row[-1])
        if len(note) > MAX_NOTE:
            raise InterchangeError(f"CSV line {line}: note longer than {MAX_NOTE} characters")
        codes = tuple(c for (n, c) in code_cols if row[n] == "1")
        out.append(Interval(index, row[2], row[3], codes, start, end, note))
    return oid or "", out


# -- import -------------------------------------------------------------------
def read_file(path: str | Path) -> Observation:
    """Import a JSON file; InterchangeError (nothing built) if it is too big or invalid."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InterchangeError(
                f"{path.name} is {size / 1e6:.1f} MB; the limit is {MAX_FILE_BYTES // (1024 * 1024)} MB"
            )
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)  # the file may grow after stat
    except OSError as exc:
        raise InterchangeError(f"cannot read {path}: {exc.strerror or exc}") from None
    return from_json(data)


def from_json(data: str | bytes) -> Observation:
    """Import JSON text; InterchangeError (nothing built) if invalid in any way."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > MAX_FILE_BYTES:
        raise InterchangeError(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        doc = json.loads(raw.decode("utf-8-sig"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise InterchangeError("the file is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InterchangeError(
            f"the file is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except RecursionError:
        raise InterchangeError("the JSON is nested too deeply") from None
    except ValueError as exc:
        raise InterchangeError(str(exc)) from None
    return from_document(doc)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"the JSON contains {name}, which is not a number Fieldnote accepts")


def from_document(doc: Any) -> Observation:
    """Validate a parsed document and build the observation; InterchangeError otherwise."""
    record = parse_record(doc)
    try:
        return Observation.replay(record_events(record))
    except ObservationError as exc:  # belt and braces: validation should catch all of it
        raise InterchangeError(f"the observation does not hold together: {exc}") from None


def parse_record(doc: Any) -> ObservationRecord:
    """Validate a parsed document into an ``ObservationRecord`` (see the format doc)."""
    top = _obj(doc, "the file", {"format", "format_version", "observation", "setup", "scheme", "intervals", "events"})
    if top.get("format") != FORMAT:
        raise InterchangeError(f"this is not a Fieldnote observation file (format is {top.get('format')!r})")
    version = top.get("format_version")
    if not _is_int(version):
        raise InterchangeError("format_version must be a whole number")
    if version not in READABLE_VERSIONS:
        newer = " (written by a newer Fieldnote)" if version > FORMAT_VERSION else ""
        raise InterchangeError(
            f"format_version {version} is not supported{newer}; this Fieldnote reads versions "
            f"{', '.join(map(str, READABLE_VERSIONS))}"
        )

    meta = _obj(
        top["observation"],
        "observation",
        {"id", "version", "supersedes", "state", "started_at", "ended_at", "end_reason", "observed_s"},
    )
    oid = meta["id"]
    if not isinstance(oid, str) or not OBSERVATION_ID.match(oid):
        raise InterchangeError("observation.id must be 1-64 letters, digits, '_' or '-'")
    if not _is_int(meta["version"]) or not 1 <= meta["version"] <= 10_000:
        raise InterchangeError("observation.version must be a whole number from 1")
    supersedes = meta["supersedes"]
    if supersedes is not None and (
        not isinstance(supersedes, str) or not OBSERVATION_ID.match(supersedes) or supersedes == oid
    ):
        raise InterchangeError("observation.supersedes must be null or another observation's id")
    if meta["state"] not in (ENDED, FINALISED):
        raise InterchangeError("observation.state must be 'ended' or 'finalised'")
    if meta["end_reason"] not in END_REASONS:
        raise InterchangeError(f"observation.end_reason must be one of {', '.join(END_REASONS)}")
    started, ended = (_timestamp(meta[k], f"observation.{k}") for k in ("started_at", "ended_at"))
    if ended < started:
        raise InterchangeError("observation.ended_at is before started_at")
    observed = _number(meta["observed_s"], "observation.observed_s", 0, 7 * 24 * 3600)

    try:
        setup = ObservationSetup.from_dict(top["setup"])
    except (ObservationError, TypeError) as exc:
        raise InterchangeError(f"setup: {exc}") from None
    raw_scheme = _obj(top["scheme"], "scheme", SCHEME_FIELDS | ({"carry_over"} if version >= 2 else set()))
    for name, keys in (("groups", GROUP_FIELDS), ("codes", CODE_FIELDS)):
        for n, item in enumerate(_list(raw_scheme[name], f"scheme.{name}", 10_000)):
            _obj(item, f"scheme.{name}[{n}]", keys)
    if version == 1:
        raw_scheme = {**raw_scheme, "carry_over": True}
    try:
        scheme = CodingScheme.from_dict(raw_scheme)
        check_setup(scheme, setup.interval_seconds, recording=False)
    except ObservationError as exc:
        raise InterchangeError(f"scheme: {exc}") from None

    intervals = _intervals(top["intervals"], setup, scheme, observed, version)
    counts, abc, phases, pauses, states = _events(top["events"], oid, scheme, intervals, observed)
    return ObservationRecord(
        id=oid,
        version=meta["version"],
        supersedes=supersedes,
        state=meta["state"],
        setup=setup,
        scheme=scheme,
        started_at=meta["started_at"],
        ended_at=meta["ended_at"],
        end_reason=meta["end_reason"],
        observed_s=observed,
        intervals=tuple(intervals),
        counts=tuple(counts),
        abc=tuple(abc),
        phases=tuple(phases),
        pauses=tuple(pauses),
        states=tuple(states),
    )


def _intervals(
    value: Any, setup: ObservationSetup, scheme: CodingScheme, observed: float, version: int = FORMAT_VERSION
) -> list[Interval]:
    items = _list(value, "intervals", MAX_INTERVALS)
    per_interval = {c.id for c in scheme.interval_codes}
    exclusive = [{c.id for c in scheme.codes_in_group(g.id)} for g in scheme.groups if g.exclusive]
    size = setup.interval_seconds
    out: list[Interval] = []
    seen: set[Any] = set()
    for n, item in enumerate(items):
        where = f"intervals[{n}]"
        iv = _obj(item, where, {"index", "subject", "status", "codes", "start_s", "end_s", "note"})
        index = iv["index"]
        if not _is_int(index):
            raise InterchangeError(f"{where}.index must be a whole number")
        if index in seen:
            raise InterchangeError(f"interval {index} appears twice")
        seen.add(index)
        if index != n + 1:
            raise InterchangeError(f"intervals out of order: {where} should be interval {n + 1}, not {index}")
        statuses = INTERVAL_STATUSES if version >= 2 else tuple(s for s in INTERVAL_STATUSES if s != UNCODED)
        if iv["status"] not in statuses:
            raise InterchangeError(f"{where}.status must be one of {', '.join(statuses)}")
        if iv["subject"] != subject_of(index, setup.peer_every):
            raise InterchangeError(
                f"{where}.subject must be {subject_of(index, setup.peer_every)!r} (peer every {setup.peer_every or 'never'})"
            )
        codes = iv["codes"]
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise InterchangeError(f"{where}.codes must be a list of code ids")
        for c in codes:
            if c not in per_interval:
                raise InterchangeError(f"{where}: code {c[:50]!r} is not an interval code of scheme {scheme.name!r}")
        if len(set(codes)) != len(codes):
            raise InterchangeError(f"{where}: a code is listed twice")
        if any(len(set(codes) & group) > 1 for group in exclusive):
            raise InterchangeError(f"{where}: two codes from one exclusive group")
        if iv["status"] in NO_CODES_STATUSES and codes:
            raise InterchangeError(f"{where}: a {iv['status']} interval cannot have codes")
        start = _number(iv["start_s"], f"{where}.start_s", 0, math.inf)
        end = _number(iv["end_s"], f"{where}.end_s", 0, math.inf)
        if start != (index - 1) * size:
            raise InterchangeError(f"{where}.start_s must be {(index - 1) * size} for {size} s intervals")
        last = n == len(items) - 1
        if iv["status"] == INCOMPLETE and not last:
            raise InterchangeError(f"{where}: only the last interval can be incomplete")
        # Only the last interval may be cut short, by an early end inside it.
        if last and end != index * size and not start <= end < start + size:
            raise InterchangeError(f"{where}.end_s must be within the interval ({start}-{index * size})")
        if not last and end != index * size:
            raise InterchangeError(f"{where}.end_s must be {index * size} for {size} s intervals")
        note = _text(iv["note"], f"{where}.note", MAX_NOTE)
        ordered = tuple(c.id for c in scheme.codes if c.id in codes)
        out.append(Interval(index, iv["subject"], iv["status"], ordered, start, end, note))
    expected_end = out[-1].end_s if out else 0.0
    if abs(observed - expected_end) > 1e-6:
        raise InterchangeError(
            f"observation.observed_s ({observed}) must equal the end of the last interval ({expected_end})"
        )
    return out


_EVENT_FIELDS = {
    "event": {"type", "observation_id", "code", "t", "interval"},
    "abc": {"type", "observation_id", "antecedent", "behaviour", "consequence", "t", "interval"},
    "phase": {"type", "observation_id", "label", "t"},
    "pause": {"type", "observation_id", "t", "duration_s"},
    "state": {"type", "observation_id", "code", "start_s", "end_s"},
}


def _events(value: Any, oid: str, scheme: CodingScheme, intervals: list[Interval], observed: float):
    items = _list(value, "events", MAX_EVENTS)
    counts, abc, phases, pauses, states = [], [], [], [], []
    for n, item in enumerate(items):
        where = f"events[{n}]"
        if not isinstance(item, dict):
            raise InterchangeError(f"{where} must be an object")
        kind = item.get("type")
        if kind not in _EVENT_FIELDS:
            raise InterchangeError(f"{where}.type must be one of {', '.join(_EVENT_FIELDS)}")
        e = _obj(item, where, _EVENT_FIELDS[kind])
        if e["observation_id"] != oid:
            shown = e["observation_id"][:64] if isinstance(e["observation_id"], str) else e["observation_id"]
            raise InterchangeError(f"{where} belongs to observation {shown!r}, not {oid!r}")
        if kind == "state":
            code = _scheme_code(scheme, e["code"], RecordingMethod.STATE, where)
            start = _number(e["start_s"], f"{where}.start_s", 0, observed)
            end = _number(e["end_s"], f"{where}.end_s", start, observed)
            if any(s.code == code and s.start_s < end and start < s.end_s for s in states):
                raise InterchangeError(f"{where}: overlaps another {code} span")
            states.append(StateSpan(code, start, end))
            continue
        t = _number(e["t"], f"{where}.t", 0, observed)
        if kind == "event":
            code = _scheme_code(scheme, e["code"], RecordingMethod.EVENT, where)
            counts.append(EventCount(code, t, _interval_at(e["interval"], t, intervals, where)))
        elif kind == "abc":
            texts = [_text(e[k], f"{where}.{k}", MAX_NOTE) for k in ("antecedent", "behaviour", "consequence")]
            abc.append(AbcRecord(*texts, t, _interval_at(e["interval"], t, intervals, where)))
        elif kind == "phase":
            label = _text(e["label"], f"{where}.label", MAX_LABEL)
            if not label.strip():
                raise InterchangeError(f"{where}.label must not be empty")
            if phases and t < phases[-1].t:
                raise InterchangeError(f"{where}: phases must be in time order")
            phases.append(LessonPhase(label, t))
        else:
            pauses.append(Pause(t, _number(e["duration_s"], f"{where}.duration_s", 0, 7 * 24 * 3600)))
    return counts, abc, phases, pauses, states


def _interval_at(value: Any, t: float, intervals: list[Interval], where: str) -> int:
    if not _is_int(value) or not 1 <= value <= len(intervals):
        raise InterchangeError(f"{where}.interval must be the number of an interval in the file (1-{len(intervals)})")
    iv = intervals[value - 1]
    if not iv.start_s <= t <= iv.end_s:
        raise InterchangeError(f"{where}: t={t} is outside interval {value} ({iv.start_s}-{iv.end_s} s)")
    return value


def _scheme_code(scheme: CodingScheme, code: Any, method: RecordingMethod, where: str) -> str:
    if not isinstance(code, str) or not scheme.has_code(code) or scheme.code(code).method is not method:
        shown = code[:50] if isinstance(code, str) else code
        raise InterchangeError(f"{where}: {shown!r} is not a {method.value} code of scheme {scheme.name!r}")
    return code


# -- typed field readers -----------------------------------------------------------
def _obj(value: Any, where: str, keys: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InterchangeError(f"{where} must be an object")
    missing = sorted(keys - set(value))
    if missing:
        raise InterchangeError(f"{where} is missing {', '.join(missing)}")
    extra = sorted(str(k)[:40] for k in set(value) - keys)
    if extra:
        raise InterchangeError(f"{where} has unknown field(s): {', '.join(extra)}")
    return value


def _list(value: Any, where: str, cap: int) -> list:
    if not isinstance(value, list):
        raise InterchangeError(f"{where} must be a list")
    if len(value) > cap:
        raise InterchangeError(f"{where} has more than {cap} entries")
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any, where: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InterchangeError(f"{where} must be a number")
    if not low <= value <= high:
        raise InterchangeError(f"{where} must be from {low} to {high}, not {value}")
    return float(value)


def _text(value: Any, where: str, cap: int) -> str:
    if not isinstance(value, str):
        raise InterchangeError(f"{where} must be text")
    if len(value) > cap:
        raise InterchangeError(f"{where} is longer than {cap} characters")
    return value


def _timestamp(value: Any, where: str) -> float:
    if not isinstance(value, str) or len(value) != 20:
        raise InterchangeError(f"{where} must be a UTC time like 2025-03-04T09:15:00Z")
    try:
        return parse_iso_utc(value)
    except ValueError:
        raise InterchangeError(f"{where} must be a UTC time like 2025-03-04T09:15:00Z") from None
