-- MetricFlow's daily time spine: one row per day, for the semantic layer's time joins.
{{ config(materialized='table') }}

{{ date_spine_days("date '2020-01-01'", "date '2036-01-01'") }}
