"""A deployment's risk limits: the ``[floor]`` defaults with the deployment's own overrides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import Any

from omc.errors import UsageProblem
from omc.settings.floor import RISK_LIMIT_NAMES, FloorSettings


@dataclass(frozen=True)
class Limits:
    """Every limit the risk engine applies to one deployment (None means no such limit)."""

    max_price_age_seconds: Decimal
    max_quote_deviation: Decimal
    max_position_fraction: Decimal
    max_order_value: Decimal | None
    min_order_value: Decimal
    daily_loss_limit: Decimal
    max_drawdown: Decimal
    max_exposure_value: Decimal | None
    max_total_exposure_value: Decimal | None

    def to_dict(self) -> dict[str, str | None]:
        return {name: None if value is None else str(value) for name, value in asdict(self).items()}


def _decimal(name: str, value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none")):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise UsageProblem(f"limit {name} must be a number, got {value!r}") from None
    if not number.is_finite() or number < 0:
        raise UsageProblem(f"limit {name} must be a number of 0 or more, got {value!r}")
    return number


def parse_overrides(pairs: list[str] | None) -> dict[str, str]:
    """``NAME=VALUE`` options into a checked mapping of limit overrides (kept as text)."""
    overrides: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or not name:
            raise UsageProblem(f"--limit takes NAME=VALUE, got {pair!r}")
        if name not in RISK_LIMIT_NAMES:
            raise UsageProblem(f"unknown limit {name!r}; limits are: {', '.join(RISK_LIMIT_NAMES)}")
        _decimal(name, value)
        overrides[name] = value.strip()
    return overrides


def resolve_limits(
    floor: FloorSettings, overrides: Mapping[str, Any] | None, default_min_order: float = 0.0
) -> Limits:
    """The limits for a deployment: its overrides over the ``[floor]`` settings."""
    values: dict[str, Decimal | None] = {}
    overrides = overrides or {}
    for field in fields(Limits):
        raw = overrides.get(field.name, getattr(floor, field.name))
        values[field.name] = _decimal(field.name, raw)
    if values["min_order_value"] is None:
        values["min_order_value"] = Decimal(repr(float(default_min_order)))
    for required in (
        "max_price_age_seconds",
        "max_quote_deviation",
        "max_position_fraction",
        "daily_loss_limit",
        "max_drawdown",
    ):
        if values[required] is None:
            raise UsageProblem(f"limit {required} cannot be empty")
    return Limits(**values)  # type: ignore[arg-type]
