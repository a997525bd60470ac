"""SEC EDGAR current filings: the ``getcurrent`` Atom feed, polled every 15 s by default.

``GET {catalyst.edgar_url}/cgi-bin/browse-edgar?action=getcurrent&type=&owner=include&count=100
&output=atom``, with a User-Agent that carries ``catalyst.edgar_contact`` (SEC fair access; the
source is not configured without one) and at most ``edgar_requests_per_second`` requests a
second. Each entry's title is ``<form> - <COMPANY> (<CIK>) (<role>)`` and its id ends in
``accession-number=<accession>``; one filing appears once per party, and the parties are merged
into one event (relevant when any party is; see :mod:`omc.ledgers.catalyst.edgar`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import BaseModel

from omc.ledgers.catalyst.edgar import (
    EVENT_TYPE,
    SOURCE,
    coins_named,
    filing_url,
    impact_score,
    is_relevant,
    user_agent,
)
from omc.ledgers.catalyst.models import CatalystEvent
from omc.ledgers.http import MalformedResponse
from omc.ledgers.points import from_struct
from omc.ledgers.registry import register
from omc.ledgers.source import Batch, CollectContext, Normalised, Source

SOURCE_NAME = "sec_edgar_feed"
KEY = ("source", "external_id")
TITLE = re.compile(
    r"^(?P<form>.+?) - (?P<company>.+) \((?P<cik>\d{4,10})\) \((?P<role>[^)]*)\)\s*$"
)
ACCESSION = re.compile(r"(\d{10}-\d{2}-\d{6})")


class Party(BaseModel):
    accession: str
    form: str
    company: str
    cik: str
    role: str
    url: str | None
    filed_at: dt.datetime | None


def feed_params(count: int) -> dict[str, Any]:
    return {
        "action": "getcurrent",
        "type": "",
        "company": "",
        "dateb": "",
        "owner": "include",
        "start": 0,
        "count": count,
        "output": "atom",
    }


def parse_current(body: bytes) -> list[Party]:
    """Every entry of the feed as one party of one filing."""
    import feedparser

    parsed = feedparser.parse(body)
    if parsed.bozo and not parsed.entries:
        raise MalformedResponse(f"{SOURCE_NAME}: the answer is not an Atom feed")
    parties = []
    for entry in parsed.entries:
        title = TITLE.match(entry.get("title", ""))
        accession = ACCESSION.search(entry.get("id", "") or entry.get("summary", ""))
        if title is None or accession is None:
            raise MalformedResponse(
                f"{SOURCE_NAME}: unexpected entry {entry.get('title', '')[:80]!r}"
            )
        tags = entry.get("tags") or []
        form = (tags[0].get("term") if tags else None) or title["form"]
        parties.append(
            Party(
                accession=accession.group(1),
                form=form.strip(),
                company=title["company"].strip(),
                cik=title["cik"],
                role=title["role"].strip(),
                url=entry.get("link"),
                filed_at=from_struct(entry.get("updated_parsed")),
            )
        )
    return parties


def merge_parties(parties: list[Party], watch: list[str]) -> list[list[Party]]:
    """Parties grouped by accession, relevant groups only, relevant party first."""
    groups: dict[str, list[Party]] = {}
    for party in parties:
        groups.setdefault(party.accession, []).append(party)
    relevant = []
    for group in groups.values():
        group.sort(key=lambda p: not is_relevant(p.cik, p.company, watch))
        if is_relevant(group[0].cik, group[0].company, watch):
            relevant.append(group)
    return relevant


def event_row(group: list[Party], now: dt.datetime) -> dict[str, Any]:
    lead = group[0]
    others = ", ".join(f"{p.company} ({p.role})" for p in group)
    return {
        "source": SOURCE,
        "external_id": lead.accession,
        "event_type": EVENT_TYPE,
        "title": f"{lead.form} filed by {lead.company}",
        "description": f"SEC {lead.form}, accession {lead.accession}; parties: {others}",
        "url": lead.url or filing_url(lead.cik, lead.accession),
        "impact_score": impact_score(lead.form),
        "currencies": sorted({coin for p in group for coin in coins_named(p.company)}),
        "published_at": lead.filed_at or now,
        "collected_at": now,
    }


@register
class SecCurrentFilings(Source):
    name = SOURCE_NAME
    ledger = "catalyst"
    interval = dt.timedelta(seconds=15)
    interval_setting = "catalyst.edgar_seconds"
    description = "SEC EDGAR current filings (Atom), crypto-relevant only"
    required_settings = ("catalyst.edgar_contact",)

    def fetch(self, ctx: CollectContext) -> bytes:
        catalyst = ctx.settings.catalyst
        headers = {
            "User-Agent": user_agent(catalyst.edgar_contact or ""),
            "Accept": "application/atom+xml",
        }
        with ctx.http(
            SOURCE_NAME,
            catalyst.edgar_url,
            requests_per_second=catalyst.edgar_requests_per_second,
            headers=headers,
        ) as client:
            return client.get_bytes("/cgi-bin/browse-edgar", feed_params(catalyst.edgar_feed_count))

    def validate(self, raw: bytes) -> list[Party]:
        return parse_current(raw)

    def normalise(self, validated: list[Party], ctx: CollectContext) -> Normalised:
        now = ctx.clock()
        groups = merge_parties(validated, list(ctx.settings.catalyst.edgar_watch_ciks))
        rows = [event_row(group, now) for group in groups]
        detail = {"entries": len(validated), "relevant_filings": len(rows)}
        # First detection wins: a repeated filing never moves its detected_at.
        return Normalised([Batch(CatalystEvent.__table__, rows, KEY, update=())], detail)
