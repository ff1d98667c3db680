"""``fieldnote score`` and ``fieldnote packs``: headless scoring and pack management.

Exit status: 0 success; 1 the work ran but something was refused (invalid
rows, an invalid pack); 2 the command could not run (bad arguments, an
unreadable or wrongly shaped file).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from desktop.forms import sdq
from desktop.forms.batch import CsvFileError, score_csv
from desktop.forms.loader import PackError, load_pack_file, load_pack_text
from desktop.forms.registry import apply_wording, install_pack, load_registry
from desktop.forms.scoring import plan_for

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def register(subparsers) -> None:
    """Add the ``score`` and ``packs`` commands."""
    score = subparsers.add_parser(
        "score",
        help="score completed instruments from a CSV file",
        description="Score completed instruments from a CSV file; the result is CSV on standard output.",
    )
    score_sub = score.add_subparsers(dest="score_command", metavar="INSTRUMENT")
    score.set_defaults(func=lambda args: _help(score))

    s = score_sub.add_parser(
        "sdq",
        help="score SDQ completions (youthinmind variable names as columns)",
        description=(
            "Score SDQ completions. Columns are youthinmind variable names (consid restles ... attends, "
            "ebddiff, distres, imphome, impfrie, impclas, impleis; the teacher form has no imphome/impleis). "
            "Cells hold the raw answer as ticked: items 0 Not True / 1 Somewhat True / 2 Certainly True "
            "(reverse-scoring is applied here); ebddiff 0 No / 1 minor / 2 definite / 3 severe; impact items "
            "0 Not at all / 1 Only a little / 2 Quite a lot / 3 A great deal. Blank = not answered. "
            "Output: the input columns, then emotion conduct hyper peer prosoc ebdtot extern intern impact, "
            "then <score>_band columns. Other columns (a pupil id, a date, a class...) are passed through "
            "unscored, and a column whose name looks like a misspelt item (e.g. 'tantrums') is warned about "
            "on standard error; a column that is an item of another SDQ form (e.g. imphome on the teacher "
            "form) stops the run. Rows with invalid values are reported on standard error as "
            "'row N, column X: message' (the header is row 1), left out of the output, and make the exit "
            "status 1."
        ),
    )
    s.add_argument("--informant", required=True, choices=sdq.INFORMANTS, help="who completed the form")
    s.add_argument(
        "--age",
        choices=sdq.AGE_BANDS,
        default=None,
        help="age band of the form (default 4-17; the self-report form is 11-17)",
    )
    s.add_argument("--scheme", default=None, help="band scheme: four_band (default) or three_band (parent 4-17 only)")
    s.add_argument(
        "--keep",
        action="append",
        default=[],
        metavar="COLUMN",
        help="a column to pass through without a warning even if its name looks like an "
        "item (every column that is not an item is passed through); repeatable",
    )
    s.add_argument("csv", metavar="IN.csv", help="input CSV file, or - for standard input")
    s.set_defaults(func=_score_sdq)

    g = score_sub.add_parser(
        "pack",
        help="score completions of any instrument pack",
        description="Score completions of any pack: columns are item ids; output adds every scale and "
        "derived score, then <score>_band columns of the chosen band scheme. Other columns "
        "are passed through unscored (a name that looks like a misspelt item is warned about).",
    )
    g.add_argument("pack_id", help="pack id (see: fieldnote packs list)")
    g.add_argument("--informant", required=True, help="informant, as named in the pack")
    g.add_argument("--age", required=True, help="age band, as named in the pack")
    g.add_argument("--scheme", default=None, help="band scheme id (default: the pack's first)")
    g.add_argument(
        "--keep",
        action="append",
        default=[],
        metavar="COLUMN",
        help="a column to pass through without a warning even if its name looks like an item; repeatable",
    )
    g.add_argument("csv", metavar="IN.csv", help="input CSV file, or - for standard input")
    g.set_defaults(func=_score_pack)

    packs = subparsers.add_parser(
        "packs",
        help="list, validate and install instrument packs",
        description="List, validate and install instrument packs (see docs/instrument-packs.md).",
    )
    packs_sub = packs.add_subparsers(dest="packs_command", metavar="ACTION")
    packs.set_defaults(func=lambda args: _help(packs))
    lst = packs_sub.add_parser(
        "list",
        help="list built-in and installed packs",
        description="List built-in and installed packs, and any installed file that is invalid.",
    )
    lst.set_defaults(func=_packs_list)
    inst = packs_sub.add_parser(
        "install",
        help="validate a pack file and install it",
        description="Validate a pack file and copy it into the installed packs folder "
        "as <pack id>.json (replacing an older version of the same pack).",
    )
    inst.add_argument("file", metavar="FILE", help="pack file (JSON)")
    inst.set_defaults(func=_packs_install)
    val = packs_sub.add_parser(
        "validate",
        help="check a pack file without installing it",
        description="Check a pack file and report every problem found, with its location.",
    )
    val.add_argument("file", metavar="FILE", help="pack file (JSON)")
    val.set_defaults(func=_packs_validate)
    exp = packs_sub.add_parser(
        "export",
        help="write a pack (or audit template) as JSON",
        description="Write the pack in use with this id as JSON, to edit and "
        "install again (--copy-as gives the copy its own id, so "
        "it sits beside the original).",
    )
    exp.add_argument("pack_id", metavar="ID")
    exp.add_argument("--copy-as", metavar="NEW_ID", help="give the exported copy this id (and 'copy' in its title)")
    exp.add_argument("--output", "-o", help="write to this file instead of standard output")
    exp.set_defaults(func=_packs_export)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return EXIT_USAGE


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def _run_batch(
    pack, informant: str, age_band: str, args, band_columns, form_name: str, other_forms: dict[str, str] | None = None
) -> int:
    try:
        plan = plan_for(pack, informant, age_band)
        if args.scheme is not None:
            plan.band_score_ids(args.scheme)  # raises for a scheme the pack lacks
    except ValueError as exc:
        _err(f"fieldnote score: {exc}")
        return EXIT_USAGE
    try:
        source = sys.stdin if args.csv == "-" else open(args.csv, encoding="utf-8-sig", newline="")
    except OSError as exc:
        _err(f"fieldnote score: cannot read {args.csv}: {exc.strerror or exc}")
        return EXIT_USAGE
    try:
        summary = score_csv(
            plan,
            source,
            sys.stdout,
            band_columns=band_columns,
            scheme=args.scheme,
            keep=args.keep,
            form_name=form_name,
            on_problem=_err,
            other_forms=other_forms,
        )
    except CsvFileError as exc:
        _err(f"fieldnote score: {args.csv}: {exc}")
        return EXIT_USAGE
    except UnicodeDecodeError:
        _err(f"fieldnote score: {args.csv}: not UTF-8 text (save the CSV as UTF-8)")
        return EXIT_USAGE
    finally:
        if source is not sys.stdin:
            source.close()
    for warning in summary.warnings:
        _err(f"warning: {warning}")
    for note in summary.notes:
        _err(f"note: {note}")
    if summary.problems:
        _err(f"{summary.invalid_rows} of {summary.rows} row(s) invalid and left out; {summary.scored} scored")
        return EXIT_INVALID
    return EXIT_OK


def _score_sdq(args) -> int:
    try:
        pack_id, age_band = sdq.resolve_form(args.informant, args.age)
        pack = load_registry().get(pack_id)
    except (ValueError, KeyError) as exc:
        _err(f"fieldnote score sdq: {exc.args[0]}")
        return EXIT_USAGE
    return _run_batch(
        pack,
        args.informant,
        age_band,
        args,
        sdq.BAND_SCORES,
        f"SDQ {args.informant} {age_band}",
        _other_sdq_forms(pack),
    )


def _other_sdq_forms(pack) -> dict[str, str]:
    """Items of the other SDQ forms that this one lacks (imphome on the teacher form):
    item id -> the form's name."""
    registry = load_registry()
    own = {it.id for it in pack.items}
    others: dict[str, str] = {}
    for (informant, age_band), pack_id in sdq.PACK_IDS.items():
        if pack_id == pack.id or pack_id not in registry.packs:
            continue
        for item in registry.get(pack_id).items:
            if item.id not in own:
                others.setdefault(item.id, f"SDQ {informant} {age_band}")
    return others


def _score_pack(args) -> int:
    try:
        pack = load_registry().get(args.pack_id)
    except KeyError as exc:
        _err(f"fieldnote score pack: {exc.args[0]}")
        return EXIT_USAGE
    return _run_batch(pack, args.informant, args.age, args, None, f"'{pack.id}'")


def _packs_list(args) -> int:
    reg = load_registry()
    width = max((len(e.id) for e in reg.entries), default=2)
    for e in sorted(reg.entries, key=lambda e: e.id):
        flags = [e.origin, e.kind]
        if e.synthetic:
            flags.append("SYNTHETIC")
        if e.note:
            flags.append(e.note)
        pack = reg.packs.get(e.id)
        if pack is not None and pack.wording:
            flags.append(f"wording from {pack.wording}")
        print(f"{e.id:<{width}}  {e.version:<8}  {e.title}  [{', '.join(flags)}]")
    for problem in reg.problems:
        _err(f"warning: {problem}")
    return EXIT_OK


def _validate(path: str):
    pack = load_pack_file(path)
    if pack.kind == "wording":
        base = load_registry().packs.get(pack.extends)
        if base is None:
            raise PackError(path, [f"wording pack extends '{pack.extends}', which is not a built-in or installed pack"])
        apply_wording(base, pack)
    return pack


def _describe(pack) -> str:
    if pack.kind == "wording":
        return f"wording for '{pack.extends}', {len(pack.items)} item(s)"
    tables = sum(len(s.tables) for s in pack.band_schemes)
    return (
        f"{len(pack.items)} item(s), {len(pack.scales)} scale(s), {len(pack.derived)} derived score(s), "
        f"{tables} band table(s)" + (", SYNTHETIC" if pack.synthetic else "")
    )


def _packs_validate(args) -> int:
    try:
        pack = _validate(args.file)
    except PackError as exc:
        _err(str(exc))
        return EXIT_INVALID
    print(f"valid: {pack.id} {pack.version} — {pack.title} ({_describe(pack)})")
    return EXIT_OK


def _packs_install(args) -> int:
    if not Path(args.file).is_file():
        _err(f"fieldnote packs install: no such file: {args.file}")
        return EXIT_USAGE
    try:
        pack, dest = install_pack(args.file)
    except PackError as exc:
        _err(str(exc))
        return EXIT_INVALID
    print(f"installed: {pack.id} {pack.version} — {pack.title} -> {dest}")
    return EXIT_OK


def _packs_export(args) -> int:
    import json
    from decimal import Decimal

    reg = load_registry()
    entries = [e for e in reg.entries if e.id == args.pack_id and not e.note.startswith("not used")]
    if not entries or args.pack_id not in reg.packs:
        _err(f"fieldnote packs export: no pack '{args.pack_id}' (see 'fieldnote packs list')")
        return EXIT_USAGE
    data = Path(entries[-1].path).read_bytes()
    if args.copy_as:
        obj = json.loads(data.decode("utf-8-sig"), parse_float=Decimal)
        obj["id"] = args.copy_as
        obj["title"] = f"{obj['title']} (copy)"
        text = _dump_exact(obj)
        data = (text + "\n").encode("utf-8")
        try:
            load_pack_text(text, args.copy_as)
        except PackError as exc:
            _err(str(exc))
            return EXIT_INVALID
    if args.output:
        Path(args.output).write_bytes(data)
    else:
        sys.stdout.write(data.decode("utf-8"))
    return EXIT_OK


def _dump_exact(obj) -> str:
    """JSON with Decimals written as the numbers they are (json cannot do it by itself)."""
    import json
    from decimal import Decimal

    marks: dict[str, str] = {}

    def mark(o):
        if isinstance(o, Decimal):
            key = f"__decimal_{len(marks)}__"
            marks[key] = str(o)
            return key
        if isinstance(o, dict):
            return {k: mark(v) for k, v in o.items()}
        if isinstance(o, list):
            return [mark(v) for v in o]
        return o

    text = json.dumps(mark(obj), indent=1, ensure_ascii=False)
    for key, number in marks.items():
        text = text.replace(f'"{key}"', number)
    return text
