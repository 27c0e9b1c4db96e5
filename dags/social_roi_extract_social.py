"""
### social_roi_extract_social

The social sources — Facebook Pages, Instagram, Meta Ads (meta), LinkedIn, X and Brandwatch
listening — every day: extract the day's data of each into the landing zone
(one task per source, in its API's pool), then validate that landing
(`validate_landing`). Only a day that passed emits the Asset `social_roi_landing_social`
(extra: family and day), which `social_roi_publish` waits for with the other families'.

* Data interval: `[day, day + 1)` UTC (a cron data-interval timetable).
* Auth errors and gate failures fail at once; API hiccups are retried inside the connectors and
  again by Airflow (2 retries, exponential backoff). A task that fails for good alerts.
* The gate's verdict, pass or fail, is recorded for the publish DAG: a refused day is never
  published (README, "What happens in a daily run"; docs/decisions.md 58).
* Scheduling window: `SOCIAL_ROI_START_DATE` / `SOCIAL_ROI_END_DATE` (catchup when a start is given).
"""

from social_roi.dag_builders import extract_dag

dag = extract_dag("social", __doc__)
