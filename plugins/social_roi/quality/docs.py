"""Great Expectations' HTML Data Docs of one gate run, without a file-backed GE project.

Each suite's validation result is rendered by GE's own ``ValidationResultsPageRenderer`` and
``DefaultJinjaPageView`` (what a Data Docs site builds its validation pages with) into
``<result file without .json>.docs/<suite>.html``, next to the run's JSON result; an ``index.html``
lists every suite of the run with its verdict, rows and failures. The pages load their styles
from the same CDNs as GE's own sites.

When: a failing run always gets its docs; a passing one only with ``SOCIAL_ROI_DATA_DOCS=always``.
Rendering costs ~10–13 ms of CPU a suite (0.2 s per gate on the demo data, +16 % on the two gates'
~2.6 s of CPU a day), and a passing suite was validated verdict-first (decision 46), so its page
would say only "passed" per expectation (decision 54).
"""

from __future__ import annotations

import html
import logging
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from social_roi.quality.results import GateResult, SuiteRun

log = logging.getLogger(__name__)

ENV = "SOCIAL_ROI_DATA_DOCS"  # "always": also for passing runs; "never": not even on failure


def wanted(success: bool) -> bool:
    setting = os.environ.get(ENV, "failures").strip().lower()
    if setting not in ("always", "failures", "never"):
        raise ValueError(f"{ENV} must be always, failures or never, not {setting!r}")
    return setting == "always" or (setting == "failures" and not success)


def docs_dir(result_file: Path) -> Path:
    return result_file.with_name(result_file.stem + ".docs")


def build(result: GateResult) -> Path:
    """Render the run's pages (replacing an earlier run's of the same name); the index's path."""
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    target = docs_dir(result.result_file)
    staging = target.with_name(f".{target.name}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    renderer, view = ValidationResultsPageRenderer(), DefaultJinjaPageView()
    pages = {}
    for run in result.suites:
        if run.validation is None:  # unreadable: no GE result, the index names the problem
            continue
        page = f"{run.suite}.html"
        (staging / page).write_text(view.render(renderer.render(run.validation)))
        pages[run.suite] = page
    (staging / "index.html").write_text(_index(result, result.suites, pages))
    shutil.rmtree(target, ignore_errors=True)
    os.replace(staging, target)
    index = target / "index.html"
    log.info("Data Docs of the %s gate (%s): %s", result.boundary, result.scope, index)
    return index


def _index(result: GateResult, runs: Sequence[SuiteRun], pages: dict[str, str]) -> str:
    rows = []
    for run in runs:
        name = html.escape(run.suite)
        link = f'<a href="{html.escape(pages[run.suite])}">{name}</a>' if run.suite in pages else name
        problems = "<br>".join(html.escape(f"{f.expectation}: {f.observed}") for f in run.failures)
        rows.append(f"<tr class={'ok' if run.success else 'failed'}><td>{link}</td>"
                    f"<td>{html.escape(run.table)}</td><td>{'' if run.rows is None else run.rows}</td>"
                    f"<td>{run.evaluated}</td><td>{len(run.failures)}</td><td>{problems}</td></tr>")
    verdict = "passed" if result.success else "FAILED"
    title = html.escape(f"Quality gate '{result.boundary}' ({result.scope}) {verdict}")
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:2em}} td,th{{padding:4px 8px;text-align:left;
vertical-align:top}} tr.failed{{background:#fdd}} tr.ok{{background:#efe}}</style></head>
<body><h1>{title}</h1>
<p>{len(result.failures)} of {result.expectations_evaluated} expectations failed in
{result.suites_evaluated} suites. Machine-readable result: {html.escape(str(result.result_file))}</p>
<table><tr><th>suite</th><th>table</th><th>rows</th><th>expectations</th><th>failed</th>
<th>what failed</th></tr>
{chr(10).join(rows)}
</table></body></html>
"""
