"""Data files -> knowledge.db: validate, build in a temporary file, check, swap in atomically."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge import curation, overlay, templates
from knowledge.errors import DataError, KnowledgeBaseError
from knowledge.schema import IMPORT_SPEC, SPECS, check_unique, raise_if, read_rows

if TYPE_CHECKING:
    import sqlite_utils

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
ARTICLE_PATH = PACKAGE_DIR / "sources" / "article.txt"
ARTICLE_AS_OF = "2017-03"
SCHEMA_VERSION = 2
DAY_COUNT_COLUMNS = {"import_id": str, "day": str, "visits": int, "summits": int,
                     "visits_to_date": int, "summits_to_date": int}
IMPORT_COLUMNS = ("id", "start_date", "end_date", "visitor", "visitor_title", "direction",
                  "place", "summit", "high_level")


# One build at a time in a process: a build's temporary file is named by the process id, and
# the bot may rebuild after an approval while another thread opens a stale knowledge base.
_BUILD_LOCK = threading.Lock()

COUNTED = ("eras", "tests", "visits", "sanctions", "events", "trade", "facts", "people",
           "imports", "imported_visits")


def _row_id(table: str, row: dict) -> str:
    """The id a row is cited by: its own id, or test_N / trade_YYYY."""
    if table == "tests":
        return f"test_{row['n']}"
    if table == "trade":
        return f"trade_{row['year']}"
    return row["id"]


def data_files(data_dir: Path = DATA_DIR) -> list[Path]:
    """Every file the build reads, in a stable order."""
    files = [data_dir / spec.file for spec in SPECS]
    if (data_dir / IMPORT_SPEC.file).exists():
        files.append(data_dir / IMPORT_SPEC.file)
        files += sorted((data_dir / "imports").glob("*.csv"))
    return files


def is_stale(db_path: Path, data_dir: Path = DATA_DIR, curation_db: Path | None = None) -> bool:
    """True when the database is missing, older than any data file, or built from other
    approved team rows than `curation_db` (default: curation.db next to it) now holds."""
    try:
        built = db_path.stat().st_mtime_ns
    except FileNotFoundError:
        return True
    inputs = [*data_files(data_dir), ARTICLE_PATH]
    if any(p.exists() and p.stat().st_mtime_ns > built for p in inputs):
        return True
    # An older schema is rebuilt; an unreadable file is left for the store to refuse with
    # advice (it may be a path the user mistyped, not ours to overwrite).
    meta = _metadata(db_path)
    if meta is None:
        return False
    if meta.get("schema_version", str(SCHEMA_VERSION)) != str(SCHEMA_VERSION):
        return True
    team = curation.current_version(_curation_path(db_path, curation_db))
    return team is None or team != meta.get("curation_version", "")


def _curation_path(db_path: Path, curation_db: Path | None) -> Path:
    return Path(curation_db) if curation_db is not None else curation.default_path(db_path)


def _metadata(db_path: Path) -> dict[str, str] | None:
    """The metadata a database was built with; None when it cannot be read."""
    try:
        conn = sqlite3.connect(f"{Path(db_path).resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = conn.execute("SELECT key, value FROM metadata").fetchall()
        finally:
            conn.close()
        return {k: v for k, v in rows}
    except sqlite3.Error:
        return None


def load(data_dir: Path = DATA_DIR, article: str | None = None) -> dict[str, list[dict]]:
    """Read and validate every data file; raise DataError naming file:line: field."""
    article = ARTICLE_PATH.read_text(encoding="utf-8") if article is None else article
    errors: list[str] = []
    tables: dict[str, list[dict]] = {}
    for spec in SPECS:
        path = data_dir / spec.file
        if not path.exists():
            errors.append(f"{path}:0: file: missing")
            continue
        rows = read_rows(path, spec, errors)
        if spec.pk:
            check_unique(path, rows, spec.pk, errors)
        tables[spec.table] = rows
    raise_if(errors)
    _check_references(data_dir, tables, article, errors)
    _check_topics(data_dir, tables, errors)
    tables["imports"], tables["imported_visits"] = _load_imports(data_dir, tables, errors)
    raise_if(errors)
    return tables


def _check_references(data_dir: Path, t: dict[str, list[dict]], article: str,
                      errors: list[str]) -> None:
    era_ids = {r["id"] for r in t["eras"]}
    test_ns = {r["n"] for r in t["tests"]}
    for name in ("visits", "facts"):
        path = data_dir / f"{name}.csv"
        for r in t[name]:
            where = f"{path}:{r['_line']}"
            if r.get("era_id") and r["era_id"] not in era_ids:
                errors.append(f"{where}: era_id: unknown era {r['era_id']!r}")
            test_n = r.get("test_n") or r.get("after_test")
            if test_n is not None and test_n not in test_ns:
                errors.append(f"{where}: test: unknown nuclear test {test_n!r}")
            _check_source(where, r, article, errors)
    seen: dict[str, str] = {}
    for name in ("facts", "visits", "sanctions", "events"):
        for r in t[name]:
            where = f"{data_dir / (name + '.csv')}:{r['_line']}"
            if r.get("id") in seen:
                errors.append(f"{where}: id: {r['id']!r} is already the id of a row in "
                              f"{seen[r['id']]}; ids are shared by every table")
            elif r.get("id"):
                seen[r["id"]] = where
    for r in t["eras"]:
        seen_alias: set[str] = set()
        for alias in r["aliases"].split(";"):
            if not alias.strip() or alias.strip().lower() in seen_alias:
                errors.append(f"{data_dir / 'eras.csv'}:{r['_line']}: aliases: empty or repeated")
            seen_alias.add(alias.strip().lower())


def _check_topics(data_dir: Path, t: dict[str, list[dict]], errors: list[str]) -> None:
    """Topic rows name real facts and records and fill their lead template; every rule names a
    topic. A fact with a `match` joins (or makes) the topic named in its `topic` column, so a
    sourced fact with its question phrases is answerable without a code change."""
    facts = {r["id"]: r for r in t["facts"]}
    rows = {"fact": facts, "sanction": {r["id"]: r for r in t["sanctions"]},
            "visit": {r["id"]: r for r in t["visits"]},
            "event": {r["id"]: r for r in t.get("events", [])}}
    path = data_dir / "topics.csv"
    for r in t["topics"]:
        where = f"{path}:{r['_line']}"
        r["facts"] = ";".join(_ids(r["facts"]))
        r["records"] = ";".join(_ids(r["records"]))
        for ref in _ids(r["facts"]):
            if ref not in facts:
                errors.append(f"{where}: facts: no fact with id {ref!r}")
        for ref in _ids(r["records"]):
            if not any(ref in rows[k] for k in ("sanction", "visit", "event")):
                errors.append(f"{where}: records: no visit, sanction or event with id {ref!r}")
        errors += [f"{where}: lead: {p}" for p in templates.problems(r["lead"] or "", rows)]
        covers = r.get("lead_covers") or 0
        if covers and (not r["lead"] or covers > len(_ids(r["facts"]))):
            errors.append(f"{where}: lead_covers: {covers} is more facts than the lead has")
    topics = {r["id"]: r for r in t["topics"]}
    for f in t["facts"]:
        if not f.get("match"):
            continue
        topic = topics.get(f["topic"])
        if topic is None:
            topic = topics[f["topic"]] = {"id": f["topic"], "facts": "", "records": "",
                                           "lead": None, "lead_covers": None, "_line": 0}
            t["topics"].append(topic)
        if f["id"] not in _ids(topic["facts"]):
            topic["facts"] = ";".join([*_ids(topic["facts"]), f["id"]])
        t["topic_rules"].append({"topic": f["topic"], "match": f["match"], "weight": 0,
                                 "_line": f["_line"]})
    seen: set[tuple[str, str]] = set()
    rules_path = data_dir / "topic_rules.csv"
    for r in t["topic_rules"]:
        where = f"{rules_path}:{r['_line']}"
        if r["topic"] and r["topic"] not in topics:
            errors.append(f"{where}: topic: no topic {r['topic']!r} in topics.csv")
        if (r["topic"], r["match"]) in seen:
            errors.append(f"{where}: match: the same rule twice for {r['topic']!r}")
        seen.add((r["topic"], r["match"]))


def _ids(text: str | None) -> list[str]:
    return [x.strip() for x in (text or "").split(";") if x.strip()]


def _check_source(where: str, r: dict, article: str, errors: list[str]) -> None:
    kind = r.get("source_kind")
    if kind == "article":
        if not r.get("quote"):
            errors.append(f"{where}: quote: an article fact needs a verbatim quote")
        elif r["quote"] not in article:
            errors.append(f"{where}: quote: not found verbatim in the article")
    elif kind == "public_record" and not (r.get("source_url") or r.get("source_name")):
        errors.append(f"{where}: source_url: a public-record row needs a URL or a source_name")


def _load_imports(data_dir: Path, t: dict[str, list[dict]],
                  errors: list[str]) -> tuple[list[dict], list[dict]]:
    reg = data_dir / IMPORT_SPEC.file
    if not reg.exists():
        return [], []
    imports = read_rows(reg, IMPORT_SPEC, errors)
    check_unique(reg, imports, "id", errors)
    spec = next(s for s in SPECS if s.table == "visits")
    seen = {r["id"]: f"{data_dir / 'visits.csv'}:{r['_line']}" for r in t["visits"]}
    visits: list[dict] = []
    for imp in imports:
        path = data_dir / "imports" / (imp["file"] or "")
        if not path.is_file():
            errors.append(f"{reg}:{imp['_line']}: file: {path} not found")
            continue
        rows = read_rows(path, _import_spec(spec), errors)
        check_unique(path, rows, "id", errors, seen)
        for r in rows:
            r.update(import_id=imp["id"], source_kind="imported", source_name=imp["source_name"],
                     source_url=imp.get("source_url"), confidence="unverified", note=None,
                     after_test=None, days_after_test=None)
            d = r.get("start_date")
            lo, hi = imp["covers_from"], imp["covers_to"]
            if d and lo and hi and not lo <= d <= hi:
                errors.append(f"{path}:{r['_line']}: start_date: {d} outside the import's "
                              f"period {imp['covers_from']} to {imp['covers_to']}")
        visits += rows
    return imports, visits


def _import_spec(visits_spec):
    from knowledge.schema import FileSpec

    cols = tuple(c for c in visits_spec.columns if c.name in IMPORT_COLUMNS)
    return FileSpec("imported visits", "visits", "id", cols)


def _spec(table: str):
    return next(s for s in SPECS if s.table == table)


def _columns(table: str) -> dict[str, type]:
    """Column types for a table, from the converters of its data-file spec."""
    from knowledge import schema

    ints = {schema._int, schema._bool, schema._money}
    return {c.name: int if c.convert in ints else str for c in _spec(table).columns}


def _person_aliases(people: list[dict]) -> list[dict]:
    """alias (as typed, lower case) -> person id; the canonical name is an alias too."""
    out: dict[str, str] = {}
    for r in people:
        for alias in [r["name"], *(r.get("aliases") or "").split(";")]:
            alias = alias.strip().lower()
            if alias:
                out.setdefault(alias, r["id"])
    return [{"alias": a, "person_id": p} for a, p in out.items()]


def _hash_row(row: dict) -> str:
    clean = {k: v for k, v in row.items() if not k.startswith("_")}
    return hashlib.sha256(json.dumps(clean, sort_keys=True).encode()).hexdigest()[:16]


def _strip(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]


def _search_docs(t: dict[str, list[dict]]) -> list[dict]:
    """One searchable document per fact, visit, test, sanction and era."""
    docs = []
    for r in t["facts"]:
        body = " ".join(x for x in (r["text"], r["quote"], r["keywords"], r["topic"]) if x)
        docs.append({"doc_id": r["id"], "kind": "fact", "title": r["text"], "body": body})
    for r in t["visits"]:
        title = f"{r['visitor']} ({r['visitor_title'] or ''}) {r['direction']} {r['place'] or ''}"
        body = " ".join(str(x) for x in (title, r["start_date"], r["note"]) if x)
        docs.append({"doc_id": r["id"], "kind": "visit", "title": title, "body": body})
    for r in t["tests"]:
        docs.append({"doc_id": f"test_{r['n']}", "kind": "test", "title": r["description"],
                     "body": f"nuclear test {r['n']} {r['date']} {r['description']}"})
    for kind, name in (("sanction", "sanctions"), ("event", "events")):
        for r in t[name]:
            docs.append({"doc_id": r["id"], "kind": kind, "title": r["event"],
                         "body": " ".join(x for x in (r["event"], r["figure"], r["date"]) if x)})
    for r in t["trade"]:
        docs.append({"doc_id": f"trade_{r['year']}", "kind": "trade",
                     "title": f"China–North Korea trade in {r['year']}",
                     "body": f"trade {r['year']} china north korea customs total {r['total_usd']}"})
    for r in t["eras"]:
        docs.append({"doc_id": f"era_{r['id']}", "kind": "era", "title": r["leader"],
                     "body": f"{r['leader']} {r['country']} {r['aliases']} {r['basis'] or ''}"})
    return docs


def _insert_rows(db: sqlite_utils.Database, table: str, columns: list[str],
                 rows: Iterable[Sequence]) -> None:
    """Plain executemany into a table already created: the rows are typed by the schema, and
    sqlite-utils' per-value conversion cost about 15 s of a million-visit build."""
    # Identifiers come from our own schema, never from data; values are bound.
    sql = (f"INSERT INTO [{table}] ({', '.join(f'[{c}]' for c in columns)}) "  # noqa: S608
           f"VALUES ({', '.join('?' * len(columns))})")
    db.conn.executemany(sql, rows)


def _day_counts(imported: list[dict]) -> list[tuple]:
    """High-level visits per imported list and day, with running totals: a count over any
    period is then two index lookups (KnowledgeStore.count_visits), not a scan of the period."""
    per_day: dict[tuple[str, str], list[int]] = {}
    for v in imported:
        if v["high_level"] == 1:
            day = per_day.setdefault((v["import_id"], v["start_date"]), [0, 0])
            day[0] += 1
            day[1] += v["summit"]
    rows, totals = [], {}
    for (import_id, day), (visits, summits) in sorted(per_day.items()):
        to_date = totals.get(import_id, (0, 0))
        totals[import_id] = to_date = (to_date[0] + visits, to_date[1] + summits)
        rows.append((import_id, day, visits, summits, *to_date))
    return rows


TEAM_ROW_COLUMNS = {"row_id": str, "proposal_id": int, "kind": str, "tbl": str, "proposer": str,
                    "approved_by": str, "approved_at": str, "source_url": str, "quote": str}


def write_database(db: sqlite_utils.Database, t: dict[str, list[dict]],
                   hashes: dict[str, str], team: overlay.Overlay | None = None) -> None:
    """Create the tables, indexes and full-text index; one transaction."""
    team = team or overlay.Overlay()
    fk = [("era_id", "eras", "id"), ("test_n", "tests", "n")]
    with db.conn:
        db["eras"].insert_all(_strip(t["eras"]), pk="id")
        db["era_aliases"].insert_all(
            [{"alias": a.strip().lower(), "era_id": r["id"]}
             for r in t["eras"] for a in r["aliases"].split(";")],
            pk="alias", foreign_keys=[("era_id", "eras", "id")])
        db["tests"].insert_all(_strip(t["tests"]), pk="n")
        db["imports"].create({"id": str, "label": str, "covers_from": str, "covers_to": str,
                              "file": str, "synthetic": int, "source_name": str,
                              "source_url": str, "row_count": int}, pk="id")
        db["imports"].insert_all(
            [{**r, "row_count": sum(1 for v in t["imported_visits"] if v["import_id"] == r["id"])}
             for r in _strip(t["imports"])])
        visit_cols = _columns("visits")
        db["visits"].create({**visit_cols, "import_id": str}, pk="id", foreign_keys=[
            ("after_test", "tests", "n"), ("import_id", "imports", "id")])
        names = [*visit_cols, "import_id"]
        for rows in (t["visits"], t["imported_visits"]):
            _insert_rows(db, "visits", names, ([r.get(c) for c in names] for r in rows))
        db["import_day_counts"].create(DAY_COUNT_COLUMNS, pk=("import_id", "day"),
                                       foreign_keys=[("import_id", "imports", "id")])
        _insert_rows(db, "import_day_counts", list(DAY_COUNT_COLUMNS),
                     _day_counts(t["imported_visits"]))
        for name in ("sanctions", "events", "trade", "coverage", "people"):
            spec = _spec(name)
            db[name].create(_columns(name), pk=spec.pk)
            db[name].insert_all(_strip(t[name]))
        db["people_aliases"].create({"alias": str, "person_id": str}, pk="alias",
                                    foreign_keys=[("person_id", "people", "id")])
        db["people_aliases"].insert_all(_person_aliases(t["people"]))
        db["facts"].insert_all(_strip(t["facts"]), pk="id", foreign_keys=fk,
                               columns={"value": str})
        db["search_index"].insert_all(_search_docs(t), pk="doc_id")
        db["topics"].insert_all(_strip(t["topics"]), pk="id",
                                columns={"lead": str, "lead_covers": int})
        db["topic_rules"].insert_all(
            [{"topic": r["topic"], "match": r["match"], "weight": r["weight"] or 0}
             for r in t["topic_rules"]], columns={"weight": int})
        db["row_hashes"].insert_all(
            [{"id": _row_id(name, r), "tbl": name, "hash": _hash_row(r)}
             for name in ("eras", "tests", "visits", "sanctions", "events", "trade", "facts",
                          "imports")
             for r in t[name]], pk="id")
        # Where each team-added row came from: who proposed and approved it, and when.
        db["team_rows"].create(TEAM_ROW_COLUMNS, pk="row_id")
        db["team_rows"].insert_all(team.team_rows)
        counts = {name: len(t[name]) for name in COUNTED}
        db["metadata"].insert_all([
            {"key": "built_at", "value": datetime.now(UTC).isoformat(timespec="seconds")},
            {"key": "schema_version", "value": str(SCHEMA_VERSION)},
            {"key": "article_as_of", "value": ARTICLE_AS_OF},
            {"key": "row_counts", "value": json.dumps(counts, sort_keys=True)},
            {"key": "source_hashes", "value": json.dumps(hashes, sort_keys=True)},
            {"key": "curation_version", "value": team.version},
            {"key": "team_rows_left_out", "value": json.dumps(team.left_out)},
        ], pk="key")
        # With id in the index, "first visit after a day" (ORDER BY start_date, id) stops at
        # the first row instead of sorting every visit of that day.
        db["visits"].create_index(["start_date", "id"], index_name="idx_visits_start_date")
        # The few curated visits among a million imported ones: without their own index the
        # planner, seeing half the rows per import_id, walks the whole date index to find them.
        db.execute("CREATE INDEX idx_visits_curated ON visits (start_date, id) "
                   "WHERE import_id IS NULL")
        db["visits"].create_index(["after_test"])
        db["visits"].create_index(["import_id", "start_date"])
        db["visits"].create_index(["visitor"])
        db["facts"].create_index(["topic"])
        db["facts"].create_index(["era_id"])
        db["facts"].create_index(["test_n"])
        db["tests"].create_index(["date"])
        db["sanctions"].create_index(["date"])
    db["search_index"].enable_fts(["title", "body"], tokenize="porter")


def build(db_path: Path, data_dir: Path = DATA_DIR,
          curation_db: Path | None = None) -> dict[str, int]:
    """Validate the data files, merge the approved team rows of `curation_db` (default:
    curation.db next to db_path) and atomically replace db_path; returns row counts."""
    with _BUILD_LOCK:
        return _build_unlocked(Path(db_path), data_dir, curation_db)


def _build_unlocked(db_path: Path, data_dir: Path, curation_db: Path | None) -> dict[str, int]:
    tables = load(data_dir)
    team = overlay.merge(tables, _curation_path(db_path, curation_db))
    hashes = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
              for p in [*data_files(data_dir), ARTICLE_PATH] if p.exists()}
    # A new approval changes what is built as surely as an edited file does.
    hashes["curation"] = team.version
    db_path.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_temps(db_path)
    tmp = db_path.with_name(f".{db_path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        conn = sqlite3.connect(tmp)
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("PRAGMA synchronous=OFF")  # the file is fsynced once, below
        # Imported here, not at the top: sqlite-utils and the numpy it loads cost ~110 ms of
        # every `dandong ask`, which only checks that the knowledge base is fresh.
        import sqlite_utils

        db = sqlite_utils.Database(conn)
        write_database(db, tables, hashes, team)
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise KnowledgeBaseError(f"the new knowledge base failed its integrity check: {result}")
        problems = conn.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise KnowledgeBaseError(f"foreign key problems in the new build: {problems[:5]}")
        conn.execute("ANALYZE")
        conn.close()
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, db_path)
    finally:
        tmp.unlink(missing_ok=True)
    return {**{name: len(tables[name]) for name in COUNTED}, "team_rows": len(team.team_rows)}


def _remove_abandoned_temps(db_path: Path) -> None:
    """Temporary files left by builds that were killed (their process is gone)."""
    for tmp in db_path.parent.glob(f".{db_path.name}.*.tmp"):
        try:
            pid = int(tmp.name.rsplit(".", 2)[-2])
            os.kill(pid, 0)
        except (ValueError, ProcessLookupError):
            tmp.unlink(missing_ok=True)
        except PermissionError:
            pass  # alive, another user's build


def ensure_built(db_path: Path, data_dir: Path = DATA_DIR,
                 curation_db: Path | None = None) -> bool:
    """Build when missing or stale; True when a build ran. DataError propagates."""
    if not is_stale(db_path, data_dir, curation_db):
        return False
    try:
        build(db_path, data_dir, curation_db)
    except DataError:
        if Path(db_path).exists():
            return False  # keep serving the last good build; `dandong build` shows why
        raise
    return True
