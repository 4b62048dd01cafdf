"""`dandong import visits FILE.csv`: bring in a complete visit list covering a period.

The list is validated, normalised into knowledge/data/imports/ (reviewable in git like every
other data file), registered in imports.csv with the period it covers, and the knowledge base
is rebuilt. Counts and annual rates for any period inside that coverage are then computed from
it.
"""

from __future__ import annotations

import csv
import re
import shutil
import tempfile
from pathlib import Path

from knowledge.build import IMPORT_COLUMNS, build
from knowledge.errors import DataError, UsageError
from knowledge.schema import IMPORT_SPEC

REQUIRED = ("start_date", "visitor", "direction")
DEFAULTS = {"summit": "0", "high_level": "1"}
DIRECTION_WORDS = {
    "cn->kp": "CN->KP", "china->dprk": "CN->KP", "china to north korea": "CN->KP",
    "to north korea": "CN->KP", "to dprk": "CN->KP", "kp->cn": "KP->CN",
    "dprk->china": "KP->CN", "north korea to china": "KP->CN", "to china": "KP->CN",
}
BOOL_WORDS = {"1": "1", "0": "0", "yes": "1", "no": "0", "true": "1", "false": "0", "y": "1",
              "n": "0", "": ""}


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """['Date=start_date', …] -> {'Date': 'start_date'}; fields must be known."""
    mapping = {}
    for pair in pairs:
        if "=" not in pair:
            raise UsageError(f"--map takes COLUMN=FIELD, got {pair!r}")
        col, fld = (x.strip() for x in pair.split("=", 1))
        if fld not in IMPORT_COLUMNS:
            raise UsageError(f"--map: unknown field {fld!r}; fields: {', '.join(IMPORT_COLUMNS)}")
        mapping[col] = fld
    return mapping


def normalise_rows(path: Path, mapping: dict[str, str], prefix: str) -> list[dict]:
    """Read the user's CSV into our visit columns; DataError names file:line: field."""
    errors: list[str] = []
    out: list[dict] = []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        fields = {mapping.get(col, col): col for col in header}
        missing = [f for f in REQUIRED if f not in fields]
        if missing:
            raise DataError(f"{path}:1: header: no column for {', '.join(missing)} "
                            f"(columns: {', '.join(header)}; use --map COLUMN=FIELD)")
        for i, row in enumerate(reader, 1):
            rec = {f: (row.get(fields[f]) or "").strip() if f in fields else DEFAULTS.get(f, "")
                   for f in IMPORT_COLUMNS}
            rec["id"] = re.sub(r"[^a-z0-9_]", "_", (rec["id"] or f"{prefix}_{i}").lower())
            direction = DIRECTION_WORDS.get(rec["direction"].lower())
            if direction is None:
                errors.append(f"{path}:{reader.line_num}: direction: {rec['direction']!r} "
                              f"must be CN->KP or KP->CN")
            rec["direction"] = direction or rec["direction"]
            for flag in ("summit", "high_level"):
                val = BOOL_WORDS.get(rec[flag].lower())
                if val is None:
                    errors.append(f"{path}:{reader.line_num}: {flag}: {rec[flag]!r} must be 0 or 1")
                rec[flag] = val if val else DEFAULTS[flag]
            out.append(rec)
    if errors:
        raise DataError("Import rejected; nothing was changed:\n  " + "\n  ".join(errors[:50]))
    if not out:
        raise DataError(f"{path}: no rows to import")
    return out


def import_visits(file: Path, *, data_dir: Path, db_path: Path, mapping: dict[str, str],
                  label: str | None = None, source: str | None = None, covers_from=None,
                  covers_to=None, synthetic: bool = False,
                  curation_db: Path | None = None) -> dict[str, int]:
    """Validate, store and register a visit list, then rebuild; all or nothing."""
    file = Path(file)
    if not file.is_file():
        raise UsageError(f"dandong import: no such file: {file}")
    import_id = re.sub(r"[^a-z0-9_]", "_", (label or file.stem).lower()).strip("_") or "visits"
    rows = normalise_rows(file, mapping, import_id)
    dates = sorted(r["start_date"] for r in rows if r["start_date"])
    start = covers_from.isoformat() if covers_from else (dates[0] if dates else "")
    end = covers_to.isoformat() if covers_to else (dates[-1] if dates else "")
    registry_row = {"id": import_id, "label": label or file.stem, "covers_from": start,
                    "covers_to": end, "file": f"{import_id}.csv",
                    "synthetic": "1" if synthetic else "0",
                    "source_name": source or str(file.name), "source_url": ""}
    # Stage a full copy of the data folder, build from it, and only then publish both.
    with tempfile.TemporaryDirectory(prefix="dandong-import-") as tmp:
        stage = Path(tmp) / "data"
        shutil.copytree(data_dir, stage)
        (stage / "imports").mkdir(exist_ok=True)
        _write_csv(stage / "imports" / registry_row["file"], IMPORT_COLUMNS, rows)
        _upsert_registry(stage / IMPORT_SPEC.file, registry_row)
        counts = build(db_path, stage, curation_db)
        (data_dir / "imports").mkdir(exist_ok=True)
        shutil.copy2(stage / "imports" / registry_row["file"],
                     data_dir / "imports" / registry_row["file"])
        shutil.copy2(stage / IMPORT_SPEC.file, data_dir / IMPORT_SPEC.file)
    build(db_path, data_dir, curation_db)  # stamp the database newer than the files just written
    return {"rows": len(rows), **counts, "covers_from": start, "covers_to": end}


def _write_csv(path: Path, columns, rows) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(columns), lineterminator="\n",
                           extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def _upsert_registry(path: Path, row: dict) -> None:
    rows = []
    if path.exists():
        with open(path, encoding="utf-8", newline="") as fh:
            rows = [r for r in csv.DictReader(fh) if r["id"] != row["id"]]
    rows.append(row)
    _write_csv(path, IMPORT_SPEC.names, rows)
