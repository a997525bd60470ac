"""SEC EDGAR submissions of the watch list: ``GET {edgar_data_url}/submissions/CIK##########.json``
for every CIK of ``catalyst.edgar_watch_ciks`` (Coinbase, Strategy, miners, spot-ETF trusts).

``filings.recent`` is column-oriented (parallel arrays, newest first); the newest
``edgar_submissions_recent`` filings of each company become events. They share the
``sec_edgar`` source and accession-number key with the current-filings feed, so a filing both
see is stored once, with the time it was first detected.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from omc.ledgers.catalyst.edgar import (
    EVENT_TYPE,
    SOURCE,
    coins_named,
    filing_url,
    impact_score,
    normal_cik,
    user_agent,
)
from omc.ledgers.catalyst.models import CatalystEvent
from omc.ledgers.http import PermanentError
from omc.ledgers.points import from_iso
from omc.ledgers.registry import register
from omc.ledgers.source import Batch, CollectContext, Normalised, Source

SOURCE_NAME = "sec_edgar_submissions"
KEY = ("source", "external_id")


class Recent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    accessionNumber: list[str]
    filingDate: list[str]
    acceptanceDateTime: list[str]
    form: list[str]
    primaryDocument: list[str]
    primaryDocDescription: list[str] | None = None

    @model_validator(mode="after")
    def _parallel(self) -> Recent:
        lengths = {
            len(self.accessionNumber),
            len(self.filingDate),
            len(self.acceptanceDateTime),
            len(self.form),
            len(self.primaryDocument),
        }
        if len(lengths) > 1:
            raise ValueError("filings.recent columns differ in length")
        return self


class Filings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    recent: Recent


class Submissions(BaseModel):
    model_config = ConfigDict(extra="ignore")

    cik: str | int
    name: str
    tickers: list[str] = []
    filings: Filings


def filed_at(recent: Recent, index: int) -> dt.datetime | None:
    return from_iso(recent.acceptanceDateTime[index]) or from_iso(recent.filingDate[index])


@register
class SecSubmissions(Source):
    name = SOURCE_NAME
    ledger = "catalyst"
    interval = dt.timedelta(minutes=10)
    interval_setting = "catalyst.edgar_submissions_seconds"
    description = "SEC EDGAR filings of the crypto watch list (submissions JSON)"
    required_settings = ("catalyst.edgar_contact", "catalyst.edgar_watch_ciks")

    def fetch(self, ctx: CollectContext) -> dict[str, Any]:
        catalyst = ctx.settings.catalyst
        headers = {"User-Agent": user_agent(catalyst.edgar_contact or "")}
        answers: dict[str, Any] = {}
        missing = []
        with ctx.http(
            SOURCE_NAME,
            catalyst.edgar_data_url,
            requests_per_second=catalyst.edgar_requests_per_second,
            headers=headers,
        ) as client:
            for cik in catalyst.edgar_watch_ciks:
                try:
                    answers[cik] = client.get_json(f"/submissions/CIK{normal_cik(cik)}.json")
                except PermanentError:
                    missing.append(cik)  # a mistyped or retired CIK: 404
        return {"answers": answers, "missing": missing}

    def validate(self, raw: dict[str, Any]) -> dict[str, Any]:
        companies = [Submissions.model_validate(body) for body in raw["answers"].values()]
        return {"companies": companies, "missing": raw["missing"]}

    def normalise(self, validated: dict[str, Any], ctx: CollectContext) -> Normalised:
        now = ctx.clock()
        newest = max(ctx.settings.catalyst.edgar_submissions_recent, 0)
        rows = []
        for company in validated["companies"]:
            recent = company.filings.recent
            coins = coins_named(company.name)
            for index in range(min(newest, len(recent.accessionNumber))):
                accession, form = recent.accessionNumber[index], recent.form[index]
                document = recent.primaryDocument[index] or None
                rows.append(
                    {
                        "source": SOURCE,
                        "external_id": accession,
                        "event_type": EVENT_TYPE,
                        "title": f"{form} filed by {company.name}",
                        "description": f"SEC {form}, accession {accession}; filer: {company.name}"
                        + (f" ({', '.join(company.tickers)})" if company.tickers else ""),
                        "url": filing_url(company.cik, accession, document),
                        "impact_score": impact_score(form),
                        "currencies": coins,
                        "published_at": filed_at(recent, index) or now,
                        "collected_at": now,
                    }
                )
        detail: dict[str, Any] = {"companies": len(validated["companies"]), "filings": len(rows)}
        if validated["missing"]:
            detail["unknown_ciks"] = validated["missing"]
        return Normalised([Batch(CatalystEvent.__table__, rows, KEY, update=())], detail)
