"""The lab graph's state and the structured answers its agents ask the model for.

The state is small and typed: the goal and cutoff, the approved plan, what each stage found,
and counters (graph steps, LLM calls, events, rounds) that make every loop bounded and every
re-run of a stage number its calls and events the same. It is checkpointed after every step,
so it holds only JSON-friendly values.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field

Ledger = Literal["glass", "human", "catalyst", "exchange"]
BarSize = Literal["5min", "15min", "1h", "4h", "1d"]


class Plan(BaseModel):
    """The planner's structured answer: what to research, on which data, up to when."""

    model_config = ConfigDict(extra="ignore")

    about_trading: bool = Field(
        description="false when the goal is not about researching a crypto trading strategy"
    )
    refusal: str | None = Field(
        default=None, description="when about_trading is false: a polite one-line reply"
    )
    coins: list[str] = Field(default_factory=list, description="coin symbols, e.g. BTC")
    quote: str | None = Field(default=None, description="quote currency, e.g. AUD or USDT")
    bar_size: BarSize = "1h"
    horizon_bars: int = Field(default=1, ge=1, le=500, description="bars ahead to predict")
    lookback_days: int = Field(default=365, ge=7, le=3650, description="history to study")
    ledgers: list[Ledger] = Field(default_factory=lambda: ["exchange"])
    feature_ideas: list[str] = Field(default_factory=list)
    label: str = Field(default="direction of the forward return over the horizon")
    model_families: list[str] = Field(default_factory=list)
    as_of: str | None = Field(
        default=None, description="research cutoff (ISO date): only data known by then"
    )
    rationale: str = ""


class FeatureCode(BaseModel):
    """The analyst's structured answer: feature code for the sandbox."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(description="short snake_case name of the feature set")
    code: str = Field(
        description="Python that reads the DataFrame `df` (columns: open, high, low, close, "
        "volume, and any sentiment columns) and assigns a DataFrame of features to `result`"
    )
    rationale: str = ""


class EstimatorChoice(BaseModel):
    """One estimator from the allow-list and the values of its hyper-parameters to search."""

    model_config = ConfigDict(extra="ignore")

    estimator: str
    search_space: dict[str, list[Any]] = Field(default_factory=dict)


class TrainingChoice(BaseModel):
    """The trainer's structured answer."""

    model_config = ConfigDict(extra="ignore")

    estimators: list[EstimatorChoice] = Field(min_length=1, max_length=4)
    rationale: str = ""


class Verdict(BaseModel):
    """The evaluator's structured answer about the best candidate so far."""

    model_config = ConfigDict(extra="ignore")

    decision: Literal["accept", "another_round", "conclude"]
    reason: str = ""
    next_idea: str | None = Field(
        default=None, description="for another_round: what the analyst should try next"
    )


class Counters(TypedDict):
    steps: int
    calls: int
    events: int
    rounds: int


class LabState(TypedDict, total=False):
    """What the graph carries from step to step (checkpointed)."""

    goal: str
    as_of: str  # ISO 8601 UTC: the research cutoff every data read uses
    coins: list[str]  # the person's --coin, if any
    plan: dict[str, Any] | None
    data_summary: dict[str, Any] | None
    features: list[dict[str, Any]]  # feature sets tried: name, code, summary or error
    training: dict[str, Any] | None  # the trainer's choice of estimators and search spaces
    candidates: list[dict[str, Any]]  # trained candidates with their evaluation
    algorithms: list[str]  # ids of the algorithms stored
    verdict: dict[str, Any] | None
    report: str | None
    outcome: str | None  # set when the session ends: completed, refused, cancelled, limit_reached
    counters: Counters


def new_counters() -> Counters:
    return {"steps": 0, "calls": 0, "events": 0, "rounds": 0}
