"""Merge researched visit tables into knowledge/data/visits.csv.

Run from the project root:  python -m knowledge.research.merge_visits SEED.csv [RESEARCH.csv ...]

- Rows already in visits.csv keep their ids and values; a researched row for the same
  visitor within three days of an existing row is reported and skipped, never merged twice.
- Seed rows without an id get one from the visitor's name and the date.
- `date_precision` is `month` or `year` where the note says the date is known only to that
  precision (the row's date is then the first day of the month or year).
"""

from __future__ import annotations

import csv
import re
import sys
from datetime import date
from pathlib import Path

DATA = Path("knowledge/data/visits.csv")


def _slug(name: str) -> str:
    name = re.sub(r"\(.*?\)", "", name)
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _precision(note: str) -> str:
    text = note.lower()
    if "year known only" in text:
        return "year"
    if "month known only" in text:
        return "month"
    return "day"


def _same_visit(a: dict, b: dict) -> bool:
    days = abs((date.fromisoformat(a["start_date"]) - date.fromisoformat(b["start_date"])).days)
    return days <= 3 and _slug(a["visitor"]).split("_")[-1] == _slug(b["visitor"]).split("_")[-1]


def main(paths: list[str]) -> int:
    with DATA.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    if "date_precision" not in header:
        header.insert(header.index("end_date") + 1, "date_precision")
    ids = {r["id"] for r in rows}
    for path in paths:
        with open(path, newline="", encoding="utf-8") as f:
            for new in csv.DictReader(f):
                twin = next((r for r in rows if _same_visit(r, new)), None)
                if twin is not None:
                    print(f"{path}: {new.get('id') or new['visitor']} {new['start_date']} is "
                          f"already {twin['id']} ({twin['start_date']}); skipped")
                    continue
                base = new.get("id") or f"{_slug(new['visitor'])}_{new['start_date'][:4]}"
                rid, n = base, 2
                while rid in ids:
                    rid, n = f"{base}_{n}", n + 1
                ids.add(rid)
                row = {k: "" for k in header}
                row.update({k: v for k, v in new.items() if k in header})
                row.update(id=rid, source_kind="public_record",
                           date_precision=_precision(new.get("note", "")))
                rows.append(row)
    for r in rows:
        r.setdefault("date_precision", "")
        if not r["date_precision"]:
            r["date_precision"] = _precision(r.get("note", ""))
    rows.sort(key=lambda r: (r["start_date"], r["id"]))
    with DATA.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"{DATA}: {len(rows)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
