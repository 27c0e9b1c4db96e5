"""One connector per source. Each exposes ``SOURCE`` (its name), ``CONN_ID`` (the Airflow connection
it reads) and ``fetch_day(client, config, day) -> dict[entity, list[row]]``; the shared mechanism
in ``base`` turns rows into contract-checked Arrow tables and lands them."""

from social_roi.connectors import (
    ga4,
    ga4_data_api,
    hubspot,
    linkedin,
    listening,
    meta,
    salesforce,
    x,
)

CONNECTORS = {module.SOURCE: module
              for module in (meta, linkedin, x, ga4, ga4_data_api, hubspot, salesforce, listening)}
