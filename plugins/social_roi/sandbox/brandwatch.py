"""Brandwatch Consumer Research API shapes: a project's queries and their mentions (api_shapes.md §8.1).

Routes (bearer token, like the official client once it holds its OAuth token):
  POST /oauth/token?grant_type=api-password&username=...&password=...   (the password is the token)
  GET /projects/{projectId}/queries
  GET /projects/{projectId}/data/mentions        GET /projects/{projectId}/data/mentions/count

Mentions need ``queryId`` (repeatable) or ``queryGroupId``, ``startDate`` and ``endDate``
(``YYYY-MM-DDThh:mm:ss.sss+0000`` or ``YYYY-MM-DD``; the window is ``[startDate, endDate)``), and
page with ``page`` (0-based) and ``pageSize`` (1-5000). Paging stops at 10,000 mentions: a page
reaching past it is refused; ``cursor`` (from ``nextCursor``) continues past it instead.
Errors are ``{"errors": [{"code": ..., "message": ...}]}``; a refused token is Spring OAuth's
``{"error": "invalid_token", ...}``.
"""

from __future__ import annotations

import re
from datetime import datetime

from social_roi.sandbox import catalog as C
from social_roi.sandbox.wire import Request, Response, decode_cursor, encode_cursor, json_response
from social_roi.sandbox.world import UTC, Mention, World

PAGE_SIZE_MAX = 5000
PAGE_SIZE_DEFAULT = 10
PAGING_CAP = 10_000
QUERY_GROUP_ID = 1990001  # "Competitive set": every brand query
SENTIMENTS = ("positive", "negative", "neutral")


class BrandwatchError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def bw_time(ms: int) -> str:
    """Brandwatch's timestamp format: 2024-05-01T10:15:00.000+0000."""
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}+0000"


def parse_bw_time(name: str, value: str | None) -> int:
    if not value:
        raise BrandwatchError(400, f"Missing required parameter: {name}")
    text = value.strip().replace(" ", "+")  # an unencoded '+' arrives as a space
    try:
        if re.fullmatch(r"\d{4}-\d\d-\d\d", text):
            moment = datetime.fromisoformat(text).replace(tzinfo=UTC)
        else:
            moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        raise BrandwatchError(
            400, f"Invalid {name} '{value}': expected yyyy-MM-dd'T'HH:mm:ss.SSSZ"
        ) from None
    return int(moment.timestamp() * 1000)


def mention_json(m: Mention) -> dict:
    social = m.page_type in ("twitter", "reddit", "facebook", "instagram", "youtube", "forum")
    out = {
        "id": m.mention_id,
        "guid": m.resource_id if m.page_type == "twitter" else m.url,
        "resourceId": m.resource_id,
        "queryId": m.brand.query_id,
        "queryName": m.brand.query_name,
        "date": bw_time(m.published_ms),
        "added": bw_time(m.added_ms),
        "updated": bw_time(m.added_ms),
        "title": m.title,
        "snippet": m.snippet,
        "url": m.url,
        "originalUrl": m.url,
        "domain": m.domain,
        "pageType": m.page_type,
        "contentSource": m.page_type.upper(),
        "sentiment": m.sentiment,
        "author": m.author,
        "fullname": None if social else m.author,
        "language": "en",
        "countryCode": m.country[0],
        "country": m.country[1],
        "reachEstimate": m.reach_estimate,
        "impressions": m.reach_estimate * 3 if m.page_type == "twitter" else None,
        "engagementScore": m.engagement_score,
        "categoryDetails": [],
        "tags": [],
    }
    if m.page_type == "twitter":
        out["accountType"] = "individual"
    return out


class Brandwatch:
    def __init__(self, world: World) -> None:
        self.world = world
        # Served in the API's order: by date, then id (ids grow with time).
        self.mentions = sorted(world.mentions, key=lambda m: (m.published_ms, int(m.mention_id)))
        self.queries = {b.query_id: b for b in C.LISTENING_BRANDS}

    def handle(self, req: Request, token: str) -> Response:
        if req.path.rstrip("/") == "/oauth/token":
            return self._token(req, token)
        if req.bearer() != token:
            # (the real API echoes the token back; never repeat a credential in a body that ends
            # up in error messages and logs)
            return json_response(401, {"error": "invalid_token",
                                       "error_description": "Invalid access token"})
        try:
            return json_response(200, self._route(req))
        except BrandwatchError as e:
            return json_response(e.status, {"errors": [{"code": e.status, "message": e.message}]})

    @staticmethod
    def _token(req: Request, token: str) -> Response:
        """The user/password grant of the official client; the sandbox's one user's password is
        its token. Brandwatch tokens live about a year."""
        if req.method != "POST" or req.arg("grant_type") != "api-password":
            return json_response(400, {"error": "unsupported_grant_type",
                                       "error_description": "Unsupported grant type"})
        if req.arg("password") != token:
            return json_response(400, {"error": "invalid_grant", "error_description": "Bad credentials"})
        return json_response(200, {"access_token": token, "token_type": "bearer",
                                   "expires_in": 31535999, "scope": "read write trust"})

    def _route(self, req: Request) -> dict:
        hit = re.fullmatch(r"/projects/(\d+)/(queries|data/mentions|data/mentions/count)/?", req.path)
        if hit is None or req.method != "GET":
            raise BrandwatchError(404, f"No handler found for {req.method} {req.path}")
        if hit.group(1) != C.LISTENING_PROJECT_ID:
            raise BrandwatchError(403, f"Access denied to project {hit.group(1)}")
        if hit.group(2) == "queries":
            return self._queries()
        matched = self._matching(req)
        if hit.group(2) == "data/mentions/count":
            return {"mentionsCount": len(matched)}
        return self._page(req, matched)

    def _queries(self) -> dict:
        results = [{"id": b.query_id, "name": b.query_name, "type": "search string",
                    "languages": ["en"]} for b in C.LISTENING_BRANDS]
        return {"resultsTotal": len(results), "resultsPage": -1, "resultsPageSize": -1,
                "results": results}

    def _matching(self, req: Request) -> list[Mention]:
        ids = [v for k, v in req.query if k == "queryId"]
        group = req.arg("queryGroupId")
        if not ids and not group:
            raise BrandwatchError(400, "Either queryId or queryGroupId must be provided")
        wanted: set[int] = set()
        try:
            wanted.update(int(i) for i in ids)
            if group is not None and int(group) != QUERY_GROUP_ID:
                raise BrandwatchError(404, f"Query group {group} not found")
        except ValueError:
            raise BrandwatchError(400, "queryId and queryGroupId must be numeric") from None
        if group is not None:
            wanted.update(self.queries)
        unknown = sorted(wanted - set(self.queries))
        if unknown:
            raise BrandwatchError(404, f"Query {unknown[0]} not found in project {C.LISTENING_PROJECT_ID}")
        start = parse_bw_time("startDate", req.arg("startDate"))
        end = parse_bw_time("endDate", req.arg("endDate"))
        if end <= start:
            raise BrandwatchError(400, "endDate must be after startDate")
        filters = {name: req.arg(name) for name in ("sentiment", "pageType")}
        if filters["sentiment"] is not None and filters["sentiment"] not in SENTIMENTS:
            raise BrandwatchError(400, f"Invalid sentiment '{filters['sentiment']}'")
        return [
            m for m in self.mentions
            if m.brand.query_id in wanted and start <= m.published_ms < end
            and filters["sentiment"] in (None, m.sentiment) and filters["pageType"] in (None, m.page_type)
        ]

    def _page(self, req: Request, matched: list[Mention]) -> dict:
        try:
            size = int(req.arg("pageSize", str(PAGE_SIZE_DEFAULT)))
            page = int(req.arg("page", "0"))
        except ValueError:
            raise BrandwatchError(400, "page and pageSize must be integers") from None
        if not 1 <= size <= PAGE_SIZE_MAX:
            raise BrandwatchError(400, f"pageSize must be between 1 and {PAGE_SIZE_MAX}")
        if (req.arg("orderDirection") or "asc") == "desc":
            matched = matched[::-1]
        cursor = req.arg("cursor")
        if cursor:  # cursor paging has no cap; page is ignored
            try:
                offset = decode_cursor(cursor)
            except ValueError:
                raise BrandwatchError(400, f"Invalid cursor '{cursor}'") from None
        else:
            if page < 0:
                raise BrandwatchError(400, "page must be >= 0")
            offset = page * size
            if offset + size > PAGING_CAP:
                raise BrandwatchError(
                    400,
                    f"There is a limit of {PAGING_CAP} mentions that can be retrieved using page "
                    "and pageSize alone. Use the cursor parameter to retrieve more mentions.",
                )
        results = [mention_json(m) for m in matched[offset:offset + size]]
        out: dict = {"resultsTotal": len(matched), "resultsPage": -1 if cursor else page,
                     "resultsPageSize": size, "results": results}
        if offset + size < len(matched):
            out["nextCursor"] = encode_cursor(offset + size)
        return out
