"""Compare a relation of the DuckDB build with the same relation of the Postgres build: same rows
(as a multiset), money to the cent, other floats within 1e-9 (relative above 1)."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Sequence

MONEY_TOLERANCE = 0.005  # to the cent
RATE_TOLERANCE = 1e-9


def is_money(column: str) -> bool:
    return column.endswith("_usd") or column in {"amount", "spend", "revenue", "pipeline"}


def _norm(value):
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC)
    if isinstance(value, dict | list):
        return repr(value)
    return value


def _key(row: Sequence) -> tuple:
    return tuple((v is None, round(v, 6) if isinstance(v, float) else str(v)) for v in row)


def _close(a, b, column: str) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        a, b = float(a), float(b)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        tolerance = MONEY_TOLERANCE if is_money(column) else RATE_TOLERANCE * max(1.0, abs(a))
        return abs(a - b) <= tolerance
    return a == b


def differences(columns: Sequence[str], duck_rows: Sequence[Sequence], pg_rows: Sequence[Sequence],
                limit: int = 5) -> list[str]:
    """What differs, at most ``limit`` lines; empty when the two relations agree."""
    if len(duck_rows) != len(pg_rows):
        return [f"{len(duck_rows)} rows on DuckDB, {len(pg_rows)} on Postgres"]
    duck = sorted(([_norm(v) for v in row] for row in duck_rows), key=_key)
    pg = sorted(([_norm(v) for v in row] for row in pg_rows), key=_key)
    found = []
    for index, (left, right) in enumerate(zip(duck, pg, strict=True)):
        bad = [c for c, a, b in zip(columns, left, right, strict=True) if not _close(a, b, c)]
        if bad:
            found.append(f"row {index}: " + ", ".join(
                f"{c}: {left[columns.index(c)]!r} (DuckDB) vs {right[columns.index(c)]!r} (Postgres)"
                for c in bad[:4]))
            if len(found) >= limit:
                break
    return found
