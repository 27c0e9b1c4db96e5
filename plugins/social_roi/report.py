"""The summary printed at the end of a run (funnel per platform, identity match, brand
conversation), read from the published serving database."""

from __future__ import annotations

from pathlib import Path

from social_roi.serving import connect_readonly

COLUMNS = ("views", "reactions", "link_clicks", "sessions", "leads", "customers", "revenue_usd",
           "spend_usd")
HEADERS = ("platform", "views", "reactions", "clicks", "sessions", "leads", "customers",
           "revenue $", "spend $", "ROAS", "ROI")
MATCH_METHODS = {"user_id": "login", "ga_client_id": "GA client id", "click_id": "click id",
                 "hashed_email": "hashed e-mail"}


def platform_totals(serving_db: Path) -> list[tuple]:
    """The table's columns per platform; a platform with none of them (calls without a contact:
    inquiries only, on their own line) is left out."""
    sums = ", ".join(f"sum({c})" for c in COLUMNS)
    with connect_readonly(serving_db) as con:
        return con.execute(
            f"select platform, {sums} from fct_funnel_daily group by platform "
            f"having {' or '.join(f'sum({c}) <> 0' for c in COLUMNS)} "
            "order by sum(revenue_usd) desc, platform"
        ).fetchall()


def format_summary(rows: list[tuple]) -> str:
    """views → reactions → clicks → sessions → leads → customers → revenue, spend, ROAS, ROI.
    ROAS = revenue / media spend; ROI = (revenue − spend) / spend; both need spend > 0."""
    table = [HEADERS]
    for platform, *values in rows:
        *counts, revenue, spend = values
        roas = f"{revenue / spend:.2f}" if spend else "–"
        roi = f"{(revenue - spend) / spend:+.0%}" if spend else "–"
        table.append((platform, *(f"{int(v):,}" for v in counts), f"{revenue:,.0f}",
                      f"{spend:,.0f}", roas, roi))
    widths = [max(len(str(row[i])) for row in table) for i in range(len(HEADERS))]
    lines = ["  ".join(str(cell).rjust(w) if i else str(cell).ljust(w)
                       for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
             for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    lines.append(f"Most reactions: {_leader(rows, 2)}. Most won revenue: {_leader(rows, 7)}. "
                 "ROAS and ROI here count media spend only; the next line counts every cost.")
    return "\n".join(lines)


def _leader(rows: list[tuple], column: int) -> str:
    best = max(rows, key=lambda row: row[column], default=None)
    return best[0] if best is not None and best[column] > 0 else "none yet"


def roi_totals(serving_db: Path, model: str = "last_touch") -> list[tuple]:
    """(platform, total cost, attributed revenue) per platform under one attribution model, from
    fct_roi_monthly (media + non-media costs), most revenue first."""
    with connect_readonly(serving_db) as con:
        return con.execute(
            "select platform, sum(total_cost_usd), sum(attributed_revenue_usd) from fct_roi_monthly "
            "where attribution_model = ? group by platform "
            "order by sum(attributed_revenue_usd) desc, platform", [model]).fetchall()


def format_roi(rows: list[tuple], model: str = "last_touch") -> str:
    """ROI = (attributed revenue − cost) / cost, as fct_roi_monthly defines it; "–" without cost."""
    cost = sum(r[1] for r in rows)
    revenue = sum(r[2] for r in rows)
    if not cost:
        return "ROI with every cost: no cost recorded yet."

    def roi(c: float, r: float) -> str:
        return f"{(r - c) / c:+.0%}" if c else "–"

    platforms = ", ".join(f"{p} {roi(c, r)}" for p, c, r in rows if c or r)
    return (f"ROI with every cost ({model} attribution): ${cost:,.0f} spent (media and "
            f"non-media), ${revenue:,.0f} attributed, ROI {roi(cost, revenue)}; by platform: "
            f"{platforms}.")


def identity_totals(serving_db: Path) -> tuple:
    """(touchpoints, matched, matched per method…, suspected bots) over the whole mart."""
    sums = ", ".join(f"sum(matched_by_{m})" for m in MATCH_METHODS)
    with connect_readonly(serving_db) as con:
        return con.execute(
            f"select sum(touchpoints), sum(matched_touchpoints), {sums}, "
            "sum(suspected_bot_touchpoints) from fct_identity_match_daily").fetchone()


def format_identity(totals: tuple) -> str:
    touchpoints, matched, *by_method, bots = (int(v or 0) for v in totals)
    share = f" ({matched / touchpoints:.1%})" if touchpoints else ""
    methods = ", ".join(f"{label} {n:,}"
                        for label, n in zip(MATCH_METHODS.values(), by_method, strict=True))
    return (f"Identity: {matched:,} of {touchpoints:,} touchpoints{share} belong to a known "
            f"person (by {methods}); {bots:,} suspected bot touchpoints kept out of attribution.")


def post_extremes(serving_db: Path) -> tuple[tuple | None, tuple | None]:
    """(most engaging post, post with the most attributed revenue), each as
    (platform, post_id, engagements, attributed revenue, engagement rank, revenue rank, model)."""
    columns = ("platform, post_id, engagements, attributed_revenue_usd, engagement_rank, revenue_rank, "
               "attribution_model")
    with connect_readonly(serving_db) as con:
        def first(order: str) -> tuple | None:
            return con.execute(f"select {columns} from fct_post_performance "
                               f"order by {order}, platform, post_id limit 1").fetchone()
        return (first("engagements desc"), first("attributed_revenue_usd desc, engagements desc"))


def format_vanity_vs_value(extremes: tuple[tuple | None, tuple | None]) -> str:
    """The contrast the product exists for, in two sentences."""
    liked, earning = extremes
    if liked is None:
        return "Vanity vs value: no posts yet."
    platform, post, engagements, revenue, _, revenue_rank, model = liked
    line = (f"Vanity vs value ({model} attribution): the most engaging post ({platform} {post}, "
            f"{engagements:,} engagements) brought ${revenue:,.0f}, revenue rank {revenue_rank}")
    if earning is not None and earning[3] > 0:
        platform, post, engagements, revenue, engagement_rank, *_ = earning
        line += (f"; the post that brought the most revenue ({platform} {post}, ${revenue:,.0f}) "
                 f"ranks {engagement_rank} on engagement with {engagements:,} engagements")
    return line + "."


def conversation_totals(serving_db: Path) -> list[tuple]:
    """(brand, is_our_brand, mentions, positive, negative) per tracked brand over the whole mart,
    most mentioned first."""
    with connect_readonly(serving_db) as con:
        return con.execute(
            "select brand, bool_or(is_our_brand), sum(mentions), sum(positive_mentions), "
            "sum(negative_mentions) from fct_brand_conversation_daily group by brand "
            "order by sum(mentions) desc, brand").fetchall()


def format_conversation(rows: list[tuple]) -> str:
    """Share of voice over the period = a brand's mentions / all tracked brands' mentions (the
    daily shares are re-derived from counts, never averaged); net sentiment =
    (positive − negative) / mentions."""
    total = sum(int(r[2]) for r in rows)
    if not total:
        return "Conversation: no mention of any tracked brand yet."
    shares = ", ".join(f"{brand} {mentions / total:.1%}" for brand, _, mentions, *_ in rows)

    def net(group: list[tuple]) -> str:
        mentions = sum(int(r[2]) for r in group)
        return f"{(sum(r[3] for r in group) - sum(r[4] for r in group)) / mentions:+.2f}" if mentions else "–"

    ours = [r for r in rows if r[1]]
    theirs = [r for r in rows if not r[1]]
    return (f"Conversation: {total:,} mentions of {len(rows)} tracked brands; share of voice "
            f"{shares}; net sentiment ours {net(ours)}, competitors {net(theirs)}.")


def direct_message_totals(serving_db: Path) -> list[tuple]:
    """(platform, direct messages, new conversations) per platform with any, most messages first."""
    with connect_readonly(serving_db) as con:
        return con.execute(
            "select platform, sum(direct_messages), sum(new_conversations) from fct_funnel_daily "
            "group by platform having sum(direct_messages) > 0 "
            "order by sum(direct_messages) desc, platform").fetchall()


def format_direct_messages(rows: list[tuple]) -> str:
    """Messages people sent to our accounts (our replies not counted) and the conversations they
    opened, as fct_funnel_daily defines them."""
    if not rows:
        return "Direct messages: none received yet."
    messages = sum(int(r[1]) for r in rows)
    opened = sum(int(r[2]) for r in rows)
    platforms = ", ".join(f"{p} {int(m):,}" for p, m, _ in rows)
    return (f"Direct messages: {messages:,} received from people ({platforms}), {opened:,} new "
            "conversations opened by them.")


SOCIAL_GROUPS = ("Organic Social", "Paid Social", "Advocacy")


def inquiry_totals(serving_db: Path) -> list[tuple]:
    """(channel group, platform, phone inquiries, e-mail inquiries) of every row with an inquiry."""
    with connect_readonly(serving_db) as con:
        return con.execute(
            "select channel_group, platform, sum(phone_inquiries), sum(email_inquiries) "
            "from fct_funnel_daily group by all "
            "having sum(phone_inquiries) + sum(email_inquiries) > 0 order by all").fetchall()


def format_inquiries(rows: list[tuple]) -> str:
    """Phone and e-mail inquiries, the share credited to social (the lead source of the person
    who called or wrote), and those social cannot claim: people who first reached us this way
    (Offline) and calls logged without a contact."""
    calls, emails = sum(int(r[2]) for r in rows), sum(int(r[3]) for r in rows)
    if not calls + emails:
        return "Inquiries: no phone or e-mail inquiry yet."
    social: dict[str, int] = {}
    for group, platform, phone, email in rows:
        if group in SOCIAL_GROUPS:
            social[platform] = social.get(platform, 0) + int(phone) + int(email)
    ranked = ", ".join(f"{p} {n}" for p, n in sorted(social.items(), key=lambda kv: (-kv[1], kv[0])))
    offline = sum(int(r[2]) + int(r[3]) for r in rows if r[0] == "Offline")
    unknown = sum(int(r[2]) + int(r[3]) for r in rows if r[1] == "(unknown)")
    share = sum(social.values()) / (calls + emails)
    return (f"Inquiries: {calls:,} calls and {emails:,} e-mails; {share:.0%} "
            f"from people social brought ({ranked or 'none'}), {offline} from people who first called "
            f"or wrote (offline), {unknown} without a contact.")
