"""The quality gate: Great Expectations suites run on a day's landing partitions and on the
candidate marts; any failure stops publication (``gate.validate_landing`` / ``gate.validate_marts``).

Suites are committed JSON under ``expectations/suites/<layer>__<table>.json``; dates that depend on
the run's data interval are ``$PARAMETER`` values fed at validation time (``suites``)."""

import os

# Before any submodule imports Great Expectations, which reads it: no usage statistics are sent.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
