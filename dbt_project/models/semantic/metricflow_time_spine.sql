-- MetricFlow's daily time spine: one row per day, for the semantic layer's time joins.
{{ config(materialized='table') }}

select cast(range as date) as date_day
from range(date '2020-01-01', date '2036-01-01', interval 1 day)
