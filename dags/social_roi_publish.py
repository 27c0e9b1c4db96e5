"""
### social_roi_publish

Build the warehouse with dbt, validate the candidate marts and only then publish them atomically
for BI — once every source family has delivered the day (any of the Assets `social_roi_landing_social`,
`_web` and `_crm` triggers a run), or at the daily deadline (`SOCIAL_ROI_PUBLISH_DEADLINE`, 06:00
UTC the next day) with whatever has arrived.

* `check_freshness` decides the days: an Asset-triggered run publishes through the latest day every
  family delivered (the delivery records) what is not yet published with its data, and is skipped
  when there is nothing new ("day D: waiting for web, crm"); a deadline run publishes its data interval's day,
  `[D 06:00, D+1 06:00)` → D. A family that has not delivered D is named in a freshness warning
  (the run's log and a `late` alert); one whose landing gate refused D stops the publication.
* A deadline run of a day already published complete is skipped.
* One writer on the DuckDB build file: `max_active_runs=1` and the `duckdb_writer` pool.
* A run not finished within `SOCIAL_ROI_PUBLISH_GRACE` (1 h) of being queued sends a `late` alert
  (an Airflow `DeadlineAlert`, run by the triggerer). A failed gate or task alerts as every task does.
"""

from social_roi.dag_builders import publish_dag

dag = publish_dag(__doc__)
