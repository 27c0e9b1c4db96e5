"""Rule-based attribution recomputed in plain Python from the sandbox's ground truth: who is
really behind each touchpoint, whether the data links them, and the reference's credit rules
(../shared/reference/attribution.md), written again independently of the SQL."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pandas as pd

LOOKBACK = timedelta(days=90)
CLOCK_SKEW = timedelta(seconds=300)  # docs/attribution.md: a touch this close after still counts
MODELS = ("first_touch", "last_touch", "linear", "position_based")


def rule_credits(n: int) -> dict[str, list[float]]:
    """Credit per position of an n-touch path, per model."""
    if n == 1:
        position = [1.0]
    elif n == 2:
        position = [0.5, 0.5]
    else:
        position = [0.4] + [0.2 / (n - 2)] * (n - 2) + [0.4]
    return {
        "first_touch": [1.0] + [0.0] * (n - 1),
        "last_touch": [0.0] * (n - 1) + [1.0],
        "linear": [1.0 / n] * n,
        "position_based": position,
    }


def true_touchpoints(truth: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every touchpoint with the person really behind it, and whether the data links them: web
    sessions, and ad lead forms (linked by the e-mail once the CRM has the contact). post_id: the
    organic post a social session came from (its utm_content)."""
    sessions = truth["sessions"]
    forms = truth["form_leads"]
    return pd.concat([
        pd.DataFrame({"touchpoint_id": sessions.user_pseudo_id + "-" + sessions.ga_session_id.astype(str),
                      "contact_id": sessions.contact_id, "identifiable": sessions.identifiable,
                      "started_at": sessions.started_at, "date": sessions.date,
                      "platform": sessions.platform,
                      "post_id": sessions.content.where(sessions.medium == "social")}),
        pd.DataFrame({"touchpoint_id": "meta_lead:" + forms.lead_id, "contact_id": forms.contact_id,
                      "identifiable": forms.contact_id.notna(), "started_at": forms.created_at,
                      "date": forms.date, "platform": forms.platform}),
    ], ignore_index=True)


def truth_totals(truth: dict[str, pd.DataFrame], conversions: pd.DataFrame, by: str = "platform") -> dict:
    """conversions: columns contact_id, converted_at, value. Returns {(model, <by>): total}, by a
    column of true_touchpoints. A journey is every touchpoint of the person that the data links
    to them."""
    touchpoints = true_touchpoints(truth)
    sessions = touchpoints[touchpoints.identifiable]
    by_person = {k: v.sort_values(["started_at", "touchpoint_id"])
                 for k, v in sessions.groupby("contact_id")}
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for row in conversions.itertuples(index=False):
        journey = by_person.get(row.contact_id, sessions.iloc[0:0])
        path = journey[(journey.started_at <= row.converted_at + CLOCK_SKEW)
                       & (journey.started_at >= row.converted_at - LOOKBACK)]
        if path.empty:
            for model in MODELS:
                totals[(model, "(unattributed)")] += row.value
            continue
        for model, credits in rule_credits(len(path)).items():
            for key, credit in zip(path[by], credits, strict=True):
                totals[(model, key)] += credit * row.value
    return totals
