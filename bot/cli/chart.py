"""`dandong chart KIND --out FILE.png [--from --to]`: write the PNG, print its alt text."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bot.charts import parse_range, render_chart
from bot.errors import DandongError, UsageError
from knowledge.store import open_store


def chart_cli(args, settings) -> int:
    """Render the chart atomically to --out and print its size and alt text."""
    out = Path(args.out)
    try:
        s, e = parse_range(args.start, args.end)
        if out.suffix.lower() != ".png":
            raise UsageError(f"--out must name a .png file, got {args.out!r}")
    except UsageError as exc:
        raise UsageError(f"dandong chart: {exc}") from None
    chart = render_chart(open_store(settings.db_path, settings.data_dir,
                                    curation_db=settings.curation_db), args.kind, s, e)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(chart.png)
        os.replace(tmp, out)  # never leave a half-written PNG behind
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DandongError(f"cannot write {out}: {exc.strerror or exc}") from None
    sys.stdout.write(f"wrote {out} ({len(chart.png) // 1024} KB)\n{chart.alt_text}\n")
    return 0
