"""Answer templates kept in data (topics.csv `lead`): the placeholder grammar, shared by the
build (which validates every placeholder against the rows) and the engine (which fills them).

    {fact:ID}              the fact's text          {fact:ID.quote}   one field of the row
    {sanction:ID.date|long} a field with a filter   {visit:ID.place}  {event:ID.figure}
    {records:list}          the topic's records as bullet lines   {records:count}  {records:years}
    {facts:numbered}        the topic's facts as a numbered list  {facts:count}

Filters: `long` (an ISO date as 'February 18, 2017'), `nodot` (drop a final full stop).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

PLACEHOLDER = re.compile(
    r"\{(?P<kind>fact|sanction|visit|event|records|facts):(?P<ref>[a-z0-9_]+)"
    r"(?:\.(?P<field>[a-z_]+))?(?:\|(?P<filter>[a-z_]+))?\}")
ROW_KINDS = ("fact", "sanction", "visit", "event")
AGGREGATES = {"records": ("list", "count", "years"), "facts": ("numbered", "count")}
FILTERS = ("long", "nodot")
DEFAULT_FIELD = {"fact": "text", "sanction": "event", "visit": "visitor", "event": "event"}


def problems(template: str, rows: Mapping[str, Mapping[str, Mapping]]) -> list[str]:
    """Why `template` cannot be filled from `rows` (kind -> id -> row dict); [] when it can."""
    out: list[str] = []
    stripped = PLACEHOLDER.sub("", template)
    if "{" in stripped or "}" in stripped:
        out.append("a brace that is not a placeholder like {fact:ID} or {records:list}")
    for m in PLACEHOLDER.finditer(template):
        kind, ref, fld, flt = m["kind"], m["ref"], m["field"], m["filter"]
        if flt and flt not in FILTERS:
            out.append(f"{m[0]}: unknown filter {flt!r} (filters: {', '.join(FILTERS)})")
        if kind in AGGREGATES:
            if ref not in AGGREGATES[kind] or fld:
                out.append(f"{m[0]}: {kind} takes one of {', '.join(AGGREGATES[kind])}")
            continue
        row = rows.get(kind, {}).get(ref)
        if row is None:
            out.append(f"{m[0]}: no {kind} with id {ref!r}")
            continue
        name = fld or DEFAULT_FIELD[kind]
        if name not in row:
            out.append(f"{m[0]}: a {kind} has no field {name!r}")
        elif row[name] in (None, ""):
            out.append(f"{m[0]}: {kind} {ref!r} has no {name}")
    return out


def fill(template: str, value: Callable[[str, str, str], object],
         aggregate: Callable[[str, str], str],
         filters: Mapping[str, Callable[[str], str]]) -> str:
    """Replace each placeholder: rows through `value(kind, id, field)`, lists through
    `aggregate(kind, name)`, then the placeholder's filter."""

    def one(m: re.Match) -> str:
        if m["kind"] in AGGREGATES:
            text = aggregate(m["kind"], m["ref"])
        else:
            text = str(value(m["kind"], m["ref"], m["field"] or DEFAULT_FIELD[m["kind"]]))
        return filters[m["filter"]](text) if m["filter"] else text

    return PLACEHOLDER.sub(one, template.replace("\\n", "\n"))
