"""The warehouse's currency rule, recomputed for the truth tests (docs/roi.md): an amount takes
the latest `fx_rates_daily` rate into USD on or before its day and is rounded to the cent."""

from __future__ import annotations

import bisect
import csv
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

import pandas as pd

from social_roi.settings import REPO_ROOT

SEED = REPO_ROOT / "dbt_project" / "seeds" / "fx_rates_daily.csv"


@cache
def _rates(currency: str) -> tuple[list[date], list[Decimal]]:
    with SEED.open() as handle:
        rows = sorted((date.fromisoformat(r["rate_date"]), Decimal(r["rate"]))
                      for r in csv.DictReader(handle)
                      if r["currency"] == currency and r["quote_currency"] == "USD")
    return [d for d, _ in rows], [rate for _, rate in rows]


def to_usd(amount: float, currency: str, day: date) -> float:
    if currency == "USD":
        return round(float(amount), 2)
    days, rates = _rates(currency)
    index = bisect.bisect_right(days, day) - 1
    if index < 0:
        raise ValueError(f"no {currency} rate on or before {day} in {SEED.name}")
    cents = (Decimal(str(amount)) * rates[index]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return float(cents)


def spend_usd(ad_daily: pd.DataFrame) -> pd.Series:
    """The truth's ad spend (in each account's currency) in USD, per row."""
    return pd.Series([to_usd(s, c, d) for s, c, d in zip(ad_daily.spend, ad_daily.currency,
                                                          ad_daily.date, strict=True)],
                     index=ad_daily.index, dtype=float)
