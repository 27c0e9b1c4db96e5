"""Benchmark: the rule-based attribution models (the real dbt models) over 1 M conversions.

Synthesises `fct_conversions` and `fct_touchpoints` in a scratch build database, then times one
in-process dbt run of `int_conversion_paths` (the path table) and `int_attribution_rule_based`
(the eight models' credits), both tables as the pipeline builds them. Prints sizes, the median
total and dbt's own time per model (the rest is dbt's start-up and closing the database).

With `--marts`, also times the attribution marts downstream (`fct_attribution`,
`fct_attribution_by_channel`, `fct_attribution_model_comparison`); the data-driven credits they
read are stubbed (two models, credit 1/n), so those figures leave out Markov and Shapley.

    .venv/bin/python bench/attribution_rule_based.py [--conversions 1000000] [--runs 3] [--marts]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from social_roi import pii
from social_roi.settings import Paths
from social_roi.transform import dbt_build

# synthetic people only: a key of this process for the keyed e-mail hash (docs/decisions.md 48)
os.environ.setdefault(pii.KEY_ENV, secrets.token_hex(32))

PLATFORMS = ["facebook", "instagram", "linkedin", "x", "google", "direct"]
GROUPS = ["Organic Social", "Paid Social", "Organic Social", "Organic Social", "Organic Search", "Direct"]
RULE_BASED = ["int_conversion_paths", "int_attribution_rule_based"]
MARTS = ["fct_attribution", "fct_attribution_by_channel", "fct_attribution_model_comparison"]


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
                h % 6 = 5 as is_direct,
                false as is_suspected_bot
            from touches
        """)
        n_touch = con.execute("select count(*) from main_marts.fct_touchpoints").fetchone()[0]
    return conversions, n_touch


def stub_data_driven(db: Path) -> None:
    """The marts read the data-driven credits: a stand-in with their shape and size."""
    with duckdb.connect(str(db)) as con:
        con.execute("""
            create or replace table main_intermediate.int_attribution_data_driven as
            select conversion_id, position, model, 1.0 / greatest(n_touches, 1) as credit
            from main_intermediate.int_conversion_paths,
                (values ('markov'), ('shapley')) as models (model)
        """)


def timed_run(paths: Paths, models: list[str]) -> tuple[float, dict[str, float]]:
    """One dbt invocation: wall time, and dbt's execution time per model."""
    started = time.perf_counter()
    dbt_build(paths, ["--select", " ".join(models), "--resource-type", "model"])
    total = time.perf_counter() - started
    results = json.loads((paths.dbt_target / "run_results.json").read_text())["results"]
    return total, {r["unique_id"].rsplit(".", 1)[-1]: r["execution_time"] for r in results}


def report(label: str, runs: list[tuple[float, dict[str, float]]]) -> None:
    models = runs[0][1]
    medians = {m: statistics.median(r[1][m] for r in runs) for m in models}
    total = statistics.median(r[0] for r in runs)
    phases = " + ".join(f"{m} {t:.2f}s" for m, t in medians.items())
    print(f"{label}: median {total:.2f}s of {len(runs)} runs = {phases} "
          f"+ dbt start-up and close {total - sum(medians.values()):.2f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--marts", action="store_true", help="also time the attribution marts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_attribution_") as tmp:
        root = Path(tmp)
        paths = dataclasses.replace(Paths.from_env(), data_dir=root, landing=root / "landing",
                                    build_db=root / "build.duckdb")
        started = time.perf_counter()
        n_conv, n_touch = synthesise(paths.build_db, args.conversions)
        print(f"synthesised {n_conv:,} conversions, {n_touch:,} touchpoints "
              f"in {time.perf_counter() - started:.1f}s")
        dbt_build(paths, ["--select", " ".join(RULE_BASED), "--resource-type", "model"])  # warm-up: parse
        runs = []
        for run in range(args.runs):
            runs.append(timed_run(paths, RULE_BASED))
            phases = ", ".join(f"{m} {t:.2f}s" for m, t in runs[-1][1].items())
            print(f"  run {run + 1}: {runs[-1][0]:.2f}s ({phases})")
        with duckdb.connect(str(paths.build_db), read_only=True) as con:
            n_paths, n_credits = con.execute(
                "select (select count(*) from main_intermediate.int_conversion_paths), "
                "(select count(*) * 8 from main_intermediate.int_attribution_rule_based)").fetchone()
        report(f"rule-based models (8) over {n_touch:,} touchpoints ({n_paths:,} path rows, "
               f"{n_credits:,} credits)", runs)
        if args.marts:
            stub_data_driven(paths.build_db)
            marts = [timed_run(paths, MARTS) for _ in range(args.runs)]
            report("attribution marts (data-driven credits stubbed)", marts)


if __name__ == "__main__":
    main()
