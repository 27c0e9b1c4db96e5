"""The funnel summary printed at the end of a run, read from the published serving database."""

from __future__ import annotations

from pathlib import Path

import duckdb

COLUMNS = ("views", "reactions", "link_clicks", "sessions", "leads", "customers", "revenue_usd",
           "spend_usd")
HEADERS = ("platform", "views", "reactions", "clicks", "sessions", "leads", "customers",
           "revenue $", "spend $", "ROAS", "ROI")


def platform_totals(serving_db: Path) -> list[tuple]:
    sums = ", ".join(f"sum({c})" for c in COLUMNS)
    with duckdb.connect(str(serving_db), read_only=True) as con:
        return con.execute(
            f"select platform, {sums} from fct_funnel_daily group by platform "
            "order by sum(revenue_usd) desc, platform"
        ).fetchall()


def format_summary(rows: list[tuple]) -> str:
    """views → reactions → clicks → sessions → leads → customers → revenue, spend, ROAS, ROI.
    ROAS = revenue / media spend; ROI = (revenue − spend) / spend; both need spend > 0."""
    table = [HEADERS]
    for platform, *values in rows:
        *counts, revenue, spend = values
        roas = f"{revenue / spend:.2f}" if spend else "–"
        roi = f"{(revenue - spend) / spend:+.0%}" if spend else "–"
        table.append((platform, *(f"{int(v):,}" for v in counts), f"{revenue:,.0f}",
                      f"{spend:,.0f}", roas, roi))
    widths = [max(len(str(row[i])) for row in table) for i in range(len(HEADERS))]
    lines = ["  ".join(str(cell).rjust(w) if i else str(cell).ljust(w)
                       for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
             for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    lines.append(f"Most reactions: {_leader(rows, 2)}. Most won revenue: {_leader(rows, 7)}. "
                 "ROI counts media spend only until non-media costs are configured.")
    return "\n".join(lines)


def _leader(rows: list[tuple], column: int) -> str:
    best = max(rows, key=lambda row: row[column], default=None)
    return best[0] if best is not None and best[column] > 0 else "none yet"
