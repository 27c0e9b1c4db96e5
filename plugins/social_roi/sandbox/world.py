"""Deterministic synthetic marketing world (posts, ads, web sessions, CRM) and its ground truth.

Everything is drawn from RNGs seeded by ``WorldConfig.seed`` (one named stream per component,
so changing one part of the generator does not reshuffle the others). Nothing reads the clock.
The world is the state "as of the horizon end": events after it are cut off.

Identity signals, so that identity resolution has something real to resolve: people who filled a
form get a site login and come back on a second browser where they sign in (GA4 user_id); forms
capture the client id (sometimes not: blockers) and the ad click id of the landing URL; Meta
instant forms (lead ads) create CRM contacts with no web visit at all, linkable only by e-mail.
The truth says who is behind each session and whether the data links them (``identifiable``).
"""

from __future__ import annotations

import base64
import heapq
import math
import random
import string
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from social_roi.sandbox import catalog as C

UTC = UTC
DAY = 86400
DAY_MS = DAY * 1000

# Column -> logical type of every ground-truth table (also the Parquet schema).
TRUTH_SCHEMA: dict[str, dict[str, str]] = {
    "posts": {
        "platform": "string",
        "post_id": "string",
        "created_at": "timestamp",
        "created_date": "date",
        "campaign": "string",
        "views": "int64",
        "reach": "int64",
        "reactions": "int64",
        "comments": "int64",
        "shares": "int64",
        "saves": "int64",
        "link_clicks": "int64",
    },
    "ad_daily": {
        "platform": "string",
        "account_id": "string",
        "campaign_id": "string",
        "campaign_name": "string",
        "adset_id": "string",
        "ad_id": "string",
        "date": "date",
        "impressions": "int64",
        "reach": "int64",
        "clicks": "int64",
        "link_clicks": "int64",
        "spend": "float64",
        "platform_leads": "int64",
        "platform_leads_final": "int64",
        # extra: the other platform-reported actions the API serves, so they are checkable too
        "landing_page_views": "int64",
        "post_reactions": "int64",
        "currency": "string",  # the ad account's: spend and conversion value are in it
        "conversion_value": "float64",  # platform-reported conversion value (LinkedIn; NaN: not served)
    },
    "sessions": {
        "user_pseudo_id": "string",
        "ga_session_id": "int64",
        "started_at": "timestamp",
        "date": "date",
        "platform": "string",
        "source": "string",
        "medium": "string",
        "campaign": "string",
        "content": "string",
        "page_views": "int64",
        "is_engaged": "bool",
        "engagement_time_msec": "int64",
        "has_lead": "bool",  # a sales lead's form (demo, contact, e-book)
        "has_partner_inquiry": "bool",  # the partner form (not a sales lead)
        # who is really behind the session (None: never became a contact), and whether the data
        # carries a link to them (a captured client id or click id, or a login on that device)
        "contact_id": "string",
        "identifiable": "bool",
        "user_id": "string",
        "click_id": "string",
    },
    "contacts": {
        "contact_id": "string",
        "email": "string",
        "ga_client_id": "string",
        "app_user_id": "string",
        "click_id": "string",
        "created_at": "timestamp",
        "lead_date": "date",
        "platform": "string",
        "campaign": "string",
        "lifecyclestage": "string",  # "other" for a partner inquiry
        "partner_type": "string",  # None for a sales lead
        "mql_at": "timestamp",
        "sql_at": "timestamp",
        "opportunity_at": "timestamp",
        "customer_at": "timestamp",
    },
    "followers": {  # our accounts' followers at the end of each day
        "platform": "string",
        "date": "date",
        "followers": "int64",
        "new_followers": "int64",
        "lost_followers": "int64",
    },
    # Our Facebook Page's and Instagram account's views and reach per day (Meta's account
    # insights): post views as they accrued that day plus views not of a post; reach <= views
    "account_insights": {
        "platform": "string",
        "date": "date",
        "views": "int64",
        "reach": "int64",
    },
    "form_leads": {
        "lead_id": "string",
        "form_id": "string",
        "created_at": "timestamp",
        "date": "date",
        "platform": "string",
        "ad_id": "string",
        "campaign": "string",
        "contact_id": "string",  # None: the CRM had not synced it by the horizon end
    },
    "deals": {
        "deal_id": "string",
        "contact_id": "string",
        "created_at": "timestamp",
        "amount": "float64",
        "currency": "string",
        "dealstage": "string",
        "closed_at": "timestamp",
        "is_won": "bool",
    },
    "customers": {
        "deal_id": "string",
        "contact_id": "string",
        "won_date": "date",
        "amount": "float64",
        "currency": "string",
        "platform": "string",
        "campaign": "string",
    },
    "direct_messages": {  # one row per message in a conversation with our Page / IG account
        "message_id": "string",
        "conversation_id": "string",
        "platform": "string",  # facebook (Messenger) | instagram
        "person_id": "string",  # the person's page-scoped id (PSID / IGSID)
        "sent_at": "timestamp",
        "date": "date",
        "is_from_page": "bool",  # sent by us (a reply, or a private reply starting the thread)
        "is_conversation_start": "bool",  # the conversation's first message
    },
    "advocacy_shares": {  # one row per ambassador re-share of one of our posts
        "share_id": "string",
        "ambassador_id": "string",
        "ambassador_kind": "string",
        "platform": "string",
        "post_id": "string",
        "campaign": "string",
        "shared_at": "timestamp",
        "date": "date",
        "clicks": "int64",  # tracked-link clicks before the horizon end: each one is a web session
    },
    "mentions": {  # social listening: one row per (query, document) match, as the API serves it
        "mention_id": "string",
        "resource_id": "string",  # the document: shared by the mentions of a multi-brand post
        "query_id": "int64",
        "query_name": "string",
        "brand": "string",
        "is_our_brand": "bool",
        "published_at": "timestamp",
        "date": "date",
        "added_at": "timestamp",
        "page_type": "string",
        "sentiment": "string",
    },
    "engagements": {  # HubSpot calls and e-mails logged on the CRM, inbound and outbound
        "engagement_id": "string",
        "object_type": "string",  # calls | emails
        "direction": "string",  # INBOUND / OUTBOUND; INCOMING_EMAIL / EMAIL / FORWARDED_EMAIL
        "status": "string",
        "is_inquiry": "bool",  # an inbound call or an incoming e-mail
        "occurred_at": "timestamp",  # hs_timestamp
        "date": "date",
        "modified_at": "timestamp",
        "contact_id": "string",  # None: logged without a contact (no association)
        "created_contact": "bool",  # the CRM created the contact from this inquiry
        "platform": "string",  # the contact's lead platform ("offline" if created from it)
        "campaign": "string",
    },
    # Visits of people who denied analytics storage (consent mode, advanced): GA4 receives their
    # hits as cookieless pings (no client id, no session id), so the export cannot sessionise them,
    # while GA4's reports (the Data API) count them as modelled sessions.
    "consent_denied_sessions": {
        "started_at": "timestamp",
        "date": "date",
        "platform": "string",  # google (organic search) or direct
        "source": "string",
        "medium": "string",
        "page_views": "int64",
        "is_engaged": "bool",
        "engagement_time_msec": "int64",
        "events": "int64",  # hits in the export, all without user_pseudo_id
    },
}
TRUTH_TABLES = tuple(TRUTH_SCHEMA)


@dataclass(frozen=True)
class WorldConfig:
    seed: int = 42
    start_date: date = date(2026, 10, 1)
    days: int = 30
    scale: float = 1.0

    def __post_init__(self) -> None:
        if isinstance(self.start_date, str):  # convenience for CLI / env values
            object.__setattr__(self, "start_date", date.fromisoformat(self.start_date))
        if self.days < 1:
            raise ValueError("days must be >= 1")
        if not self.scale > 0:
            raise ValueError("scale must be > 0")

    @property
    def start(self) -> datetime:
        return datetime.combine(self.start_date, time(), UTC)

    @property
    def end(self) -> datetime:
        """Exclusive horizon end (UTC midnight after the last day)."""
        return self.start + timedelta(days=self.days)

    @property
    def start_ts(self) -> int:
        return int(self.start.timestamp())

    @property
    def end_ts(self) -> int:
        return int(self.end.timestamp())

    @property
    def dates(self) -> list[date]:
        return [self.start_date + timedelta(days=i) for i in range(self.days)]


# --------------------------------------------------------------------------------------------
# Records. Times: posts in unix seconds (Graph precision), GA in microseconds, CRM in millis.


@dataclass(slots=True)
class Post:
    platform: str
    post_id: str  # id as the platform API serves it; also the utm_content of its link
    created_ts: int
    campaign: str
    landing_url: str
    text: str
    permalink: str
    kind: str  # facebook status_type / instagram media_type
    product_type: str
    views: int = 0
    reach: int = 0
    reactions: int = 0
    reactions_by_type: dict = field(default_factory=dict)
    comments: int = 0
    shares: int = 0
    saves: int = 0
    link_clicks: int = 0
    shortcode: str = ""


@dataclass(slots=True)
class Ad:
    ad_id: str
    name: str
    adset_id: str
    adset_name: str
    campaign_id: str
    campaign_name: str
    platform: str
    objective: str
    landing_path: str
    daily_budget: float = 0.0  # USD at scale 1: the campaign budget times this ad's share
    active_days: tuple = (0, None)  # [first, last) day offsets of delivery; None = to the end
    quality: float = 1.0  # click-through multiplier of the creative
    currency: str = C.CURRENCY  # the ad account's


@dataclass(slots=True)
class AdDay:
    ad: Ad
    day: date
    impressions: int
    reach: int
    clicks: int
    link_clicks: int
    spend: float
    landing_page_views: int
    post_reactions: int
    platform_leads: int = 0
    true_leads: int = 0
    # Meta keeps attributing conversions to a day after it ends (delayed and view-through
    # conversions), so the day's "lead" count grows for a while: per platform lead, the days
    # after `day` until Meta first reports it. Restatement: re-pulls see more. (LinkedIn too.)
    lead_lags: tuple[int, ...] = ()
    value_per_conversion: float | None = None  # what the platform values a conversion at

    def platform_leads_as_of(self, last_day: date) -> int:
        """The 'lead' count Meta reports for this ad-day when asked on the day after last_day."""
        return sum(1 for lag in self.lead_lags if (self.day - last_day).days + lag <= 0)

    def conversion_value_as_of(self, last_day: date) -> float | None:
        if self.value_per_conversion is None:
            return None
        return round(self.platform_leads_as_of(last_day) * self.value_per_conversion, 2)


@dataclass(slots=True)
class FormLead:
    """A Meta instant-form submission (lead ad): never a web session, only a hashed e-mail links it."""

    lead_id: str
    form_id: str
    ad: Ad
    created_ts: int  # unix seconds, as the Graph API serves created_time
    email: str = ""  # as typed into the form; the CRM contact gets it normalised
    contact: Contact | None = None

    @property
    def platform(self) -> str:
        return self.ad.platform


@dataclass(slots=True)
class AdvocacyShare:
    """An ambassador's re-share of one of our posts, with the tracked link the advocacy tool built."""

    share_id: str
    ambassador: C.Ambassador
    post: Post
    shared_ts: float
    clicks: list = field(default_factory=list)  # (ts, platform, medium, campaign, content, url)


@dataclass(slots=True)
class Mention:
    """One social-listening match: a public document that names one tracked brand's query."""

    mention_id: str
    resource_id: str
    brand: C.ListeningBrand
    published_ms: int
    added_ms: int  # when the listening tool indexed it (later than published)
    page_type: str
    domain: str
    sentiment: str
    author: str
    url: str
    title: str | None
    snippet: str
    country: tuple  # (countryCode, country) or (None, None)
    reach_estimate: int
    engagement_score: int


@dataclass(slots=True)
class DirectMessage:
    message_id: str
    created_ts: int  # unix seconds, as the Graph API serves created_time
    from_page: bool


@dataclass(slots=True)
class Conversation:
    """A Messenger / Instagram conversation between one person and our account. The world holds
    no message text: it would be personal data, and nothing downstream needs it."""

    conversation_id: str
    platform: str  # facebook (Messenger) | instagram
    person_id: str  # page-scoped id: PSID (Messenger) or IGSID (Instagram)
    person_name: str  # Messenger name / Instagram username, as the API shows it (never landed)
    messages: list[DirectMessage] = field(default_factory=list)  # oldest first

    @property
    def updated_ts(self) -> int:
        return self.messages[-1].created_ts


@dataclass(slots=True)
class Engagement:
    """A call or an e-mail a rep logged on the CRM (HubSpot engagement), in CRM milliseconds."""

    engagement_id: str
    kind: str  # call | email
    direction: str  # calls: INBOUND / OUTBOUND; e-mails: INCOMING_EMAIL / EMAIL / FORWARDED_EMAIL
    status: str | None
    ts_ms: int  # hs_timestamp: when the call started / the e-mail was sent
    logged_ms: int  # when the record was created
    modified_ms: int
    contact: Contact | None
    owner: str
    counterpart: str  # the other side's phone number or e-mail address (personal data)
    subject: str
    duration_ms: int | None = None  # calls
    created_contact: bool = False  # the CRM created `contact` from this inquiry

    @property
    def object_type(self) -> str:
        return f"{self.kind}s"

    @property
    def is_inquiry(self) -> bool:
        return self.direction in ("INBOUND", "INCOMING_EMAIL")

    @property
    def lastmodified_ms(self) -> int:
        return self.modified_ms


@dataclass(slots=True)
class Visitor:
    user_pseudo_id: str
    first_ts_us: int
    device: tuple
    geo: tuple
    first_source: tuple  # (source, medium, campaign) of the first session
    n_sessions: int = 0
    busy_until: float = 0.0
    converted: bool = False  # set at the form fill, so later sessions never convert again
    contact: Contact | None = None
    app_user_id: str | None = None  # the site login, issued at the form fill
    owner: Visitor | None = None  # for a person's second device: their first device
    second_device: Visitor | None = None
    logged_in: bool = False  # some session on this device carried the user_id

    @property
    def person(self) -> Visitor:
        return self.owner or self


@dataclass(slots=True)
class Session:
    visitor: Visitor
    number: int
    start_us: int
    platform: str
    source: str
    medium: str
    campaign: str | None
    content: str | None
    landing_url: str
    referrer: str | None
    page_views: int = 1
    is_engaged: bool = False
    engagement_ms: int = 0
    form_name: str | None = None
    lead_us: int | None = None
    click_id: str | None = None  # the ad platform's click id in the landing URL (fbclid, li_fat_id)
    user_id: str | None = None  # set when the person logged in during the session
    events: list = field(default_factory=list)  # (ts_us, seq, name, [(key, str|int), ...])
    consent_denied: bool = False  # analytics storage denied: cookieless pings, no client id

    @property
    def ga_session_id(self) -> int:
        return self.start_us // 1_000_000

    @property
    def tagged(self) -> bool:
        return self.medium in ("social", "paid_social", C.ADVOCACY_MEDIUM)


@dataclass(slots=True)
class Deal:
    deal_id: str
    contact: Contact
    created_ms: int
    amount: float
    dealname: str
    owner: str
    history: list  # [(stage, ms)] within the horizon, chronological
    closed_ms: int | None
    is_won: bool

    @property
    def dealstage(self) -> str:
        return self.history[-1][0]

    @property
    def lastmodified_ms(self) -> int:
        return self.history[-1][1]


@dataclass(slots=True)
class Contact:
    contact_id: str
    session: Session | None  # the web session with the form; None for an instant-form lead
    created_ms: int
    email: str
    firstname: str
    lastname: str
    company: str
    jobtitle: str
    owner: str
    hs_source: str
    hs_source_data_1: str | None
    ga_client_id: str | None = None  # what the form's hidden field captured
    click_id: str | None = None  # the lead session's click id, captured from its landing URL
    mql_ms: int | None = None
    sql_ms: int | None = None
    opp_ms: int | None = None
    customer_ms: int | None = None
    deal: Deal | None = None
    form_lead: FormLead | None = None
    partner_type: str | None = None  # HubSpot custom property, set by the partner inquiry form
    inquiry: Engagement | None = None  # the call or e-mail the CRM created this contact from

    @property
    def platform(self) -> str:
        if self.inquiry is not None:
            return "offline"  # HubSpot's analytics source OFFLINE: no web visit known
        return self.session.platform if self.session else self.form_lead.platform

    @property
    def form_name(self) -> str | None:
        if self.inquiry is not None:
            return None  # no form conversion
        return self.session.form_name if self.session else C.LEAD_FORM_NAME

    @property
    def campaign(self) -> str | None:
        if self.inquiry is not None:
            return None
        return self.session.campaign if self.session else self.form_lead.ad.campaign_name

    @property
    def app_user_id(self) -> str | None:
        return self.session.visitor.app_user_id if self.session else None

    @property
    def lifecyclestage(self) -> str:
        if self.partner_type is not None:
            return "other"  # a would-be partner is not a sales lead: kept out of the funnel
        if self.customer_ms is not None:
            return "customer"
        if self.opp_ms is not None:
            return "opportunity"
        if self.sql_ms is not None:
            return "salesqualifiedlead"
        if self.mql_ms is not None:
            return "marketingqualifiedlead"
        return "lead"

    @property
    def lastmodified_ms(self) -> int:
        return max(
            t
            for t in (self.created_ms, self.mql_ms, self.sql_ms, self.opp_ms, self.customer_ms)
            if t is not None
        )


# --------------------------------------------------------------------------------------------
# Small RNG helpers (stdlib random has no poisson/binomial).


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam < 40:
        threshold, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= rng.random()
            if p <= threshold:
                return k
            k += 1
    return max(0, round(rng.gauss(lam, math.sqrt(lam))))


def _binomial(rng: random.Random, n: int, p: float) -> int:
    if n <= 0 or p <= 0:
        return 0
    if n < 60:
        return sum(rng.random() < p for _ in range(n))
    return min(n, max(0, round(rng.gauss(n * p, math.sqrt(n * p * (1 - p))))))


def _token(rng: random.Random, n: int, alphabet: str = string.ascii_letters + string.digits + "_-") -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _hour_second(rng: random.Random) -> float:
    hour = rng.choices(range(24), C.HOUR_WEIGHTS)[0]
    return hour * 3600 + rng.random() * 3600


def utm_url(path: str, source: str, medium: str, campaign: str, content: str, **extra: str) -> str:
    query = {
        "utm_source": source,
        "utm_medium": medium,
        "utm_campaign": campaign,
        "utm_content": content,
        **extra,
    }
    return f"{C.SITE}{path}?{urlencode(query)}"


# --------------------------------------------------------------------------------------------
# The world


@dataclass
class World:
    config: WorldConfig
    posts: list[Post]
    ads: list[Ad]
    ad_days: list[AdDay]
    visitors: list[Visitor]
    sessions: list[Session]
    contacts: list[Contact]
    deals: list[Deal]
    form_leads: list[FormLead]
    mentions: list[Mention] = field(default_factory=list)
    # (platform, day) -> (followers at the end of the day, new, lost)
    followers: dict[tuple[str, date], tuple[int, int, int]] = field(default_factory=dict)
    shares: list[AdvocacyShare] = field(default_factory=list)
    conversations: list[Conversation] = field(default_factory=list)
    engagements: list[Engagement] = field(default_factory=list)  # calls and e-mails, by id
    # LinkedIn Page: day -> (organic gain net of unfollows, paid gain), as LinkedIn reports them
    linkedin_follower_gains: dict[date, tuple[int, int]] = field(default_factory=dict)
    # (facebook | instagram, day) -> (views, reach) of the account that day
    account_insights: dict[tuple[str, date], tuple[int, int]] = field(default_factory=dict)
    # visits whose hits reach GA4 as cookieless pings (consent mode): not in ``sessions``, which
    # holds what the export can sessionise
    consent_denied_sessions: list[Session] = field(default_factory=list)

    @property
    def horizon_end_ms(self) -> int:
        return self.config.end_ts * 1000

    @cached_property
    def events_by_day(self) -> dict[date, list[tuple]]:
        """GA events per UTC day, ordered by timestamp: (ts_us, session, seq, name, params); the
        cookieless pings of consent-denied visits included."""
        days: dict[date, list[tuple]] = {d: [] for d in self.config.dates}
        for s in self.sessions + self.consent_denied_sessions:
            for ts, seq, name, params in s.events:
                day = datetime.fromtimestamp(ts // 1_000_000, UTC).date()
                days[day].append((ts, s, seq, name, params))
        for events in days.values():
            events.sort(key=lambda e: (e[0], e[1].visitor.user_pseudo_id, e[2]))
        return days

    @cached_property
    def truth(self) -> dict[str, pd.DataFrame]:
        return _truth_tables(self)


def generate_world(cfg: WorldConfig | None = None) -> World:
    cfg = cfg or WorldConfig()

    def rng(name: str) -> random.Random:
        # str seeds are hashed with SHA-512 by random.Random: stable across processes/platforms.
        return random.Random(f"social-roi-sandbox/{cfg.seed}/{name}")

    posts, post_clicks = _generate_posts(cfg, rng("posts"))
    ads, ad_days, ad_clicks = _generate_ads(cfg, rng("ads"))
    form_leads = _generate_form_leads(cfg, rng("form-leads"), ad_days)
    visitors, sessions = _simulate_web(cfg, rng("web"), rng("identity"), post_clicks, ad_clicks)
    _attribute_platform_leads(ad_days, sessions, form_leads, rng("ads-leads"))
    _delay_platform_leads(ad_days, rng("ads-lead-lags"))
    # Partnerships and advocacy draw from their own streams, so the rest of the world stays the same
    # (only contact ids, which follow creation time, shift).
    partners_rng, advocacy_rng = rng("partners"), rng("advocacy")
    shares = _generate_advocacy_shares(cfg, advocacy_rng, posts)
    sessions = _simulate_advocacy_web(advocacy_rng, shares, visitors, sessions)
    # LinkedIn Ads too: their clicks are one-off visits of new visitors, their leads CRM contacts
    # drawn from their own streams (the Meta world, mentions and Meta followers stay as they were).
    li_rng = rng("linkedin-ads")
    li_ads, li_ad_days, li_clicks = _generate_linkedin_ads(cfg, li_rng)
    sessions = _simulate_one_off_visits(rng("linkedin-ads-web"), li_clicks, visitors, sessions)
    _attribute_linkedin_conversions(li_ad_days, sessions, li_rng)
    _fill_partner_forms(partners_rng, sessions)
    # Phone and e-mail inquiries too: people new to the CRM become contacts (contact ids shift).
    inquiries_rng = rng("inquiries")
    first_inquiries = _new_inquirers(cfg, inquiries_rng)
    streams = {"partners": partners_rng, "advocacy": advocacy_rng, "inquiries": inquiries_rng,
               "linkedin-ads": rng("linkedin-ads-crm")}
    contacts, deals = _simulate_crm(cfg, rng("crm"), rng("crm-identity"), sessions, form_leads, streams,
                                    first_inquiries)
    engagements = _log_engagements(cfg, inquiries_rng, contacts, first_inquiries)
    mentions = _generate_mentions(cfg, rng("listening"), posts, ad_days)
    followers = _simulate_followers(cfg, rng("followers"), posts, ad_days)
    li_followers, li_gains = _simulate_linkedin_followers(cfg, rng("linkedin-followers"), posts, li_ad_days)
    followers.update(li_followers)
    conversations = _generate_conversations(cfg, rng("direct-messages"))
    # reads the posts only, and draws from its own stream: every other table stays as it was
    account_insights = _simulate_account_insights(cfg, rng("account-insights"), posts)
    # consent-denied visitors are nobody the rest of the world knows: their own stream, and no
    # effect on any other record
    consent_denied = _simulate_consent_denied(cfg, rng("consent-denied"))
    return World(cfg, posts, ads + li_ads, ad_days + li_ad_days, visitors, sessions, contacts, deals,
                 form_leads, mentions, followers, shares, conversations, engagements,
                 linkedin_follower_gains=li_gains, account_insights=account_insights,
                 consent_denied_sessions=consent_denied)


# ---- organic posts --------------------------------------------------------------------------


def _post_identity(platform: str, seq: int, rng: random.Random) -> tuple[str, str, str]:
    """(post_id, permalink, shortcode). Ids grow with time like real ones."""
    if platform == "facebook":
        num = 122100000000000000 + seq * 100003 + rng.randrange(100000)
        return f"{C.PAGE_ID}_{num}", f"https://www.facebook.com/{C.PAGE_ID}/posts/{num}", ""
    if platform == "instagram":
        num = 17900000000000000 + seq * 100003 + rng.randrange(100000)
        code = _token(rng, 11)
        return str(num), f"https://www.instagram.com/p/{code}/", code
    if platform == "linkedin":
        urn = f"urn:li:share:{7380000000000000000 + seq * 1000003 + rng.randrange(1000000)}"
        return urn, f"https://www.linkedin.com/feed/update/{urn}/", ""
    num = 1973000000000000000 + seq * 1000003 + rng.randrange(1000000)
    return str(num), f"https://x.com/acmeanalytics/status/{num}", ""


def _generate_posts(cfg: WorldConfig, rng: random.Random):
    posts: list[Post] = []
    clicks: list[tuple] = []  # (ts, platform, medium, campaign, content, url)
    end = cfg.end_ts
    seq = dict.fromkeys(C.SOCIAL_PLATFORMS, 0)
    campaigns = list(C.CONTENT_CAMPAIGNS)
    for d in range(cfg.days):
        day_start = cfg.start_ts + d * DAY
        for platform in C.SOCIAL_PLATFORMS:
            prof = C.POST_PROFILE[platform]
            n = _poisson(rng, prof.posts_per_day * cfg.scale)
            # B2B audience: posts go out during the US/EU working day (12:00-23:00 UTC).
            for t in sorted(day_start + rng.randrange(12 * 3600, 23 * 3600) for _ in range(n)):
                seq[platform] += 1
                post_id, permalink, shortcode = _post_identity(platform, seq[platform], rng)
                campaign = rng.choice(campaigns)
                url = utm_url(C.CONTENT_CAMPAIGNS[campaign], platform, "social", campaign, post_id)
                text = rng.choice(C.POST_TEMPLATES[campaign])
                tags = " ".join(rng.sample(C.HASHTAGS, 2))
                if platform == "instagram":
                    kind, product = rng.choice(C.IG_MEDIA_TYPES)
                    text = f"{text} Link in bio: {url} {tags}"
                elif platform == "facebook":
                    kind, product = rng.choice(C.STATUS_TYPES), ""
                    text = f"{text} {url}"
                else:
                    kind, product = "", ""
                    text = f"{text} {url} {tags}"
                p = Post(
                    platform, post_id, t, campaign, url, text, permalink, kind, product, shortcode=shortcode
                )
                # Engagement accrues after publication: metrics are "as of the horizon end".
                quality = rng.lognormvariate(0.0, 0.45)
                maturity = 1.0 - math.exp(-(end - t) / 3600.0 / prof.decay_hours)
                p.views = _poisson(rng, prof.views * quality * maturity)
                p.reach = min(p.views, round(p.views * prof.reach_share * rng.uniform(0.9, 1.05)))
                p.reactions = _poisson(rng, prof.reactions * quality * maturity)
                p.comments = _poisson(rng, prof.comments * quality * maturity)
                p.shares = _poisson(rng, prof.shares * quality * maturity)
                p.saves = _poisson(rng, prof.saves * quality * maturity)
                if platform == "facebook":
                    counts = dict.fromkeys(C.FB_REACTION_MIX, 0)
                    for kind_ in rng.choices(
                        list(C.FB_REACTION_MIX), list(C.FB_REACTION_MIX.values()), k=p.reactions
                    ):
                        counts[kind_] += 1
                    p.reactions_by_type = counts
                # Each link click is a future web session; clicks after the horizon never happen.
                for _ in range(_poisson(rng, prof.link_clicks * quality)):
                    ct = t + 1 + rng.expovariate(1.0 / (prof.decay_hours * 3600))
                    if ct < end:
                        p.link_clicks += 1
                        clicks.append((ct, platform, "social", campaign, post_id, url))
                posts.append(p)
    return posts, clicks


# ---- Meta ads --------------------------------------------------------------------------------


def _generate_ads(cfg: WorldConfig, rng: random.Random):
    ads: list[Ad] = []
    for ci, (name, platform, objective, budget, path, active, adsets) in enumerate(C.AD_CAMPAIGNS, 1):
        campaign_id = str(120210000000000000 + ci * 1000)
        weighted: list[tuple[Ad, float]] = []
        for ai, (adset_name, ad_names) in enumerate(adsets, 1):
            adset_id = str(120210000000100000 + ci * 1000 + ai)
            for xi, ad_name in enumerate(ad_names, 1):
                ad_id = str(120210000000200000 + ci * 1000 + ai * 10 + xi)
                weight = rng.uniform(0.6, 1.4)
                ad = Ad(
                    ad_id,
                    ad_name,
                    adset_id,
                    adset_name,
                    campaign_id,
                    name,
                    platform,
                    objective,
                    path,
                    active_days=active,
                    quality=rng.uniform(0.75, 1.3),
                )
                weighted.append((ad, weight))
        total = sum(w for _, w in weighted)
        for ad, w in weighted:
            ad.daily_budget = budget * w / total
            ads.append(ad)

    ad_days: list[AdDay] = []
    clicks: list[tuple] = []
    for d, day in enumerate(cfg.dates):
        weekday_factor = 0.8 if day.weekday() >= 5 else 1.0
        for ad in ads:
            first, last = ad.active_days
            if d < first or (last is not None and d >= last):
                continue
            prof = C.AD_PROFILE[ad.platform]
            factor = cfg.scale * weekday_factor * rng.uniform(0.85, 1.1)
            spend = round(ad.daily_budget * factor, 2)
            impressions = _poisson(rng, spend / prof.cpm * 1000 * rng.uniform(0.9, 1.1))
            if impressions == 0:
                continue  # the insights API has no row for an ad-day without delivery
            reach = max(1, min(impressions, round(impressions / (prof.frequency * rng.uniform(0.9, 1.1)))))
            n_clicks = _poisson(rng, impressions * prof.ctr * ad.quality)
            link_clicks = _binomial(rng, n_clicks, prof.link_share)
            landing_views = _binomial(rng, link_clicks, 0.82)
            reactions = _poisson(rng, impressions / 1000 * prof.reactions_per_k)
            ad_days.append(
                AdDay(ad, day, impressions, reach, n_clicks, link_clicks, spend, landing_views, reactions)
            )
            day_start = cfg.start_ts + d * DAY
            for _ in range(link_clicks):  # every inline link click opens the site (with an fbclid)
                url = utm_url(
                    ad.landing_path,
                    ad.platform,
                    "paid_social",
                    ad.campaign_name,
                    ad.ad_id,
                    fbclid="IwAR" + _token(rng, 28),
                )
                clicks.append(
                    (
                        day_start + _hour_second(rng),
                        ad.platform,
                        "paid_social",
                        ad.campaign_name,
                        ad.ad_id,
                        url,
                    )
                )
    return ads, ad_days, clicks


def _generate_form_leads(cfg: WorldConfig, rng: random.Random, ad_days: list[AdDay]) -> list[FormLead]:
    """Instant-form submissions of lead-generation ads, from the clicks that did not open the site."""
    campaigns = [c[0] for c in C.AD_CAMPAIGNS]
    leads: list[FormLead] = []
    for row in ad_days:
        if row.ad.objective != "OUTCOME_LEADS":
            continue
        form_id = str(C.LEAD_FORM_ID_BASE + campaigns.index(row.ad.campaign_name) + 1)
        day_start = cfg.start_ts + (row.day - cfg.start_date).days * DAY
        for _ in range(_binomial(rng, row.clicks - row.link_clicks, C.LEAD_FORM_RATE)):
            leads.append(FormLead("", form_id, row.ad, int(day_start + _hour_second(rng))))
    leads.sort(key=lambda f: (f.created_ts, f.ad.ad_id))
    for i, lead in enumerate(leads, 1):  # lead ids grow with time like real ones
        lead.lead_id = str(990000000000000 + i * 11)
        email = f"{rng.choice(C.FIRST_NAMES).lower()}.{rng.choice(C.LAST_NAMES).lower()}.f{i}@example.org"
        # people type addresses as they like: the same person in any case, with stray spaces
        lead.email = f" {email.upper()} " if i % 3 == 0 else email
    return leads


def _attribute_platform_leads(
    ad_days: list[AdDay], sessions: list[Session], form_leads: list[FormLead], rng: random.Random
) -> None:
    """Meta's 'lead' action: true click-through and instant-form leads plus some view-through
    over-reporting."""
    true: dict[tuple, int] = {}
    for s in sessions:
        if s.medium == "paid_social" and s.form_name:
            key = (s.content, datetime.fromtimestamp(s.start_us // 1_000_000, UTC).date())
            true[key] = true.get(key, 0) + 1
    for f in form_leads:
        key = (f.ad.ad_id, datetime.fromtimestamp(f.created_ts, UTC).date())
        true[key] = true.get(key, 0) + 1
    for row in ad_days:
        row.true_leads = true.get((row.ad.ad_id, row.day), 0)
        row.platform_leads = row.true_leads + _poisson(rng, 0.3 * row.true_leads + 0.002 * row.link_clicks)


# ---- LinkedIn Ads ----------------------------------------------------------------------------


def _generate_linkedin_ads(cfg: WorldConfig, rng: random.Random):
    """Sponsored content of our LinkedIn ad account: creative x day delivery (impressions, clicks,
    landing-page clicks, reactions, spend in the account currency) and one click per landing-page
    click, tagged with LinkedIn's dynamic UTMs and its click id (li_fat_id)."""
    ads: list[Ad] = []
    for ci, (name, objective, budget, path, active, creatives) in enumerate(C.LINKEDIN_AD_CAMPAIGNS, 1):
        campaign_id = str(711000000 + ci * 1000)
        weights = [rng.uniform(0.6, 1.4) for _ in creatives]
        for xi, (creative, weight) in enumerate(zip(creatives, weights, strict=True), 1):
            ad = Ad(str(1420000000 + ci * 100 + xi), creative, C.LINKEDIN_CAMPAIGN_GROUP_ID,
                    "Q4 demand generation", campaign_id, name, "linkedin", objective, path,
                    daily_budget=budget * weight / sum(weights), active_days=active,
                    quality=rng.uniform(0.75, 1.3), currency=C.LINKEDIN_AD_CURRENCY)
            ads.append(ad)
    ad_days: list[AdDay] = []
    clicks: list[tuple] = []
    prof = C.AD_PROFILE["linkedin"]
    for d, day in enumerate(cfg.dates):
        weekday_factor = 0.6 if day.weekday() >= 5 else 1.0  # B2B audiences rest at weekends
        for ad in ads:
            first, last = ad.active_days
            if d < first or (last is not None and d >= last):
                continue
            spend = round(ad.daily_budget * cfg.scale * weekday_factor * rng.uniform(0.85, 1.1), 2)
            impressions = _poisson(rng, spend / prof.cpm * 1000 * rng.uniform(0.9, 1.1))
            if impressions == 0:
                continue  # adAnalytics has no element for a creative-day without delivery
            reach = max(1, min(impressions, round(impressions / (prof.frequency * rng.uniform(0.9, 1.1)))))
            n_clicks = _poisson(rng, impressions * prof.ctr * ad.quality)
            landing_clicks = _binomial(rng, n_clicks, prof.link_share)
            reactions = _poisson(rng, impressions / 1000 * prof.reactions_per_k)
            ad_days.append(AdDay(ad, day, impressions, reach, n_clicks, landing_clicks, spend, 0, reactions))
            day_start = cfg.start_ts + d * DAY
            for _ in range(landing_clicks):
                url = utm_url(ad.landing_path, "linkedin", "paid_social", ad.campaign_name, ad.ad_id,
                              li_fat_id=_uuid(rng))
                clicks.append((day_start + _hour_second(rng), "linkedin", "paid_social",
                               ad.campaign_name, ad.ad_id, url))
    return ads, ad_days, clicks


def _uuid(rng: random.Random) -> str:
    raw = "".join(rng.choice("0123456789abcdef") for _ in range(32))
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"


def _attribute_linkedin_conversions(ad_days: list[AdDay], sessions: list[Session],
                                    rng: random.Random) -> None:
    """externalWebsiteConversions of the Insight Tag's lead rule: the true click-through leads
    plus post-view conversions LinkedIn also counts, valued at the rule's fixed value, some of
    them reported days after the day they are credited to."""
    true: dict[tuple, int] = {}
    for s in sessions:
        if s.platform == "linkedin" and s.medium == "paid_social" and s.form_name:
            key = (s.content, datetime.fromtimestamp(s.start_us // 1_000_000, UTC).date())
            true[key] = true.get(key, 0) + 1
    for row in ad_days:
        row.true_leads = true.get((row.ad.ad_id, row.day), 0)
        row.platform_leads = row.true_leads + _poisson(rng, 0.4 * row.true_leads + row.impressions / 20_000)
        row.value_per_conversion = C.LINKEDIN_CONVERSION_VALUE
        # LinkedIn credits a conversion to the day of the click or view, reported up to
        # LINKEDIN_MAX_LEAD_LAG days later (well inside its 30-day re-pull)
        row.lead_lags = tuple(0 if rng.random() < C.LEAD_REPORTED_SAME_DAY
                              else rng.randint(1, C.LINKEDIN_MAX_LEAD_LAG)
                              for _ in range(row.platform_leads))


def _delay_platform_leads(ad_days: list[AdDay], rng: random.Random) -> None:
    """Most leads are reported on their day; the rest within a week (never past Meta's 28-day
    restatement window, so a 28-day re-pull always ends with the final count)."""
    for row in ad_days:
        row.lead_lags = tuple(0 if rng.random() < C.LEAD_REPORTED_SAME_DAY else rng.randint(1, 7)
                              for _ in range(row.platform_leads))


# ---- followers ----------------------------------------------------------------------------


def _simulate_followers(
    cfg: WorldConfig, rng: random.Random, posts: list[Post], ad_days: list[AdDay]
) -> dict[tuple[str, date], tuple[int, int, int]]:
    """Followers of our Facebook Page, Instagram profile and X account per day: people reached by
    our posts (on their publication day) and ads follow at a platform's rate; a few unfollow every
    day."""
    post_reach: dict[tuple[str, date], int] = {}
    for p in posts:
        key = (p.platform, datetime.fromtimestamp(p.created_ts, UTC).date())
        post_reach[key] = post_reach.get(key, 0) + p.reach
    ad_reach: dict[tuple[str, date], int] = {}
    for row in ad_days:
        key = (row.ad.platform, row.day)
        ad_reach[key] = ad_reach.get(key, 0) + row.reach
    out: dict[tuple[str, date], tuple[int, int, int]] = {}
    for platform, start in C.FOLLOWERS_AT_START.items():
        followers = round(start * cfg.scale)
        for day in cfg.dates:
            lam = (post_reach.get((platform, day), 0) * C.NEW_FOLLOWERS_PER_1K_POST_REACH[platform]
                   + ad_reach.get((platform, day), 0) * C.NEW_FOLLOWERS_PER_1K_AD_REACH[platform]) / 1000
            new, lost = _poisson(rng, lam), _poisson(rng, followers * C.DAILY_UNFOLLOW_RATE)
            followers += new - lost
            out[(platform, day)] = (followers, new, lost)
    return out


def _simulate_linkedin_followers(
    cfg: WorldConfig, rng: random.Random, posts: list[Post], ad_days: list[AdDay]
) -> tuple[dict[tuple[str, date], tuple[int, int, int]], dict[date, tuple[int, int]]]:
    """Our LinkedIn Page: organic follows from the people our posts reached on their publication
    day, paid follows from sponsored content, a few unfollows a day (netted into the organic
    gain, as the day's gains are reported)."""
    post_reach: dict[date, int] = {}
    for p in posts:
        if p.platform == "linkedin":
            day = datetime.fromtimestamp(p.created_ts, UTC).date()
            post_reach[day] = post_reach.get(day, 0) + p.reach
    ad_reach: dict[date, int] = {}
    for row in ad_days:
        ad_reach[row.day] = ad_reach.get(row.day, 0) + row.reach
    totals: dict[tuple[str, date], tuple[int, int, int]] = {}
    gains: dict[date, tuple[int, int]] = {}
    followers = round(C.LINKEDIN_FOLLOWERS_AT_START * cfg.scale)
    for day in cfg.dates:
        organic = _poisson(rng, post_reach.get(day, 0) * C.LINKEDIN_NEW_FOLLOWERS_PER_1K_POST_REACH / 1000)
        paid = _poisson(rng, ad_reach.get(day, 0) * C.LINKEDIN_NEW_FOLLOWERS_PER_1K_AD_REACH / 1000)
        lost = _poisson(rng, followers * C.DAILY_UNFOLLOW_RATE)
        followers += organic + paid - lost
        totals[("linkedin", day)] = (followers, organic + paid, lost)
        gains[day] = (organic - lost, paid)
    return totals, gains


# ---- account insights (Facebook Page, Instagram account) --------------------------------------


def _simulate_account_insights(
    cfg: WorldConfig, rng: random.Random, posts: list[Post]
) -> dict[tuple[str, date], tuple[int, int]]:
    """Views and reach of our Facebook Page and Instagram account per day. A post's views (as of
    the horizon end) accrued over the days after its publication along the platform's
    exponential decay (the curve behind the post's maturity): each day gets the views of that
    stretch of the curve, to the unit, so that a post's days add up to its views. Reach likewise;
    people reached by several posts of a day count once (a fixed distinct share). On top, views
    not of a post (profile, stories, the page itself) from the ``rng`` stream. Reach <= views."""
    post_views: dict[tuple[str, date], int] = {}
    post_reach: dict[tuple[str, date], int] = {}
    for p in posts:
        if p.platform not in C.ACCOUNT_BASELINE_VIEWS:
            continue
        first_day, weights = _accrual_by_day(cfg, p.created_ts, C.POST_PROFILE[p.platform].decay_hours)
        for offset, (views, reach) in enumerate(zip(_apportion(p.views, weights),
                                                    _apportion(p.reach, weights), strict=True)):
            key = (p.platform, first_day + timedelta(days=offset))
            post_views[key] = post_views.get(key, 0) + views
            post_reach[key] = post_reach.get(key, 0) + reach
    out: dict[tuple[str, date], tuple[int, int]] = {}
    for platform, baseline in C.ACCOUNT_BASELINE_VIEWS.items():
        for day in cfg.dates:
            other_views = _poisson(rng, baseline * cfg.scale)
            other_reach = _binomial(rng, other_views, C.ACCOUNT_BASELINE_REACH_SHARE)
            views = post_views.get((platform, day), 0) + other_views
            distinct = round(post_reach.get((platform, day), 0) * C.ACCOUNT_DISTINCT_POST_REACH[platform])
            out[(platform, day)] = (views, min(views, distinct + other_reach))
    return out


def _accrual_by_day(cfg: WorldConfig, created_ts: int, decay_hours: float) -> tuple[date, list[float]]:
    """(the publication day, each day's share of what a post published at ``created_ts`` accrued
    until the horizon end), from the publication day to the last day."""
    tau = decay_hours * 3600.0

    def accrued(ts: int) -> float:
        return 1.0 - math.exp(-max(0, ts - created_ts) / tau)

    first = (created_ts - cfg.start_ts) // DAY
    bounds = [cfg.start_ts + d * DAY for d in range(first, cfg.days + 1)]
    total = accrued(cfg.end_ts)  # > 0: a post exists before the horizon end
    weights = [(accrued(b) - accrued(a)) / total for a, b in pairwise(bounds)]
    return cfg.start_date + timedelta(days=first), weights


def _apportion(total: int, weights: list[float]) -> list[int]:
    """``total`` split by ``weights`` (summing to 1) in whole units that add up to it exactly:
    the floors, then one more unit to the largest remainders (the earlier day on a tie)."""
    exact = [total * w for w in weights]
    parts = [math.floor(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (parts[i] - exact[i], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


# ---- direct messages (Messenger, Instagram) ---------------------------------------------------


def _generate_conversations(cfg: WorldConfig, rng: random.Random) -> list[Conversation]:
    """People start conversations with our Page and Instagram account every day (a few are
    started by the page: a private reply to a comment); each exchange alternates turns of one or
    more messages; some people come back days later to the same conversation (Meta keeps one
    conversation per person and account). Messages after the horizon end do not exist yet."""
    end = cfg.end_ts
    conversations: list[Conversation] = []
    for platform in C.META_PLATFORMS:
        for day_index in range(cfg.days):
            day_start = cfg.start_ts + day_index * DAY
            for _ in range(_poisson(rng, C.DM_CONVERSATIONS_PER_DAY[platform] * cfg.scale)):
                started = day_start + int(_hour_second(rng))
                page_first = rng.random() < C.DM_PAGE_STARTED_SHARE
                conversation = _new_conversation(rng, platform)
                ts = started
                while ts < end:
                    ts = _exchange(rng, conversation, ts, page_first, end)
                    page_first = False
                    if rng.random() >= C.DM_RETURN_PROB:
                        break
                    ts += int(rng.expovariate(1.0 / (C.DM_RETURN_MEAN_DAYS * DAY)))
                if conversation.messages:
                    conversations.append(conversation)
    return conversations


def _new_conversation(rng: random.Random, platform: str) -> Conversation:
    if platform == "facebook":
        person_id = str(rng.randrange(10**15, 10**16))  # PSIDs are 16-digit numbers
        name = f"{rng.choice(C.FIRST_NAMES)} {rng.choice(C.LAST_NAMES)}"
        conversation_id = f"t_{rng.randrange(10**14, 10**15)}"
        return Conversation(conversation_id, platform, person_id, name)
    person_id = str(rng.randrange(10**16, 10**17))  # IGSIDs are 17-digit numbers
    name = f"{rng.choice(C.FIRST_NAMES).lower()}.{_token(rng, 5, string.ascii_lowercase)}"
    thread = f"ig_message_thread:1:IGMessageThread:{C.IG_USER_ID}:{person_id}"
    return Conversation(_graph_b64(thread), platform, person_id, name)


def _graph_b64(raw: str) -> str:
    """Opaque Instagram messaging ids are URL-safe base64 of a typed key."""
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _exchange(rng: random.Random, conversation: Conversation, ts: int, page_first: bool,
              end: int) -> int:
    """One exchange from ``ts``: alternating turns, each of one or more messages. Returns the time
    of its last message (or ``end`` once the horizon is reached)."""
    from_page = page_first
    for turn in range(1 + _poisson(rng, C.DM_EXTRA_TURNS)):
        if turn:
            wait = C.DM_REPLY_MEAN_MINUTES["page" if from_page else "person"] * 60
            ts += 1 + int(rng.expovariate(1.0 / wait))
        for message in range(1 + _poisson(rng, C.DM_EXTRA_MESSAGES_PER_TURN)):
            if message:
                ts += rng.randint(3, 90)
            if ts >= end:
                return end
            seq = len(conversation.messages)
            if conversation.platform == "facebook":
                message_id = f"m_{_token(rng, 42)}"
            else:
                message_id = _graph_b64(f"ig_message_item:1:IGMessage:{conversation.person_id}:{seq}:"
                                        f"{_token(rng, 12)}")
            conversation.messages.append(DirectMessage(message_id, ts, from_page))
        from_page = not from_page
    return ts


# ---- social listening (Brandwatch) ----------------------------------------------------------


def _generate_mentions(
    cfg: WorldConfig, rng: random.Random, posts: list[Post], ad_days: list[AdDay]
) -> list[Mention]:
    """Mentions of our brand and the competitors', per day. Our volume echoes our own activity
    (organic posts, ad impressions); a few of our mentions are comparisons that also name a
    competitor (one document, two mentions). A mention the tool indexes after the horizon end
    does not exist yet."""
    ours, competitors = C.LISTENING_BRANDS[0], C.LISTENING_BRANDS[1:]
    page_types = list(C.PAGE_TYPES)
    page_weights = [w for w, _ in C.PAGE_TYPES.values()]
    country_weights = [w for *_, w in C.MENTION_COUNTRIES]
    posts_per_day: dict[date, int] = {}
    for p in posts:
        day = datetime.fromtimestamp(p.created_ts, UTC).date()
        posts_per_day[day] = posts_per_day.get(day, 0) + 1
    impressions_per_day: dict[date, int] = {}
    for r in ad_days:
        impressions_per_day[r.day] = impressions_per_day.get(r.day, 0) + r.impressions
    end_ms = cfg.end_ts * 1000
    drafts: list[tuple] = []  # (published_ms, query_id, n, resource, brand, sentiment)

    def document(published_ms: int) -> dict:
        page_type = rng.choices(page_types, page_weights)[0]
        domain = rng.choice(C.PAGE_TYPES[page_type][1])
        first, last = rng.choice(C.FIRST_NAMES), rng.choice(C.LAST_NAMES)
        social = page_type in ("twitter", "reddit", "facebook", "instagram", "youtube", "forum")
        author = f"{first.lower()}{last.lower()[:4]}{rng.randrange(10, 99)}" if social else f"{first} {last}"
        doc_id = str(1_975_000_000_000_000_000 + rng.randrange(10**15))
        if page_type == "twitter":
            url = f"https://x.com/{author}/status/{doc_id}"
        else:
            url = f"https://{domain}/{_token(rng, 10, string.ascii_lowercase + string.digits)}"
        reach = max(1, int(rng.lognormvariate(math.log(8000 if not social else 600), 1.0)))
        return {
            "resource_id": doc_id, "published_ms": published_ms,
            "added_ms": published_ms + int(rng.uniform(60, 2400) * 1000),
            "page_type": page_type, "domain": domain, "author": author, "url": url,
            "title": None if social else f"{rng.choice(C.HASHTAGS)[1:]} roundup".capitalize(),
            "country": rng.choices(C.MENTION_COUNTRIES, country_weights)[0][:2],
            "reach_estimate": reach, "engagement_score": _poisson(rng, reach / 400),
        }

    def sentiment(brand: C.ListeningBrand) -> str:
        return rng.choices(("positive", "neutral", "negative"), brand.sentiment)[0]

    for d, day in enumerate(cfg.dates):
        day_ms = (cfg.start_ts + d * DAY) * 1000
        weekday_factor = 0.7 if day.weekday() >= 5 else 1.0
        echo = (posts_per_day.get(day, 0) * C.MENTIONS_PER_POST
                + impressions_per_day.get(day, 0) / 1000 * C.MENTIONS_PER_K_IMPRESSIONS)
        for brand in C.LISTENING_BRANDS:
            lam = brand.mentions_per_day * cfg.scale * weekday_factor
            if brand is ours:
                lam += echo  # our activity already scales with cfg.scale
            for _ in range(_poisson(rng, lam)):
                doc = document(day_ms + int(_hour_second(rng) * 1000))
                drafts.append((doc, brand, sentiment(brand)))
                if brand is ours and rng.random() < C.CO_MENTION_SHARE:
                    rival = rng.choice(competitors)
                    drafts.append((doc, rival, sentiment(rival)))
    drafts = [m for m in drafts if m[0]["added_ms"] < end_ms]
    drafts.sort(key=lambda m: (m[0]["published_ms"], m[0]["resource_id"], m[1].query_id))
    mentions = []
    for i, (doc, brand, feeling) in enumerate(drafts, 1):  # ids grow with time like real ones
        template = rng.choice(C.MENTION_SNIPPETS[feeling])
        mentions.append(Mention(
            str(2_905_000_000_000 + i * 17), doc["resource_id"], brand, doc["published_ms"],
            doc["added_ms"], doc["page_type"], doc["domain"], feeling, doc["author"], doc["url"],
            doc["title"], template.format(b=brand.brand), doc["country"], doc["reach_estimate"],
            doc["engagement_score"],
        ))
    return mentions


# ---- web sessions (GA4) --------------------------------------------------------------------

# The ad platforms' click ids in a landing URL: Meta's fbclid, LinkedIn's li_fat_id.
CLICK_ID_PARAMS = ("fbclid", "li_fat_id")

_REFERRERS = {
    "facebook": "https://l.facebook.com/",
    "instagram": "https://l.instagram.com/",
    "linkedin": "https://www.linkedin.com/",
    "x": "https://t.co/",
    "google": "https://www.google.com/",
    "direct": None,
}


def _simulate_web(
    cfg: WorldConfig, rng: random.Random, id_rng: random.Random, post_clicks: list, ad_clicks: list
):
    end = float(cfg.end_ts)
    heap: list[tuple] = []
    counter = 0

    def push(ts: float, kind: str, payload) -> None:
        nonlocal counter
        counter += 1
        heapq.heappush(heap, (ts, counter, kind, payload))

    for click in post_clicks + ad_clicks:
        push(click[0], "click", click[1:])
    for d in range(cfg.days):
        day_start = cfg.start_ts + d * DAY
        for _ in range(_poisson(rng, C.NEW_ORGANIC_VISITORS_PER_DAY * cfg.scale)):
            push(day_start + _hour_second(rng), "organic", None)

    visitors: list[Visitor] = []
    sessions: list[Session] = []
    used_ids: set[str] = set()

    def new_visitor(ts: float, platform: str, first_source: tuple) -> Visitor:
        v = _new_visitor(rng, used_ids, ts, platform, first_source)
        visitors.append(v)
        return v

    def new_second_device(ts: float, person: Visitor) -> Visitor:
        """The person's other browser (a new client id): a phone for desktop users and back."""
        device = new_visitor(ts, person.first_source[0], person.first_source)
        wanted = "desktop" if person.device[1] == "mobile" else "mobile"
        device.device = next((d for d in C.DEVICES if d[1] == wanted), device.device)
        device.geo, device.owner, device.converted = person.geo, person, True
        person.second_device = device
        return device

    while heap:
        ts, _, kind, payload = heapq.heappop(heap)
        if kind == "click":
            platform, medium, campaign, content, url = payload
            visitor = None
            if visitors and rng.random() < C.KNOWN_VISITOR_CLICK_SHARE:
                cand = visitors[rng.randrange(len(visitors))]
                if cand.busy_until < ts:
                    visitor = cand
            if visitor is None:
                visitor = new_visitor(ts, platform, (platform, medium, campaign))
        elif kind == "organic":
            platform, medium, campaign, content = "google", "organic", None, None
            url = C.SITE + rng.choice(C.ORGANIC_LANDINGS)
            visitor = new_visitor(ts, platform, ("google", "organic", "(organic)"))
        else:  # return visit of a known visitor
            visitor = payload
            if visitor.busy_until >= ts:
                continue  # they came back through a link click in between
            if rng.random() < C.RETURN_DIRECT_SHARE:
                platform, medium, url = "direct", "(none)", C.SITE + rng.choice(C.DIRECT_LANDINGS)
            else:
                platform, medium, url = "google", "organic", C.SITE + rng.choice(C.ORGANIC_LANDINGS)
            campaign = content = None
        person = visitor.person
        device = visitor
        if person.app_user_id is not None and id_rng.random() < C.SECOND_DEVICE_SHARE:
            device = person.second_device or new_second_device(ts, person)
        s = _make_session(rng, device, ts, platform, medium, campaign, content, url)
        if person.app_user_id is not None and s.form_name is None and (
            (device is not person and device.n_sessions == 1) or id_rng.random() < C.LOGIN_SHARE
        ):
            _log_in(s)
        sessions.append(s)
        person.busy_until = max(person.busy_until, device.busy_until)
        seen = person.n_sessions + (person.second_device.n_sessions if person.second_device else 0)
        p_return = C.RETURN_PROB * 0.75 ** (seen - 1)
        if rng.random() < p_return:
            t_back = person.busy_until + 1800 + rng.expovariate(1.0 / (C.RETURN_MEAN_DAYS * DAY))
            if t_back < end:
                push(t_back, "return", person)
    return visitors, sessions


def _new_visitor(
    rng: random.Random, used_ids: set[str], ts: float, platform: str, first_source: tuple
) -> Visitor:
    while True:
        upid = f"{rng.randrange(100000000, 2147483647)}.{int(ts)}"
        if upid not in used_ids:
            used_ids.add(upid)
            break
    dev_w = [w for w, *_ in C.DEVICES]
    weights = dev_w
    if platform in ("instagram", "facebook"):  # Meta traffic is mostly mobile
        weights = [w * (2.5 if dev[1] == "mobile" else 1.0) for w, dev in zip(dev_w, C.DEVICES, strict=True)]
    return Visitor(
        upid,
        int(ts * 1_000_000),
        rng.choices(C.DEVICES, weights)[0],
        rng.choices(C.GEOS, [w for w, *_ in C.GEOS])[0],
        first_source,
    )


# ---- partnerships and advocacy ---------------------------------------------------------------


def _generate_advocacy_shares(
    cfg: WorldConfig, rng: random.Random, posts: list[Post]
) -> list[AdvocacyShare]:
    """Active ambassadors re-share some of our posts on their networks; each click on the tracked
    link (utm_medium=advocacy, utm_content=<ambassador_id>) is a future web session."""
    end = float(cfg.end_ts)
    shares: list[AdvocacyShare] = []
    for post in sorted(posts, key=lambda p: (p.created_ts, p.post_id)):
        for amb in C.AMBASSADORS:
            if not amb.is_active or post.platform not in amb.platforms:
                continue
            if rng.random() >= C.ADVOCACY_SHARE_PROB:
                continue
            shared = post.created_ts + rng.expovariate(1.0 / 7200)
            if shared >= end:
                continue
            share = AdvocacyShare(f"{post.post_id}:{amb.ambassador_id}", amb, post, shared)
            path = post.landing_url.split("?")[0][len(C.SITE) :]
            url = utm_url(path, post.platform, C.ADVOCACY_MEDIUM, post.campaign, amb.ambassador_id)
            for _ in range(_poisson(rng, amb.audience * C.ADVOCACY_CTR)):
                ct = shared + 1 + rng.expovariate(1.0 / (C.ADVOCACY_CLICK_MEAN_HOURS * 3600))
                if ct < end:
                    click = (ct, post.platform, C.ADVOCACY_MEDIUM, post.campaign, amb.ambassador_id, url)
                    share.clicks.append(click)
            shares.append(share)
    return shares


def _simulate_advocacy_web(
    rng: random.Random, shares: list[AdvocacyShare], visitors: list[Visitor], sessions: list[Session]
) -> list[Session]:
    """One session per click, by a new visitor from the ambassador's network (they are one-off
    visits: advocacy visitors do not come back in this world). Returns all sessions by start time."""
    return _simulate_one_off_visits(rng, [c for sh in shares for c in sh.clicks], visitors, sessions)


def _simulate_one_off_visits(
    rng: random.Random, clicks: list[tuple], visitors: list[Visitor], sessions: list[Session]
) -> list[Session]:
    """One session per click (ts, platform, medium, campaign, content, url), each by a new visitor
    who does not come back. Returns all sessions by start time."""
    used_ids = {v.user_pseudo_id for v in visitors}
    added: list[Session] = []
    for ts, platform, medium, campaign, content, url in sorted(clicks):
        visitor = _new_visitor(rng, used_ids, ts, platform, (platform, medium, campaign))
        visitors.append(visitor)
        added.append(_make_session(rng, visitor, ts, platform, medium, campaign, content, url))
    return sorted(sessions + added, key=lambda s: s.start_us)


def _fill_partner_forms(rng: random.Random, sessions: list[Session]) -> None:
    """Some engaged, multi-page sessions of visitors who never became leads end with the partner
    inquiry form: a generate_lead event (form_name partner_inquiry) before the session's last hit."""
    inquired: set[str] = set()
    for s in sessions:
        person = s.visitor.person
        rate = C.PARTNER_INQUIRY_RATE.get((s.platform, s.medium), 0.0)
        if (
            rate == 0.0
            or s.form_name is not None
            or not s.is_engaged
            or s.page_views < 2
            or person.converted
            or person.second_device is not None
            or person.user_pseudo_id in inquired
            or rng.random() >= rate
        ):
            continue
        inquired.add(person.user_pseudo_id)
        person.converted = True
        s.form_name = C.PARTNER_FORM_NAME
        *hits, (end_ts, _, end_name, end_params) = s.events  # the closing user_engagement hit
        last_hit_ts = hits[-1][0]
        s.lead_us = last_hit_ts + (end_ts - last_hit_ts) // 2
        base = [p for p in end_params if p[0] in ("ga_session_id", "ga_session_number")]
        lead = (
            s.lead_us,
            len(hits),
            "generate_lead",
            [*base, ("form_name", s.form_name), ("page_location", C.SITE + C.PARTNER_FORM_PAGE),
             ("session_engaged", "1"), ("engaged_session_event", 1)],
        )
        s.events = [*hits, lead, (end_ts, len(hits) + 1, end_name, end_params)]


def _make_session(
    rng: random.Random,
    visitor: Visitor,
    ts: float,
    platform: str,
    medium: str,
    campaign: str | None,
    content: str | None,
    url: str,
) -> Session:
    visitor.n_sessions += 1
    number = visitor.n_sessions
    source = {"direct": "(direct)"}.get(platform, platform)
    s = Session(
        visitor,
        number,
        int(ts * 1_000_000),
        platform,
        source,
        medium,
        campaign,
        content,
        url,
        _REFERRERS[platform],
    )
    query = parse_qs(urlsplit(url).query)
    s.click_id = next((query[p][0] for p in CLICK_ID_PARAMS if p in query), None)

    # A visitor converts at most once: known contacts never fill a form again.
    lead_rate = C.LEAD_RATE[(platform, medium)] * (C.RETURNING_LEAD_BOOST if number > 1 else 1.0)
    is_lead = not visitor.converted and rng.random() < lead_rate
    if is_lead:
        path = url.split("?")[0][len(C.SITE) :]
        if path == C.FORM_PAGES["ebook_download"] and rng.random() < 0.8:
            form = "ebook_download"
        else:
            form = rng.choices(["demo_request", "contact_us", "ebook_download"], [0.6, 0.25, 0.15])[0]
        s.form_name = form
        pages = rng.randint(2, 5)
    else:
        bounce = {"instagram": 0.6, "x": 0.55}.get(platform, 0.45)
        pages = 1 if rng.random() < bounce else rng.randint(2, 5)
    s.page_views = pages

    # Page sequence: landing page, browsing, and the form page last for a lead.
    paths: list[str] = [url]
    for i in range(1, pages):
        if s.form_name and i == pages - 1:
            paths.append(C.SITE + C.FORM_PAGES[s.form_name])
        else:
            paths.append(C.SITE + rng.choice(C.BROWSE_PAGES))
    offsets = [0]
    for _ in range(1, pages):
        offsets.append(offsets[-1] + int(rng.uniform(8, 120) * 1_000_000))
    lead_offset = offsets[-1] + int(rng.uniform(15, 90) * 1_000_000) if s.form_name else None
    last = lead_offset if lead_offset is not None else offsets[-1]
    if pages == 1 and not s.form_name:
        engaged = rng.random() < 0.4
        dwell = rng.uniform(12, 180) if engaged else rng.uniform(1, 9.5)
    else:
        engaged, dwell = True, rng.uniform(3, 40)
    end_offset = last + int(dwell * 1_000_000)
    # Sessions never cross a UTC midnight (hence never the horizon end either): a late session's
    # timeline is squeezed, so a session's events and its lead all share the session's date.
    day_us = DAY * 1_000_000
    room = (s.start_us // day_us + 1) * day_us - 1 - s.start_us
    if end_offset > room:
        f = room / end_offset
        offsets = [int(o * f) for o in offsets]
        lead_offset = int(lead_offset * f) if lead_offset is not None else None
        end_offset = room
    s.is_engaged = engaged
    s.engagement_ms = max(1, int(end_offset / 1000 * rng.uniform(0.55, 0.95)))
    visitor.busy_until = (s.start_us + end_offset) / 1_000_000

    t0 = s.start_us
    sid = s.ga_session_id
    on = "1" if engaged else "0"
    traffic = []
    if s.medium != "(none)":
        traffic = [("source", s.source), ("medium", s.medium)]
        traffic.append(("campaign", campaign if campaign else "(organic)"))
        if content:
            traffic.append(("content", content))
    ref = [("page_referrer", s.referrer)] if s.referrer else []
    first_path = url.split("?")[0][len(C.SITE) :] or "/"
    landing = [("page_location", url), ("page_title", C.PAGE_TITLES.get(first_path, C.COMPANY)), *ref]
    base = [("ga_session_id", sid), ("ga_session_number", number)]
    events = s.events  # (ts_us, seq, name, params); seq is the event's index in the session

    def emit(ts: int, name: str, *params: tuple) -> None:
        events.append((ts, len(events), name, [*base, *params]))

    if number == 1:
        emit(t0, "first_visit", *landing, ("session_engaged", "0"))
    emit(t0, "session_start", *landing, *traffic, ("session_engaged", "0"))
    emit(t0, "page_view", ("entrances", 1), *landing, *traffic, ("session_engaged", "0"))
    for i in range(1, pages):
        path = paths[i][len(C.SITE) :]
        emit(
            t0 + offsets[i],
            "page_view",
            ("page_location", paths[i]),
            ("page_title", C.PAGE_TITLES.get(path, C.COMPANY)),
            ("page_referrer", paths[i - 1]),
            ("session_engaged", on),
        )
    if s.form_name:
        s.lead_us = t0 + lead_offset
        emit(
            s.lead_us,
            "generate_lead",
            ("form_name", s.form_name),
            ("page_location", paths[-1]),
            ("session_engaged", "1"),
            ("engaged_session_event", 1),
        )
        visitor.converted = True
        visitor.app_user_id = "u-" + _token(rng, 12, string.ascii_lowercase + string.digits)
    emit(
        t0 + end_offset,
        "user_engagement",
        ("engagement_time_msec", s.engagement_ms),
        ("page_location", paths[-1]),
        ("session_engaged", on),
    )
    return s


def _simulate_consent_denied(cfg: WorldConfig, rng: random.Random) -> list[Session]:
    """Visitors who deny analytics storage (consent mode, advanced). GA4's tag still sends their
    hits, as cookieless pings: no client id, no ga_session_id / ga_session_number, and a new
    first_visit + session_start on every page load. They arrive by search or direct (every post
    and ad click stays one consented session, as the platforms' click counts promise), view one
    page each (so one page load is one visit) and never fill a form."""
    sessions: list[Session] = []
    used_ids: set[str] = set()
    for d in range(cfg.days):
        day_start = cfg.start_ts + d * DAY
        for _ in range(_poisson(rng, C.CONSENT_DENIED_VISITS_PER_DAY * cfg.scale)):
            ts = day_start + _hour_second(rng)
            if rng.random() < C.CONSENT_DENIED_DIRECT_SHARE:
                platform, medium, url = "direct", "(none)", C.SITE + rng.choice(C.DIRECT_LANDINGS)
            else:
                platform, medium, url = "google", "organic", C.SITE + rng.choice(C.ORGANIC_LANDINGS)
            source = "(direct)" if platform == "direct" else platform
            visitor = _new_visitor(rng, used_ids, ts, platform, (source, medium, None))
            visitor.converted = True  # never a form: a cookieless lead is out of this world
            s = Session(visitor, 1, int(ts * 1_000_000), platform, source, medium, None, None, url,
                        _REFERRERS[platform], consent_denied=True)
            engaged = rng.random() < C.CONSENT_DENIED_ENGAGED_SHARE
            dwell_us = int((rng.uniform(12, 180) if engaged else rng.uniform(1, 9.5)) * 1_000_000)
            day_us = DAY * 1_000_000
            dwell_us = min(dwell_us, (s.start_us // day_us + 1) * day_us - 1 - s.start_us)
            s.is_engaged = engaged
            s.engagement_ms = max(1, int(dwell_us / 1000 * rng.uniform(0.55, 0.95)))
            on = "1" if engaged else "0"
            traffic = [] if medium == "(none)" else [
                ("source", source), ("medium", medium), ("campaign", "(organic)")]
            ref = [("page_referrer", s.referrer)] if s.referrer else []
            path = url.split("?")[0][len(C.SITE):] or "/"
            landing = [("page_location", url), ("page_title", C.PAGE_TITLES.get(path, C.COMPANY)), *ref]
            t0 = s.start_us
            s.events = [
                (t0, 0, "first_visit", [*landing, ("session_engaged", "0")]),
                (t0, 1, "session_start", [*landing, *traffic, ("session_engaged", "0")]),
                (t0, 2, "page_view", [("entrances", 1), *landing, *traffic, ("session_engaged", "0")]),
                (t0 + dwell_us, 3, "user_engagement",
                 [("engagement_time_msec", s.engagement_ms), ("page_location", url),
                  ("session_engaged", on)]),
            ]
            sessions.append(s)
    return sorted(sessions, key=lambda s: s.start_us)


def _log_in(s: Session) -> None:
    """The person signs in on the landing page: every later event of the session has the user_id
    (GA4 sets user_id from the moment the site knows it; earlier hits keep it null)."""
    s.user_id = s.visitor.person.app_user_id
    s.visitor.logged_in = True


# ---- CRM (HubSpot) ---------------------------------------------------------------------------


def _simulate_crm(
    cfg: WorldConfig,
    rng: random.Random,
    id_rng: random.Random,
    sessions: list[Session],
    form_leads: list[FormLead],
    streams: dict[str, random.Random],
    first_inquiries: list[Engagement] = (),
):
    """`streams`: the RNGs of partner-form, advocacy, inquiry and LinkedIn Ads contacts
    ("partners", "advocacy", "inquiries", "linkedin-ads"), so that adding them leaves every other
    contact's draws unchanged.
    `first_inquiries`: calls and e-mails of people new to the CRM, who become contacts from them."""
    end_ms = cfg.end_ts * 1000
    # (CRM creation ms, tie-break, web session or instant-form lead)
    # (CRM timestamps carry the CRM clock's offset from the web analytics clock)
    arrivals: list[tuple[int, str, Session | FormLead | Engagement]] = [
        (s.lead_us // 1000 + C.CRM_CLOCK_OFFSET_MS, s.visitor.user_pseudo_id, s)
        for s in sessions
        if s.form_name
    ]
    for f in form_leads:
        synced_ms = (f.created_ts * 1000 + int(id_rng.uniform(*C.LEAD_FORM_SYNC_SECONDS) * 1000)
                     + C.CRM_CLOCK_OFFSET_MS)
        if synced_ms < end_ms:  # a lead synced after the horizon has no contact yet
            arrivals.append((synced_ms, f.lead_id, f))
    for e in first_inquiries:  # the rep creates the contact while logging the call / e-mail
        arrivals.append((e.logged_ms, f"~{e.kind}{e.ts_ms}", e))
    arrivals.sort(key=lambda a: (a[0], a[1]))
    contacts: list[Contact] = []
    deals: list[Deal] = []
    form_boost = {"demo_request": 1.2, "contact_us": 1.0, "ebook_download": 0.7, C.LEAD_FORM_NAME: 0.8}

    def within(ms: int | None) -> int | None:
        return ms if ms is not None and ms < end_ms else None

    main = (rng, id_rng)
    for n, (created_ms, _, origin) in enumerate(arrivals, 1):
        s = origin if isinstance(origin, Session) else None
        inquiry = origin if isinstance(origin, Engagement) else None
        kind = None
        if s is not None and s.form_name == C.PARTNER_FORM_NAME:
            kind = "partners"
        elif s is not None and s.medium == C.ADVOCACY_MEDIUM:
            kind = "advocacy"
        elif s is not None and (s.platform, s.medium) == ("linkedin", "paid_social"):
            kind = "linkedin-ads"
        elif inquiry is not None:
            kind = "inquiries"
        rng, id_rng = (streams[kind], streams[kind]) if kind else main
        first, last = rng.choice(C.FIRST_NAMES), rng.choice(C.LAST_NAMES)
        company = f"{rng.choice(C.COMPANY_PARTS_A)} {rng.choice(C.COMPANY_PARTS_B)}"
        if s is None and inquiry is None:  # the integration copies the name the person gave in the form
            first, last = (part.capitalize() for part in origin.email.strip().lower().split(".")[:2])
        if inquiry is not None:
            platform, medium = "offline", inquiry.kind
        else:
            platform, medium = (s.platform, s.medium) if s else (origin.platform, "paid_social")
        hs_source, data_1 = C.HS_SOURCE[(platform, medium)]
        if platform == "direct":
            data_1 = s.landing_url  # HubSpot records the first page URL for direct traffic
        c = Contact(
            str(51000000000 + n * 7),
            s,
            created_ms,
            (f"{first.lower()}.{last.lower()}.{n}@example.com" if s or inquiry
             else origin.email.strip().lower()),
            first,
            last,
            company,
            rng.choice(C.JOB_TITLES),
            rng.choice(C.HUBSPOT_OWNERS),
            hs_source,
            data_1,
        )
        if inquiry is not None:
            c.inquiry, inquiry.contact = inquiry, c
            if inquiry.kind == "email":  # the person wrote from this address
                inquiry.counterpart = c.email
        elif s is None:
            c.form_lead, origin.contact = origin, c
        else:
            if id_rng.random() >= C.FORM_CLIENT_ID_MISSING:
                c.ga_client_id = s.visitor.user_pseudo_id
            c.click_id = s.click_id
            s.visitor.contact = c
            if s.visitor.second_device is not None:
                s.visitor.second_device.contact = c
        contacts.append(c)
        if kind == "partners":  # an inquiry, not a sales lead: no MQL, no deal
            c.partner_type = rng.choices(list(C.PARTNER_TYPES), list(C.PARTNER_TYPES.values()))[0]
            continue

        funnel = C.FUNNEL[platform]
        boost = form_boost.get(c.form_name, 1.0)
        if rng.random() >= min(0.95, funnel.mql * boost):
            continue
        mql = c.created_ms + int(rng.uniform(0, 5) * DAY_MS)
        if rng.random() >= funnel.sql:
            c.mql_ms = within(mql)
            continue
        sql = mql + int(rng.uniform(0.3, 4) * DAY_MS)
        if rng.random() >= funnel.deal:
            c.mql_ms, c.sql_ms = within(mql), within(sql)
            continue
        opp = sql + int(rng.uniform(0.2, 3) * DAY_MS)
        amount = float(
            max(
                500,
                round(rng.lognormvariate(math.log(funnel.amount_median), funnel.amount_sigma) / 100) * 100,
            )
        )
        r = rng.random()
        if r < funnel.won:
            close, won = opp + int((7 + min(28.0, rng.gammavariate(2.0, 3.5))) * DAY_MS), True
            stop_at = len(C.DEAL_STAGES_OPEN)
        elif r < funnel.won + funnel.lost:
            close, won = opp + int(rng.uniform(3, 28) * DAY_MS), False
            stop_at = rng.randint(1, 4)
        else:  # still open: progresses slowly, never closes in this world
            close, won = None, False
            stop_at = rng.randint(1, len(C.DEAL_STAGES_OPEN))
        span = (close if close is not None else opp + 45 * DAY_MS) - opp
        history = [(C.DEAL_STAGES_OPEN[0], opp)]
        for i in range(1, stop_at):
            history.append((C.DEAL_STAGES_OPEN[i], opp + int(span * (i + rng.uniform(-0.3, 0.3)) / stop_at)))
        if close is not None:
            history.append(("closedwon" if won else "closedlost", close))
        history = [(stage, ms) for stage, ms in history if ms < end_ms]
        c.mql_ms, c.sql_ms, c.opp_ms = within(mql), within(sql), within(opp)
        if c.opp_ms is None:
            continue  # the deal would be created after the horizon
        closed = within(close)
        deal = Deal(
            str(30000000000 + len(deals) * 13 + 13),
            c,
            opp,
            amount,
            f"{company} - {rng.choice(C.DEAL_PLANS)}",
            c.owner,
            history,
            closed,
            won and closed is not None,
        )
        c.deal = deal
        if deal.is_won:
            c.customer_ms = closed
        deals.append(deal)
    # Deal ids follow creation time like real HubSpot ids.
    deals.sort(key=lambda d: (d.created_ms, d.contact.contact_id))
    for i, d in enumerate(deals, 1):
        d.deal_id = str(30000000000 + i * 13)
    return contacts, deals


# ---- phone and e-mail inquiries (HubSpot calls and e-mails) ----------------------------------


def _new_inquirers(cfg: WorldConfig, rng: random.Random) -> list[Engagement]:
    """People the CRM does not know yet who call sales or e-mail the shared sales inbox (the number
    and the address are on our pages and profiles). The rep logs the inquiry and the CRM creates
    the contact from it (in `_simulate_crm`); HubSpot knows no web visit of theirs."""
    end_ms = cfg.end_ts * 1000
    out: list[Engagement] = []
    for d in range(cfg.days):
        day_ms = (cfg.start_ts + d * DAY) * 1000
        for kind in ("call", "email"):
            for _ in range(_poisson(rng, C.NEW_INQUIRERS_PER_DAY[kind] * cfg.scale)):
                e = _inbound(rng, end_ms, kind, day_ms + int(_hour_second(rng) * 1000), None)
                if e.logged_ms < end_ms:
                    e.created_contact = True
                    out.append(e)
    return out


def _log_engagements(
    cfg: WorldConfig, rng: random.Random, contacts: list[Contact], first_inquiries: list[Engagement]
) -> list[Engagement]:
    """Every call and e-mail the CRM holds at the horizon end. Inbound: the new inquirers' first
    contact, contacts calling or writing after becoming one (a missed call is followed by another
    call), and calls logged without a contact. Outbound (not inquiries): the rep's follow-up e-mail
    and call to a marketing-qualified lead, the partner manager's reply, and e-mail threads a rep
    forwards to the CRM once a deal is open."""
    end_ms = cfg.end_ts * 1000
    engagements = list(first_inquiries)
    for c in contacts:
        if c.inquiry is None:
            for kind in ("call", "email"):
                if rng.random() >= C.INQUIRY_AFTER_CONTACT[kind]:
                    continue
                ts = c.created_ms + int(rng.expovariate(1.0 / C.INQUIRY_DELAY_DAYS) * DAY_MS)
                if kind == "call" and rng.random() < C.MISSED_CALL_SHARE:
                    engagements.append(_inbound(rng, end_ms, "call", ts, c, status="MISSED"))
                    ts += int(rng.uniform(10, 180) * 60_000)
                engagements.append(_inbound(rng, end_ms, kind, ts, c))
        if c.mql_ms is not None:
            for kind, (lo, hi) in (("email", (0.02, 0.5)), ("call", (0.05, 1.5))):
                ts = c.mql_ms + int(rng.uniform(lo, hi) * DAY_MS)
                engagements.append(_outbound(rng, end_ms, kind, ts, c))
        if c.partner_type is not None:
            ts = c.created_ms + int(rng.uniform(0.1, 1) * DAY_MS)
            engagements.append(_outbound(rng, end_ms, "email", ts, c))
        if c.deal is not None and rng.random() < C.FORWARDED_EMAIL_SHARE:
            forwarded = c.deal.created_ms + int(rng.uniform(0, 2) * DAY_MS)
            engagements.append(_outbound(rng, end_ms, "email", forwarded, c, direction="FORWARDED_EMAIL"))
    for d in range(cfg.days):
        day_ms = (cfg.start_ts + d * DAY) * 1000
        for _ in range(_poisson(rng, C.UNKNOWN_CALLS_PER_DAY * cfg.scale)):
            status = "MISSED" if rng.random() < 0.5 else "COMPLETED"
            engagements.append(_inbound(rng, end_ms, "call", day_ms + int(_hour_second(rng) * 1000), None,
                                        status=status))
    engagements = [e for e in engagements if e.logged_ms < end_ms]
    engagements.sort(key=lambda e: (e.ts_ms, e.logged_ms, e.kind, e.direction, e.counterpart))
    seq = {"call": 0, "email": 0}
    for e in engagements:  # ids grow with time like real ones
        seq[e.kind] += 1
        e.engagement_id = str((46_000_000_000 if e.kind == "call" else 47_000_000_000) + seq[e.kind] * 11)
    return engagements


def _call_duration(rng: random.Random, status: str) -> int:
    if status != "COMPLETED":
        return 0
    return int(rng.lognormvariate(math.log(C.CALL_MINUTES_MEDIAN), 0.6) * 60_000)


def _phone(rng: random.Random) -> str:
    return f"+1555{rng.randrange(10**7):07d}"


def _logged(rng: random.Random, end_ms: int, kind: str, ts_ms: int, duration_ms: int) -> tuple[int, int]:
    """(record creation, last modification): a call is logged once it ends, an e-mail when the
    inbox syncs; some records are edited again hours later (the outcome, notes), before the
    horizon end or not at all."""
    logged = ts_ms + duration_ms + int(rng.uniform(5, 300 if kind == "call" else 30) * 1000)
    modified = logged
    if rng.random() < C.LATE_EDIT_SHARE:
        modified = logged + int(rng.uniform(1, 36) * 3_600_000)
        if modified >= end_ms:
            modified = logged
    return logged, modified


def _inbound(
    rng: random.Random, end_ms: int, kind: str, ts_ms: int, contact: Contact | None,
    status: str | None = None,
) -> Engagement:
    owner = contact.owner if contact is not None else rng.choice(C.HUBSPOT_OWNERS)
    if kind == "call":
        status = status or "COMPLETED"
        duration = _call_duration(rng, status)
        logged, modified = _logged(rng, end_ms, kind, ts_ms, duration)
        return Engagement("", "call", "INBOUND", status, ts_ms, logged, modified, contact, owner,
                          _phone(rng), "Inbound call", duration)
    logged, modified = _logged(rng, end_ms, kind, ts_ms, 0)
    return Engagement("", "email", "INCOMING_EMAIL", None, ts_ms, logged, modified, contact, owner,
                      contact.email if contact is not None else "", rng.choice(C.INQUIRY_SUBJECTS))


def _outbound(
    rng: random.Random, end_ms: int, kind: str, ts_ms: int, contact: Contact, direction: str | None = None
) -> Engagement:
    if kind == "call":
        status = rng.choices(list(C.OUTBOUND_CALL_STATUS), list(C.OUTBOUND_CALL_STATUS.values()))[0]
        duration = _call_duration(rng, status)
        logged, modified = _logged(rng, end_ms, kind, ts_ms, duration)
        return Engagement("", "call", "OUTBOUND", status, ts_ms, logged, modified, contact, contact.owner,
                          _phone(rng), f"Call with {contact.firstname} {contact.lastname}", duration)
    logged, modified = _logged(rng, end_ms, kind, ts_ms, 0)
    subject = f"Re: {rng.choice(C.INQUIRY_SUBJECTS)}"
    return Engagement("", "email", direction or "EMAIL", "SENT", ts_ms, logged, modified, contact,
                      contact.owner, contact.email, subject)


# ---- ground truth ----------------------------------------------------------------------------


def _ts(values: list, unit: str) -> pd.Series:
    return pd.Series(pd.to_datetime(pd.Series(values, dtype="Int64"), unit=unit, utc=True))


def _contact_id(device: Visitor) -> str | None:
    contact = device.person.contact
    return contact.contact_id if contact is not None else None


def _identifiable(device: Visitor) -> bool:
    """Whether the emitted data links this browser to its person: a login on it, or (the browser
    that filled the form) the client id or click id the form captured."""
    contact = device.person.contact
    if contact is None:
        return False
    captured = device.owner is None and (contact.ga_client_id is not None or contact.click_id is not None)
    return device.logged_in or captured


def _truth_tables(world: World) -> dict[str, pd.DataFrame]:
    posts = pd.DataFrame(
        {
            "platform": [p.platform for p in world.posts],
            "post_id": [p.post_id for p in world.posts],
            "created_at": _ts([p.created_ts for p in world.posts], "s"),
            "created_date": [datetime.fromtimestamp(p.created_ts, UTC).date() for p in world.posts],
            "campaign": [p.campaign for p in world.posts],
            "views": [p.views for p in world.posts],
            "reach": [p.reach for p in world.posts],
            "reactions": [p.reactions for p in world.posts],
            "comments": [p.comments for p in world.posts],
            "shares": [p.shares for p in world.posts],
            "saves": [p.saves for p in world.posts],
            "link_clicks": [p.link_clicks for p in world.posts],
        }
    )
    rows = world.ad_days
    ad_daily = pd.DataFrame(
        {
            "platform": [r.ad.platform for r in rows],
            "account_id": [C.LINKEDIN_AD_ACCOUNT_ID if r.ad.platform == "linkedin" else C.AD_ACCOUNT_ID
                           for r in rows],
            "campaign_id": [r.ad.campaign_id for r in rows],
            "campaign_name": [r.ad.campaign_name for r in rows],
            "adset_id": [r.ad.adset_id for r in rows],
            "ad_id": [r.ad.ad_id for r in rows],
            "date": [r.day for r in rows],
            "impressions": [r.impressions for r in rows],
            "reach": [r.reach for r in rows],
            "clicks": [r.clicks for r in rows],
            "link_clicks": [r.link_clicks for r in rows],
            "spend": [r.spend for r in rows],
            # as the warehouse has them after the world's last daily run (restated up to then)
            "platform_leads": [r.platform_leads_as_of(world.config.dates[-1]) for r in rows],
            "platform_leads_final": [r.platform_leads for r in rows],
            "landing_page_views": [r.landing_page_views for r in rows],
            "post_reactions": [r.post_reactions for r in rows],
            "currency": [r.ad.currency for r in rows],
            "conversion_value": [r.conversion_value_as_of(world.config.dates[-1]) for r in rows],
        }
    )
    ss = world.sessions
    sessions = (
        pd.DataFrame(
            {
                "user_pseudo_id": [s.visitor.user_pseudo_id for s in ss],
                "ga_session_id": [s.ga_session_id for s in ss],
                "started_at": _ts([s.start_us for s in ss], "us"),
                "date": [datetime.fromtimestamp(s.ga_session_id, UTC).date() for s in ss],
                "platform": [s.platform for s in ss],
                "source": [s.source for s in ss],
                "medium": [s.medium for s in ss],
                "campaign": [s.campaign for s in ss],
                "content": [s.content for s in ss],
                "page_views": [s.page_views for s in ss],
                "is_engaged": [s.is_engaged for s in ss],
                "engagement_time_msec": [s.engagement_ms for s in ss],
                        "has_lead": [s.form_name not in (None, C.PARTNER_FORM_NAME) for s in ss],
                "has_partner_inquiry": [s.form_name == C.PARTNER_FORM_NAME for s in ss],
                "contact_id": [_contact_id(s.visitor) for s in ss],
                "identifiable": [_identifiable(s.visitor) for s in ss],
                "user_id": [s.user_id for s in ss],
                "click_id": [s.click_id for s in ss],
            }
        )
        .sort_values(["started_at", "user_pseudo_id"], kind="stable")
        .reset_index(drop=True)
    )
    sh = world.shares
    advocacy_shares = pd.DataFrame(
        {
            "share_id": [x.share_id for x in sh],
            "ambassador_id": [x.ambassador.ambassador_id for x in sh],
            "ambassador_kind": [x.ambassador.kind for x in sh],
            "platform": [x.post.platform for x in sh],
            "post_id": [x.post.post_id for x in sh],
            "campaign": [x.post.campaign for x in sh],
            "shared_at": _ts([int(x.shared_ts * 1000) for x in sh], "ms"),
            "date": [datetime.fromtimestamp(int(x.shared_ts), UTC).date() for x in sh],
            "clicks": [len(x.clicks) for x in sh],
        }
    )
    cs = world.contacts
    contacts = pd.DataFrame(
        {
            "contact_id": [c.contact_id for c in cs],
            "email": [c.email for c in cs],
            "ga_client_id": [c.ga_client_id for c in cs],
            "app_user_id": [c.app_user_id for c in cs],
            "click_id": [c.click_id for c in cs],
            "created_at": _ts([c.created_ms for c in cs], "ms"),
            "lead_date": [datetime.fromtimestamp(c.created_ms // 1000, UTC).date() for c in cs],
            "platform": [c.platform for c in cs],
            "campaign": [c.campaign for c in cs],
            "lifecyclestage": [c.lifecyclestage for c in cs],
            "partner_type": [c.partner_type for c in cs],
            "mql_at": _ts([c.mql_ms for c in cs], "ms"),
            "sql_at": _ts([c.sql_ms for c in cs], "ms"),
            "opportunity_at": _ts([c.opp_ms for c in cs], "ms"),
            "customer_at": _ts([c.customer_ms for c in cs], "ms"),
        }
    )
    keys = sorted(world.followers)
    followers = pd.DataFrame(
        {
            "platform": [k[0] for k in keys],
            "date": [k[1] for k in keys],
            "followers": [world.followers[k][0] for k in keys],
            "new_followers": [world.followers[k][1] for k in keys],
            "lost_followers": [world.followers[k][2] for k in keys],
        }
    )
    keys = sorted(world.account_insights)
    account_insights = pd.DataFrame(
        {
            "platform": [k[0] for k in keys],
            "date": [k[1] for k in keys],
            "views": [world.account_insights[k][0] for k in keys],
            "reach": [world.account_insights[k][1] for k in keys],
        }
    )
    fl = world.form_leads
    form_leads = pd.DataFrame(
        {
            "lead_id": [f.lead_id for f in fl],
            "form_id": [f.form_id for f in fl],
            "created_at": _ts([f.created_ts for f in fl], "s"),
            "date": [datetime.fromtimestamp(f.created_ts, UTC).date() for f in fl],
            "platform": [f.platform for f in fl],
            "ad_id": [f.ad.ad_id for f in fl],
            "campaign": [f.ad.campaign_name for f in fl],
            "contact_id": [f.contact.contact_id if f.contact else None for f in fl],
        }
    )
    ds = world.deals
    deals = pd.DataFrame(
        {
            "deal_id": [d.deal_id for d in ds],
            "contact_id": [d.contact.contact_id for d in ds],
            "created_at": _ts([d.created_ms for d in ds], "ms"),
            "amount": [d.amount for d in ds],
            "currency": C.CURRENCY,
            "dealstage": [d.dealstage for d in ds],
            "closed_at": _ts([d.closed_ms for d in ds], "ms"),
            "is_won": [d.is_won for d in ds],
        }
    )
    won = [d for d in ds if d.is_won]
    customers = pd.DataFrame(
        {
            "deal_id": [d.deal_id for d in won],
            "contact_id": [d.contact.contact_id for d in won],
            "won_date": [datetime.fromtimestamp(d.closed_ms // 1000, UTC).date() for d in won],
            "amount": [d.amount for d in won],
            "currency": C.CURRENCY,
            "platform": [d.contact.platform for d in won],
            "campaign": [d.contact.campaign for d in won],
        }
    )
    dms = [(c, m) for c in world.conversations for m in c.messages]
    direct_messages = pd.DataFrame(
        {
            "message_id": [m.message_id for _, m in dms],
            "conversation_id": [c.conversation_id for c, _ in dms],
            "platform": [c.platform for c, _ in dms],
            "person_id": [c.person_id for c, _ in dms],
            "sent_at": _ts([m.created_ts for _, m in dms], "s"),
            "date": [datetime.fromtimestamp(m.created_ts, UTC).date() for _, m in dms],
            "is_from_page": [m.from_page for _, m in dms],
            "is_conversation_start": [m is c.messages[0] for c, m in dms],
        }
    )
    ms = world.mentions
    mentions = pd.DataFrame(
        {
            "mention_id": [m.mention_id for m in ms],
            "resource_id": [m.resource_id for m in ms],
            "query_id": [m.brand.query_id for m in ms],
            "query_name": [m.brand.query_name for m in ms],
            "brand": [m.brand.brand for m in ms],
            "is_our_brand": [m.brand.brand == C.COMPANY for m in ms],
            "published_at": _ts([m.published_ms for m in ms], "ms"),
            "date": [datetime.fromtimestamp(m.published_ms // 1000, UTC).date() for m in ms],
            "added_at": _ts([m.added_ms for m in ms], "ms"),
            "page_type": [m.page_type for m in ms],
            "sentiment": [m.sentiment for m in ms],
        }
    )
    es = world.engagements
    engagements = pd.DataFrame(
        {
            "engagement_id": [e.engagement_id for e in es],
            "object_type": [e.object_type for e in es],
            "direction": [e.direction for e in es],
            "status": [e.status for e in es],
            "is_inquiry": [e.is_inquiry for e in es],
            "occurred_at": _ts([e.ts_ms for e in es], "ms"),
            "date": [datetime.fromtimestamp(e.ts_ms // 1000, UTC).date() for e in es],
            "modified_at": _ts([e.modified_ms for e in es], "ms"),
            "contact_id": [e.contact.contact_id if e.contact else None for e in es],
            "created_contact": [e.created_contact for e in es],
            "platform": [e.contact.platform if e.contact else None for e in es],
            "campaign": [e.contact.campaign if e.contact else None for e in es],
        }
    )
    cd = world.consent_denied_sessions
    consent_denied_sessions = pd.DataFrame(
        {
            "started_at": _ts([s.start_us for s in cd], "us"),
            "date": [datetime.fromtimestamp(s.ga_session_id, UTC).date() for s in cd],
            "platform": [s.platform for s in cd],
            "source": [s.source for s in cd],
            "medium": [s.medium for s in cd],
            "page_views": [s.page_views for s in cd],
            "is_engaged": [s.is_engaged for s in cd],
            "engagement_time_msec": [s.engagement_ms for s in cd],
            "events": [len(s.events) for s in cd],
        }
    )
    tables = {
        "posts": posts,
        "ad_daily": ad_daily,
        "sessions": sessions,
        "contacts": contacts,
        "form_leads": form_leads,
        "deals": deals,
        "customers": customers,
        "mentions": mentions,
        "followers": followers,
        "account_insights": account_insights,
        "advocacy_shares": advocacy_shares,
        "direct_messages": direct_messages,
        "engagements": engagements,
        "consent_denied_sessions": consent_denied_sessions,
    }
    # Fixed dtypes, so that empty tables (e.g. no customers in a 5-day world) keep their types.
    for name, df in tables.items():
        for col, typ in TRUTH_SCHEMA[name].items():
            if typ in ("int64", "float64", "bool"):
                df[col] = df[col].astype(typ)
            elif typ == "date":
                df[col] = df[col].astype(object)  # datetime.date values (an empty column is float)
            elif typ == "string" and df.empty:
                df[col] = df[col].astype("str")
    return tables


def write_truth(world: World, out_dir: str | Path) -> list[Path]:
    """Write one Parquet file per truth table (explicit Arrow schema); returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    arrow = {
        "string": pa.string(),
        "int64": pa.int64(),
        "float64": pa.float64(),
        "bool": pa.bool_(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us", tz="UTC"),
    }
    paths = []
    for name, df in world.truth.items():
        schema = pa.schema([(col, arrow[typ]) for col, typ in TRUTH_SCHEMA[name].items()])
        table = pa.Table.from_pandas(df, schema=schema, preserve_index=False)
        path = out / f"{name}.parquet"
        pq.write_table(table, path)
        paths.append(path)
    return paths


def thesis_summary(world: World) -> dict[str, dict[str, float]]:
    """Reactions (organic posts) and won revenue (customers) per platform."""
    t = world.truth
    reactions = t["posts"].groupby("platform")["reactions"].sum()
    revenue = t["customers"].groupby("platform")["amount"].sum()
    return {
        "reactions": {p: int(reactions.get(p, 0)) for p in C.SOCIAL_PLATFORMS},
        "revenue": {p: float(revenue.get(p, 0.0)) for p in C.ALL_LEAD_PLATFORMS},
    }
