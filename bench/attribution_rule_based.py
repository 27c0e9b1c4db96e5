"""Benchmark: the rule-based attribution models (the real dbt models) over 1 M conversions.

Synthesises `fct_conversions` and `fct_touchpoints` in a scratch build database, then times the
dbt run of `int_conversion_paths` (the path table) and `int_attribution_rule_based` (a view), and
the materialisation of that view's credits (eight models) into a table. Prints sizes and medians.

    .venv/bin/python bench/attribution_rule_based.py [--conversions 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from social_roi.settings import Paths
from social_roi.transform import dbt_build

PLATFORMS = ["facebook", "instagram", "linkedin", "x", "google", "direct"]
GROUPS = ["Organic Social", "Paid Social", "Organic Social", "Organic Social", "Organic Search", "Direct"]


def synthesise(db: Path, conversions: int, seed: int = 7) -> tuple[int, int]:
    """One person per conversion; 1–5 touches (mean 3) in the 60 days before it."""
    with duckdb.connect(str(db)) as con:
        con.execute(f"select setseed({seed / 100})")
        con.execute("create schema if not exists main_marts")
        con.execute(f"""
            create or replace table main_marts.fct_conversions as
            select
                'c' || i as conversion_id,
                'p' || i as person_id,
                case when i % 5 < 3 then 'lead' when i % 5 = 3 then 'opportunity'
                     else 'customer' end as conversion_type,
                timestamptz '2026-10-01' + to_seconds(cast(i % 2592000 as bigint)) as converted_at,
                cast(timestamptz '2026-10-01' + to_seconds(cast(i % 2592000 as bigint)) as date)
                    as conversion_date,
                case when i % 5 = 4 then 1000.0 + (i % 97) * 100 else 0.0 end as revenue_usd,
                timestamptz '2026-10-01' + to_seconds(cast(i % 2592000 as bigint))
                    - interval 20 day as lead_at,
                timestamptz '2026-10-01' + to_seconds(cast(i % 2592000 as bigint))
                    - interval 5 day as opportunity_at
            from range({conversions}) as t(i)
        """)
        platforms = ", ".join(f"'{p}'" for p in PLATFORMS)
        groups = ", ".join(f"'{g}'" for g in GROUPS)
        con.execute(f"""
            create or replace table main_marts.fct_touchpoints as
            with touches as (
                select c.person_id, c.converted_at, k,
                    hash(c.person_id, k) as h
                from main_marts.fct_conversions as c,
                    range(1 + cast(hash(c.person_id) % 5 as integer)) as r(k)
            )
            select
                person_id || '-' || k as touchpoint_id,
                person_id,
                'ga_client_id' as match_method,
                person_id as user_pseudo_id,
                converted_at - to_seconds(cast(h % 5184000 as bigint)) as touchpoint_at,
                cast(converted_at - to_seconds(cast(h % 5184000 as bigint)) as date) as touchpoint_date,
                [{groups}][1 + cast(h % 6 as integer)] as channel_group,
                [{platforms}][1 + cast(h % 6 as integer)] as platform,
                [{platforms}][1 + cast(h % 6 as integer)] as source,
                'social' as medium,
                'campaign_' || (h % 20) as campaign,
                null::varchar as content,
                h % 6 = 5 as is_direct
            from touches
        """)
        n_touch = con.execute("select count(*) from main_marts.fct_touchpoints").fetchone()[0]
    return conversions, n_touch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_attribution_") as tmp:
        root = Path(tmp)
        paths = dataclasses.replace(Paths.from_env(), data_dir=root, landing=root / "landing",
                                    build_db=root / "build.duckdb")
        started = time.perf_counter()
        n_conv, n_touch = synthesise(paths.build_db, args.conversions)
        print(f"synthesised {n_conv:,} conversions, {n_touch:,} touchpoints "
              f"in {time.perf_counter() - started:.1f}s")
        dbt_runs, credit_runs = [], []
        for run in range(args.runs):
            started = time.perf_counter()
            dbt_build(paths, ["--select", "int_conversion_paths int_attribution_rule_based",
                              "--resource-type", "model"])
            dbt_runs.append(time.perf_counter() - started)
            with duckdb.connect(str(paths.build_db)) as con:
                started = time.perf_counter()
                con.execute("create or replace table main.bench_credits as "
                            "select * from main_intermediate.int_attribution_rule_based")
                credit_runs.append(time.perf_counter() - started)
                rows = con.execute("select count(*) from main.bench_credits").fetchone()[0]
            print(f"  run {run + 1}: dbt (paths table) {dbt_runs[-1]:.2f}s, "
                  f"credits table {credit_runs[-1]:.2f}s")
        total = [a + b for a, b in zip(dbt_runs, credit_runs, strict=True)]
        print(f"rule-based models (8) over {n_touch:,} touchpoints → {rows:,} credit rows: median "
              f"{statistics.median(total):.2f}s (dbt incl. start-up {statistics.median(dbt_runs):.2f}s "
              f"+ credits {statistics.median(credit_runs):.2f}s) of {args.runs} runs")


if __name__ == "__main__":
    main()
