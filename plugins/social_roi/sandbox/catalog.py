"""Static content of the synthetic world: ids, campaigns, pages, people, per-platform behaviour."""

from __future__ import annotations

from typing import NamedTuple

COMPANY = "Acme Analytics"
SITE = "https://www.acme-analytics.example"
SITE_HOST = "www.acme-analytics.example"
CURRENCY = "USD"

# Source-system ids (fixed so that connector configs can hard-code them in the demo).
PAGE_ID = "101000000000001"
IG_USER_ID = "178410000000001"
IG_USERNAME = "acme.analytics"
AD_ACCOUNT_ID = "100000000000001"  # served as act_100000000000001
AD_ACCOUNT_NAME = "Acme Analytics - Paid Social"
GA4_PROPERTY_ID = "350000001"
GA4_STREAM_ID = "4200000001"
GA4_BUCKET = "acme-analytics-ga4-export"
LINKEDIN_ORG_ID = "10500001"
LINKEDIN_ORG_URN = f"urn:li:organization:{LINKEDIN_ORG_ID}"
X_USER_ID = "1500000000000000001"
X_USERNAME = "acmeanalytics"

SOCIAL_PLATFORMS = ("facebook", "instagram", "linkedin", "x")
META_PLATFORMS = ("facebook", "instagram")
ALL_LEAD_PLATFORMS = ("facebook", "instagram", "linkedin", "x", "google", "direct")

# Organic content campaigns -> landing page path.
CONTENT_CAMPAIGNS = {
    "roi_ebook": "/resources/roi-ebook",
    "webinar_nov": "/webinars/attribution-masterclass",
    "product_tour": "/product/tour",
    "customer_story": "/customers/northwind-logistics",
}

POST_TEMPLATES = {
    "roi_ebook": [
        "Which channel actually pays for itself? Our free ROI ebook shows the math.",
        "Stop reporting likes. Start reporting revenue. Grab the ROI playbook.",
        "7 formulas every marketing team needs for social ROI - free download.",
    ],
    "webinar_nov": [
        "Join our live Attribution Masterclass in November - seats are limited.",
        "Multi-touch attribution without the headache: save your webinar seat.",
    ],
    "product_tour": [
        "Take a 3-minute tour of the Acme Analytics dashboard.",
        "From post to pipeline in one view. See the product tour.",
        "New: campaign ROI cards. Take the tour.",
    ],
    "customer_story": [
        "How Northwind Logistics tied social spend to closed-won revenue.",
        "Customer story: 3x pipeline from the same social budget.",
    ],
}

HASHTAGS = ["#b2bmarketing", "#marketinganalytics", "#socialroi", "#attribution", "#saas"]

PAGE_TITLES = {
    "/": "Acme Analytics - Marketing ROI you can prove",
    "/pricing": "Pricing - Acme Analytics",
    "/product": "Product overview - Acme Analytics",
    "/product/tour": "Product tour - Acme Analytics",
    "/product/integrations": "Integrations - Acme Analytics",
    "/resources/roi-ebook": "The Social ROI Playbook (free ebook) - Acme Analytics",
    "/webinars/attribution-masterclass": "Attribution Masterclass webinar - Acme Analytics",
    "/customers/northwind-logistics": "Northwind Logistics customer story - Acme Analytics",
    "/customers": "Customers - Acme Analytics",
    "/blog/what-is-social-roi": "What is social ROI? - Acme Analytics blog",
    "/blog/utm-naming-conventions": "UTM naming conventions that scale - Acme Analytics blog",
    "/blog/ga4-bigquery-guide": "A practical GA4 BigQuery guide - Acme Analytics blog",
    "/demo": "Request a demo - Acme Analytics",
    "/contact": "Contact us - Acme Analytics",
}
BROWSE_PAGES = [
    "/",
    "/pricing",
    "/product",
    "/product/integrations",
    "/customers",
    "/blog/what-is-social-roi",
    "/product/tour",
]
ORGANIC_LANDINGS = [
    "/blog/what-is-social-roi",
    "/blog/utm-naming-conventions",
    "/blog/ga4-bigquery-guide",
    "/",
    "/pricing",
]
DIRECT_LANDINGS = ["/", "/", "/pricing", "/product", "/demo"]

# Meta ads: share of platform-reported leads reported on their own day (the rest follow within a
# week), and the value the advertiser assigned to a lead event (action_values).
LEAD_REPORTED_SAME_DAY = 0.6
LEAD_CONVERSION_VALUE = 40.0
LEAD_FORM_ID_BASE = 880000000000000  # + campaign index: one instant form per lead campaign
FORM_PAGES = {"demo_request": "/demo", "ebook_download": "/resources/roi-ebook", "contact_us": "/contact"}


class PostProfile(NamedTuple):
    """Organic posting on one platform: volume and lifetime engagement means at maturity (scale 1)."""

    posts_per_day: float
    views: float
    reach_share: float  # reach / views
    reactions: float
    comments: float
    shares: float
    saves: float
    link_clicks: float
    decay_hours: float  # engagement and clicks fade out exponentially after publication


# Instagram: lots of likes, few clicks ("link in bio"); LinkedIn: few likes, many clicks.
POST_PROFILE = {
    "facebook": PostProfile(2.0, 2600, 0.70, 70, 9, 6, 0, 24, 10.0),
    "instagram": PostProfile(3.0, 7000, 0.78, 420, 22, 12, 30, 4, 16.0),
    "linkedin": PostProfile(2.0, 1800, 0.65, 22, 4, 3, 0, 26, 20.0),
    "x": PostProfile(3.0, 2900, 0.60, 35, 5, 8, 0, 9, 4.0),
}
FB_REACTION_MIX = {"like": 0.72, "love": 0.15, "wow": 0.05, "haha": 0.04, "sad": 0.02, "angry": 0.02}
STATUS_TYPES = ["added_photos", "shared_story", "added_video", "mobile_status_update"]
IG_MEDIA_TYPES = [("IMAGE", "FEED"), ("CAROUSEL_ALBUM", "FEED"), ("VIDEO", "REELS")]

# Meta ad structure: campaign -> adsets -> ads. Budgets are USD/day at scale 1.
#   (name, publisher_platform, objective, daily budget, landing path, active day range)
AD_CAMPAIGNS = [
    (
        "fb_leadgen_q4",
        "facebook",
        "OUTCOME_LEADS",
        230.0,
        "/demo",
        (0, None),
        [
            ("lookalike_1pct_saas_buyers", ["demo_video_v1", "demo_carousel_v2"]),
            ("retargeting_site_visitors_30d", ["customer_quote_static"]),
        ],
    ),
    (
        "ig_awareness_q4",
        "instagram",
        "OUTCOME_AWARENESS",
        150.0,
        "/product/tour",
        (0, None),
        [("interest_marketing_ops", ["reel_dashboard_tour", "story_roi_stat", "carousel_attribution_tips"])],
    ),
    (
        "fb_webinar_q4",
        "facebook",
        "OUTCOME_TRAFFIC",
        80.0,
        "/webinars/attribution-masterclass",
        (4, 21),
        [("broad_b2b_marketers", ["webinar_invite_static"])],
    ),
]


class AdProfile(NamedTuple):
    cpm: float  # USD per 1000 impressions
    ctr: float  # all clicks / impressions
    link_share: float  # inline link clicks / clicks
    reactions_per_k: float  # post reactions per 1000 impressions
    frequency: float  # impressions / reach


AD_PROFILE = {
    "facebook": AdProfile(24.0, 0.0125, 0.72, 1.6, 1.35),
    "instagram": AdProfile(8.5, 0.0060, 0.55, 9.0, 1.55),
    # LinkedIn: dear impressions (in the account currency), few clicks, most of them to the site
    "linkedin": AdProfile(38.0, 0.0060, 0.80, 1.8, 1.7),
}

# LinkedIn Ads: account -> campaign group -> campaigns -> creatives. The account bills in euros,
# so its spend goes through the FX seed. Every landing-page click opens the site with LinkedIn's
# dynamic UTMs (utm_campaign = campaign name, utm_content = creative id) and its click id
# (li_fat_id). Conversions are the Insight Tag's "lead" rule (post-click and post-view), valued
# at a fixed amount per conversion; no Lead Gen Form campaigns (oneClickLeads stay 0).
LINKEDIN_AD_ACCOUNT_ID = "512000001"  # urn:li:sponsoredAccount:512000001
LINKEDIN_AD_ACCOUNT_NAME = "Acme Analytics - LinkedIn Ads"
LINKEDIN_AD_CURRENCY = "EUR"
LINKEDIN_CAMPAIGN_GROUP_ID = "615000001"
LINKEDIN_CONVERSION_VALUE = 50.0  # per conversion, account currency
LINKEDIN_MAX_LEAD_LAG = 14  # days after the credited day until a late conversion is reported
#   (name, objectiveType, daily budget in the account currency, landing path, active day range,
#    creatives)
LINKEDIN_AD_CAMPAIGNS = [
    ("li_demo_requests_q4", "WEBSITE_CONVERSION", 160.0, "/demo", (0, None),
     ["li_demo_single_image", "li_customer_proof_video"]),
    ("li_roi_ebook_q4", "WEBSITE_VISIT", 70.0, "/resources/roi-ebook", (2, 26),
     ["li_ebook_document_ad"]),
]

# Web behaviour.
NEW_ORGANIC_VISITORS_PER_DAY = 35.0  # new visitors arriving from google organic search
KNOWN_VISITOR_CLICK_SHARE = 0.08  # share of link clicks made by an already-known visitor
RETURN_PROB = 0.34  # chance a visitor comes back after a session (decays per session)
RETURN_MEAN_DAYS = 3.0
RETURN_DIRECT_SHARE = 0.6  # returns: direct vs google organic
# Consent mode (advanced): new visitors per day who deny analytics storage. GA4 gets their hits as
# cookieless pings (export: no client id, no session id); its reports count them as sessions.
CONSENT_DENIED_VISITS_PER_DAY = 24.0
CONSENT_DENIED_DIRECT_SHARE = 0.4  # the rest come from google organic search
CONSENT_DENIED_ENGAGED_SHARE = 0.4  # one page each: engaged when they stay 10 s or more

# Identity. After their form fill people get a site login (GA4 user_id = their app user id).
SECOND_DEVICE_SHARE = 0.3  # share of a known person's return visits made on a second device
LOGIN_SHARE = 0.4  # chance a known person logs in during a later visit (a new device: always)
FORM_CLIENT_ID_MISSING = 0.12  # forms whose hidden GA client id field stayed empty (blockers)
# Clock skew between sources: the CRM's clock runs a minute behind GA4's, so a contact's
# createdate can precede the start of the very session in which the form was filled.
CRM_CLOCK_OFFSET_MS = -60_000

# Meta instant forms (lead ads): people leave their e-mail on Facebook without visiting the site;
# the CRM integration creates the contact a little later. Only OUTCOME_LEADS campaigns have forms.
LEAD_FORM_RATE = 0.05  # instant-form submissions per non-link click of a lead-generation ad
LEAD_FORM_SYNC_SECONDS = (5, 90)  # delay before the CRM integration creates the contact
LEAD_FORM_NAME = "meta_lead_form"

# Probability that a session ends with a form fill, by (platform, medium).
LEAD_RATE = {
    ("facebook", "social"): 0.022,
    ("facebook", "paid_social"): 0.032,
    ("instagram", "social"): 0.010,
    ("instagram", "paid_social"): 0.008,
    ("linkedin", "social"): 0.060,
    ("x", "social"): 0.012,
    ("google", "organic"): 0.020,
    ("direct", "(none)"): 0.022,
    # an ambassador's share reaches people who trust them: more intent than the brand's own post
    ("linkedin", "advocacy"): 0.070,
    ("x", "advocacy"): 0.020,
    ("facebook", "advocacy"): 0.030,
    ("linkedin", "paid_social"): 0.050,
}
RETURNING_LEAD_BOOST = 1.4


class Funnel(NamedTuple):
    """Sales funnel of the leads of one lead platform (conditional probabilities)."""

    mql: float
    sql: float  # given MQL
    deal: float  # given SQL
    won: float  # given a deal
    lost: float  # given a deal (the rest stays open)
    amount_median: float  # USD, lognormal
    amount_sigma: float


# LinkedIn: the revenue champion (high-value deals); Instagram: few, small deals.
FUNNEL = {
    "linkedin": Funnel(0.70, 0.75, 0.85, 0.60, 0.25, 45000.0, 0.35),
    "facebook": Funnel(0.55, 0.70, 0.80, 0.60, 0.25, 10000.0, 0.30),
    "instagram": Funnel(0.40, 0.55, 0.70, 0.50, 0.30, 2400.0, 0.30),
    "x": Funnel(0.35, 0.55, 0.65, 0.40, 0.35, 7500.0, 0.30),
    "google": Funnel(0.45, 0.60, 0.75, 0.45, 0.30, 9000.0, 0.30),
    "direct": Funnel(0.45, 0.60, 0.75, 0.45, 0.30, 8500.0, 0.30),
    # people who first reached us by phone or e-mail (contacts the CRM created from the inquiry)
    "offline": Funnel(0.60, 0.60, 0.75, 0.45, 0.30, 8000.0, 0.30),
}
DEAL_STAGES_OPEN = [
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
]
DEAL_PLANS = ["Starter annual", "Growth annual", "Scale annual", "Enterprise annual"]
HUBSPOT_OWNERS = ["71000001", "71000002", "71000003"]

HS_SOURCE = {  # (hs_analytics_source, hs_analytics_source_data_1) by session platform/medium
    ("facebook", "paid_social"): ("PAID_SOCIAL", "Facebook"),
    ("instagram", "paid_social"): ("PAID_SOCIAL", "Instagram"),
    ("facebook", "social"): ("SOCIAL_MEDIA", "Facebook"),
    ("instagram", "social"): ("SOCIAL_MEDIA", "Instagram"),
    ("linkedin", "social"): ("SOCIAL_MEDIA", "LinkedIn"),
    ("x", "social"): ("SOCIAL_MEDIA", "Twitter"),
    ("google", "organic"): ("ORGANIC_SEARCH", "google"),
    ("direct", "(none)"): ("DIRECT_TRAFFIC", None),  # data_1 = landing URL, filled at generation
    ("linkedin", "advocacy"): ("SOCIAL_MEDIA", "LinkedIn"),
    ("x", "advocacy"): ("SOCIAL_MEDIA", "Twitter"),
    ("facebook", "advocacy"): ("SOCIAL_MEDIA", "Facebook"),
    ("linkedin", "paid_social"): ("PAID_SOCIAL", "LinkedIn"),
    # a contact the CRM creates from an inquiry: the rep logging a call (CRM UI), the shared sales
    # inbox receiving an e-mail (Conversations); HubSpot knows no web visit of theirs
    ("offline", "call"): ("OFFLINE", "CRM_UI"),
    ("offline", "email"): ("OFFLINE", "CONVERSATIONS"),
}
CHANNEL_GROUP = {
    "paid_social": "Paid Social",
    "social": "Organic Social",
    "organic": "Organic Search",
    "(none)": "Direct",
    "advocacy": "Organic Social",  # GA4's default grouping goes by the social source
}

# Fake people and companies (whitespace/comma separated to keep this file short).
FIRST_NAMES = (
    "Olivia Liam Emma Noah Ava Elijah Sophia James Isabella Lucas Mia Mateo Amelia Levi Harper Ethan "
    "Evelyn Aiden Priya Arjun Mei Hiro Fatima Omar Ingrid Lars Chloe Diego Zoe Samuel Nora Gabriel "
    "Leila Tomas Hannah Kwame"
).split()
LAST_NAMES = (
    "Smith Johnson Garcia Miller Davis Rodriguez Martinez Lopez Wilson Anderson Thomas Taylor Moore "
    "Jackson Martin Lee Patel Nguyen Kim Chen Schmidt Rossi Dubois Nakamura Okafor Silva Novak Larsen "
    "Cohen Brown Walker Young"
).split()
COMPANY_PARTS_A = (
    "Northwind,Blue Harbor,Summit,Redwood,Brightline,Ironclad,Lumen,Granite,Silverleaf,Cobalt,"
    "Evergreen,Pioneer,Atlas,Helix,Orchard,Keystone"
).split(",")
COMPANY_PARTS_B = (
    "Logistics Software Health Labs Systems Retail Capital Manufacturing Media Energy Foods Networks"
).split()
JOB_TITLES = (
    "Marketing Manager,Head of Growth,VP Marketing,Demand Gen Lead,Marketing Ops Specialist,CMO,"
    "Digital Marketing Director,Data Analyst"
).split(",")

DEVICES = [  # (weight, category, os, os_version, browser, browser_version, brand, model)
    (0.46, "desktop", "Windows", "Windows 10", "Chrome", "141.0.7390.55", None, None),
    (0.22, "desktop", "Macintosh", "Macintosh Intel 10.15", "Safari", "18.6", "Apple", None),
    (0.20, "mobile", "iOS", "iOS 18.6", "Safari", "18.6", "Apple", "iPhone"),
    (0.09, "mobile", "Android", "Android 15", "Chrome", "141.0.7390.59", "Google", "Pixel 8"),
    (0.03, "tablet", "iOS", "iOS 18.6", "Safari", "18.6", "Apple", "iPad"),
]
GEOS = [  # (weight, continent, sub_continent, country, region, city, language, tz offset seconds)
    (0.30, "Americas", "Northern America", "United States", "California", "San Francisco", "en-us", -25200),
    (0.18, "Americas", "Northern America", "United States", "New York", "New York", "en-us", -14400),
    (0.10, "Americas", "Northern America", "United States", "Texas", "Austin", "en-us", -18000),
    (0.08, "Americas", "Northern America", "Canada", "Ontario", "Toronto", "en-ca", -14400),
    (0.12, "Europe", "Northern Europe", "United Kingdom", "England", "London", "en-gb", 3600),
    (0.08, "Europe", "Western Europe", "Germany", "Berlin", "Berlin", "de-de", 7200),
    (0.06, "Europe", "Western Europe", "Netherlands", "North Holland", "Amsterdam", "nl-nl", 7200),
    (0.08, "Oceania", "Australasia", "Australia", "New South Wales", "Sydney", "en-au", 39600),
]
# Relative web-traffic weight per UTC hour (US/EU business-day peaks).
HOUR_WEIGHTS = [2, 1.5, 1, 1, 1, 1.5, 2, 3, 4, 5, 5.5, 6, 6.5, 7, 8, 8.5, 8.5, 8, 7.5, 7, 6, 5, 4, 3]

# Social listening (a Brandwatch Consumer Research project). One query per tracked brand: ours
# and three competitors (fictional). A mention is one query's match on one document; a document
# naming two brands ("Acme vs Funnelwise") matches both queries: two mentions, one resourceId.
LISTENING_PROJECT_ID = "1998877001"


class ListeningBrand(NamedTuple):
    brand: str
    query_id: int
    query_name: str
    mentions_per_day: float  # baseline at scale 1, before our own activity's echo
    sentiment: tuple[float, float, float]  # positive, neutral, negative shares


LISTENING_BRANDS = (
    ListeningBrand(COMPANY, 2001990001, "Acme Analytics - brand", 14.0, (0.38, 0.47, 0.15)),
    ListeningBrand("Funnelwise", 2001990002, "Competitor - Funnelwise", 22.0, (0.30, 0.48, 0.22)),
    ListeningBrand("Metricly Labs", 2001990003, "Competitor - Metricly Labs", 9.0, (0.25, 0.55, 0.20)),
    ListeningBrand("Attributa", 2001990004, "Competitor - Attributa", 5.0, (0.33, 0.52, 0.15)),
)
# Our mentions echo our activity: extra mentions per organic post and per 1,000 ad impressions.
MENTIONS_PER_POST = 0.9
MENTIONS_PER_K_IMPRESSIONS = 0.08
CO_MENTION_SHARE = 0.06  # share of our mentions that also name a competitor (comparisons)
# Brandwatch pageType -> (weight, domains). "twitter" is X (Brandwatch kept the old name).
PAGE_TYPES = {
    "twitter": (0.34, ("x.com",)),
    "reddit": (0.14, ("reddit.com",)),
    "news": (0.10, ("techcrunch.example", "martech-today.example", "adweek.example")),
    "blog": (0.12, ("medium.com", "substack.com", "growth-notes.example")),
    "forum": (0.05, ("community.hubspot.com", "forum.growthhackers.example")),
    "facebook": (0.08, ("facebook.com",)),
    "instagram": (0.05, ("instagram.com",)),
    "review": (0.07, ("g2.com", "trustradius.com", "capterra.com")),
    "youtube": (0.05, ("youtube.com",)),
}
MENTION_COUNTRIES = (("US", "United States", 0.52), ("GB", "United Kingdom", 0.16),
                     ("DE", "Germany", 0.08), ("CA", "Canada", 0.08), ("AU", "Australia", 0.06),
                     ("NL", "Netherlands", 0.04), (None, None, 0.06))
MENTION_SNIPPETS = {
    "positive": ("{b} finally made our attribution reporting painless.",
                 "Switched to {b} last quarter - pipeline reporting is night and day.",
                 "Great webinar from {b} on multi-touch attribution."),
    "neutral": ("Anyone compared {b} with other marketing analytics tools?",
                "{b} announced new integrations this week.",
                "Looking at {b} pricing for a 20-person team."),
    "negative": ("{b} support has been slow to answer our tickets.",
                 "The {b} dashboard keeps timing out on big date ranges.",
                 "Not convinced {b} is worth the price."),
}


# Followers of our own accounts (Facebook Page, Instagram profile, X account) at the start of the
# world, and how they move: new followers per 1,000 people reached by our posts / paid reach that
# day, and a small daily churn. (Platforms are drawn in this order from one stream: a platform
# added at the end leaves the others' numbers as they were.)
FOLLOWERS_AT_START = {"facebook": 12_400, "instagram": 31_800, "x": 8_900}
NEW_FOLLOWERS_PER_1K_POST_REACH = {"facebook": 1.6, "instagram": 4.5, "x": 2.2}
NEW_FOLLOWERS_PER_1K_AD_REACH = {"facebook": 0.25, "instagram": 0.6, "x": 0.0}
DAILY_UNFOLLOW_RATE = 0.0004
# Our LinkedIn Page (its own stream of draws, so the Meta accounts stay as they were). LinkedIn
# reports a day's gains split organic / paid (sponsored content), not the total.
LINKEDIN_FOLLOWERS_AT_START = 8_600
LINKEDIN_NEW_FOLLOWERS_PER_1K_POST_REACH = 3.0
LINKEDIN_NEW_FOLLOWERS_PER_1K_AD_REACH = 0.8

# Account-level views and reach of our Facebook Page and Instagram account per day (Meta's
# page_media_view / page_total_media_view_unique, Instagram's views / reach): the views of our
# posts as they accrue over the days after publication, plus views not of a post (the profile,
# stories, the page itself) at these means per day (scale 1), of which this share are distinct
# people. People reached by several posts of a day count once: this share of the day's summed
# post reach is distinct. (Drawn from their own stream: every other table stays as it was.)
ACCOUNT_BASELINE_VIEWS = {"facebook": 420.0, "instagram": 1_350.0}
ACCOUNT_BASELINE_REACH_SHARE = 0.55
ACCOUNT_DISTINCT_POST_REACH = {"facebook": 0.86, "instagram": 0.8}

# Direct messages to our Facebook Page (Messenger) and Instagram account: people who start a
# conversation per day (at scale 1), a few conversations the page starts itself (a private reply
# to a comment), back-and-forth turns, and people who come back to the same conversation later.
DM_CONVERSATIONS_PER_DAY = {"facebook": 1.8, "instagram": 3.2}
DM_PAGE_STARTED_SHARE = 0.12
DM_EXTRA_TURNS = 1.3  # Poisson mean of turns after the first one in an exchange
DM_EXTRA_MESSAGES_PER_TURN = 0.6  # Poisson mean of messages after the first one in a turn
DM_REPLY_MEAN_MINUTES = {"person": 25.0, "page": 45.0}  # waiting time before a turn
DM_RETURN_PROB = 0.3  # chance the person writes again in the same conversation
DM_RETURN_MEAN_DAYS = 3.0

# ---- partnerships and advocacy ---------------------------------------------------------------

# Partner inquiries: a visitor who never became a lead fills the "become a partner" form (GA4
# generate_lead, form_name partner_inquiry). HubSpot gets a contact with lifecycle stage "other"
# and the custom property partner_type; such contacts are not sales leads.
PARTNER_FORM_NAME = "partner_inquiry"
PARTNER_FORM_PAGE = "/partners"
PARTNER_TYPES = {"reseller": 0.45, "referral": 0.35, "distributor": 0.20}
# chance that an engaged, multi-page session of a never-converted visitor ends with the partner form
PARTNER_INQUIRY_RATE = {
    ("linkedin", "social"): 0.030,
    ("direct", "(none)"): 0.012,
    ("google", "organic"): 0.008,
}


class Ambassador(NamedTuple):
    """A brand ambassador enrolled in the advocacy programme (the dbt seed `ambassadors` lists them)."""

    ambassador_id: str
    name: str
    kind: str  # employee | customer | partner
    platforms: tuple[str, ...]  # networks they share on
    audience: int  # followers who may see a share
    is_active: bool = True


# Advocacy shares carry the tracked link the advocacy tool builds (Sociabble/EveryoneSocial let the
# admin set this template): utm_source=<network>, utm_medium=advocacy, utm_campaign=<the post's
# campaign>, utm_content=<ambassador_id>.
ADVOCACY_MEDIUM = "advocacy"
AMBASSADORS = (
    Ambassador("amb-001", "Grace Okafor", "employee", ("linkedin", "x"), 2400),
    Ambassador("amb-002", "Tomas Lindqvist", "employee", ("linkedin",), 900),
    Ambassador("amb-003", "Priya Raman", "employee", ("linkedin", "facebook"), 1500),
    Ambassador("amb-004", "Marco Bellini", "customer", ("linkedin",), 3100),
    Ambassador("amb-005", "Aisha Bello", "customer", ("x",), 5200),
    Ambassador("amb-006", "Northwind Resellers", "partner", ("linkedin", "facebook"), 4000),
    Ambassador("amb-007", "Jonas Weber", "employee", ("linkedin",), 600, is_active=False),
)
ADVOCACY_SHARE_PROB = 0.35  # chance an active ambassador re-shares one of our posts on their network
ADVOCACY_CTR = 0.0015  # link clicks per audience member per share
ADVOCACY_CLICK_MEAN_HOURS = 6.0

# ---- phone and e-mail inquiries (HubSpot calls and e-mails) --------------------------------------

# Some people call or e-mail sales instead of, or after, filling a form. Reps log every call and
# e-mail on the person's contact record (HubSpot engagements associated with the contact); inbound
# ones are inquiries, outbound ones (follow-ups) and e-mail threads a rep forwards to the CRM are not.
SALES_PHONE = "+15550100100"
SALES_EMAIL = "sales@acme-analytics.example"
# chance that a contact calls / e-mails us after becoming one, and the mean delay (exponential)
INQUIRY_AFTER_CONTACT = {"call": 0.14, "email": 0.18}
INQUIRY_DELAY_DAYS = 2.0
MISSED_CALL_SHARE = 0.2  # an inbound call nobody picked up: the person calls again the same day
# unknown people reaching us (scale 1, per day): the CRM creates their contact from the inquiry
NEW_INQUIRERS_PER_DAY = {"call": 0.35, "email": 0.45}
# inbound calls logged without a contact (the caller left no name: no association)
UNKNOWN_CALLS_PER_DAY = 0.3
CALL_MINUTES_MEDIAN = 6.0  # connected calls, lognormal
OUTBOUND_CALL_STATUS = {"COMPLETED": 0.55, "NO_ANSWER": 0.30, "BUSY": 0.15}
FORWARDED_EMAIL_SHARE = 0.3  # deals whose rep forwards an internal thread to the CRM
LATE_EDIT_SHARE = 0.15  # engagements a rep edits again (outcome, notes) hours after logging them
INQUIRY_SUBJECTS = ("Question about pricing", "Demo follow-up", "Do you integrate with our CRM?",
                    "Trial extension", "Request for a quote", "Onboarding question")
