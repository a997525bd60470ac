"""The live gate: every check a deployment must pass before it trades real money, each with
its number and threshold, all recorded (on the deployment and in the audit log).

1. out-of-sample record: the algorithm is ``validated`` (or the built-in strategy has a stored
   walk-forward record for exactly these parameters, market and bar size:
   :mod:`omc.backtest.records`) with a deflated Sharpe ratio and a count of out-of-sample trades
   at or above ``floor.min_deflated_sharpe`` / ``floor.min_oos_trades``;
2. the lookahead check passes on the strategy's own targets;
3. a paper deployment of the same version, parameters and market has run for at least
   ``floor.min_paper_days`` and tracks the backtest of the same bars within
   ``floor.max_tracking_error`` (difference of total returns);
4. CoinSpot keys are stored and ``omc floor keys test`` passes;
5. the person types a confirmation (or ``--yes`` with ``floor.allow_live = true``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa

from omc.db import as_utc, utcnow
from omc.errors import EX_NOPERM, OmcError
from omc.floor.trading.models import Deployment


class LiveRefused(OmcError):
    """The live gate refused the promotion; the message names every failing check."""

    exit_code = EX_NOPERM


@dataclass(frozen=True)
class GateCheck:
    name: str
    passed: bool
    value: Any
    threshold: Any
    reason: str


def strategy_record(rt: Any, deployment: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    """A built-in strategy's newest stored walk-forward record for exactly this deployment
    (`omc backtest walk-forward … --save`): same strategy, market, bar size and the parameters
    its last fold chose. ``record`` is None when there is none, with what is stored instead."""
    from omc.backtest.records import record_for_deployment

    with rt.session() as session:
        record, stored = record_for_deployment(
            session,
            deployment.user_id,
            deployment.target,
            deployment.coin,
            deployment.quote,
            deployment.bar_seconds,
            params,
        )
        others = [(row.bar_seconds, dict(row.params)) for row in stored[:3]]
        found = None
        if record is not None:
            found = {
                "kind": "walk_forward",
                "record": str(record.id),
                "status": "walk-forward record",
                "deflated_sharpe": record.deflated_sharpe,
                "oos_trades": record.oos_trades,
                "trials": record.trials,
            }
    return {"record": found, "others": others}


def algorithm_record(rt: Any, strategy: Any) -> dict[str, Any] | None:
    """An algorithm's stored status and out-of-sample record (None for a built-in strategy,
    whose evidence is a stored walk-forward record: :func:`strategy_record`)."""
    name = str(getattr(strategy, "name", ""))
    if not name.startswith("algo:"):
        return None
    from omc.lab.algorithms import find_algorithm

    with rt.session() as session:
        row = find_algorithm(session, name)
        evaluation = dict(row.evaluation or {})
        status = row.status
    deflated = (evaluation.get("deflated_sharpe") or {}).get("deflated_sharpe")
    trades = (evaluation.get("out_of_sample") or {}).get("trade_count")
    lookahead = (evaluation.get("lookahead") or {}).get("passed")
    return {
        "status": status,
        "deflated_sharpe": deflated,
        "oos_trades": trades,
        "lookahead_passed": lookahead,
        "lookahead_violations": (evaluation.get("lookahead") or {}).get("violating_bars"),
    }


def _no_walk_forward(deployment: Deployment, found: dict[str, Any], settings: Any) -> GateCheck:
    from omc.floor.trading.targets import describe_interval

    others = "; ".join(
        f"{describe_interval(bar_seconds)} bars with {params}"
        for bar_seconds, params in found["others"]
    )
    reason = (
        f"{deployment.target} has no stored walk-forward record on {deployment.coin}/"
        f"{deployment.quote} {describe_interval(deployment.bar_seconds)} bars that chose "
        f"{deployment.params}: run `omc backtest walk-forward {deployment.target} --coin "
        f"{deployment.coin} --quote {deployment.quote} … --save`"
    )
    if others:
        reason += f" (stored records chose: {others})"
    return GateCheck(
        "out_of_sample",
        False,
        None,
        f"a walk-forward record, deflated Sharpe >= {settings.min_deflated_sharpe}, "
        f"out-of-sample trades >= {settings.min_oos_trades}",
        reason,
    )


def _out_of_sample(record: dict[str, Any], settings: Any) -> GateCheck:
    status = record.get("status")
    dsr = record.get("deflated_sharpe")
    trades = record.get("oos_trades")
    walk_forward = record.get("kind") == "walk_forward"
    passed = (
        (walk_forward or status == "validated")
        and dsr is not None
        and dsr >= settings.min_deflated_sharpe
        and trades is not None
        and trades >= settings.min_oos_trades
    )
    shown = "undefined" if dsr is None else f"{dsr:.3f}"
    if walk_forward:
        value = {"record": record["record"], "deflated_sharpe": dsr, "oos_trades": trades}
        reason = (
            f"walk-forward record {record['record'][:8]}: deflated Sharpe {shown} over "
            f"{record['trials']} trial(s), {trades} out-of-sample trades"
        )
        threshold: dict[str, Any] = {}
    else:
        value = {"status": status, "deflated_sharpe": dsr, "oos_trades": trades}
        reason = f"status {status}, deflated Sharpe {shown}, {trades} out-of-sample trades"
        threshold = {"status": "validated"}
    threshold |= {
        "deflated_sharpe": settings.min_deflated_sharpe,
        "oos_trades": settings.min_oos_trades,
    }
    return GateCheck("out_of_sample", passed, value, threshold, reason)


def _lookahead(strategy: Any, params: dict[str, Any], record: dict[str, Any] | None) -> GateCheck:
    if record is not None:  # an algorithm: its own evaluation ran the check on its targets
        passed = record.get("lookahead_passed") is True
        return GateCheck(
            "lookahead",
            passed,
            record.get("lookahead_violations"),
            0,
            "the algorithm's evaluation passed the lookahead check"
            if passed
            else "the algorithm's evaluation has no passing lookahead check",
        )
    from omc.backtest.lookahead import check_lookahead
    from omc.backtest.synthetic import synthetic_bars

    report = check_lookahead(synthetic_bars(3_000, minutes=60), strategy, params, truncations=8)
    return GateCheck(
        "lookahead",
        report.passed,
        report.violating_bars,
        0,
        f"{report.violating_bars} of {report.bars_compared} bars changed when later data was "
        "removed",
    )


def paper_record(rt: Any, deployment: Deployment) -> tuple[Deployment | None, float, Any]:
    """The longest-running paper deployment of the same target, version, parameters and
    market, how many days it has run, and its tracking error against the backtest."""
    table = Deployment.__table__
    with rt.session() as session:
        rows = list(
            session.execute(
                sa.select(Deployment).where(
                    table.c.user_id == deployment.user_id,
                    table.c.mode == "paper",
                    table.c.target == deployment.target,
                    table.c.coin == deployment.coin,
                    table.c.quote == deployment.quote,
                    table.c.bar_seconds == deployment.bar_seconds,
                )
            ).scalars()
        )
    same = [
        row
        for row in rows
        if row.params == deployment.params and row.target_version == deployment.target_version
    ]
    if not same:
        return None, 0.0, None
    best = min(same, key=lambda row: row.created_at)
    end = as_utc(best.last_tick_at or best.created_at)
    days = (end - as_utc(best.created_at)).total_seconds() / 86400
    from omc.floor.trading.report import tracking

    return best, days, tracking(rt, best)


def _paper(rt: Any, deployment: Deployment, settings: Any) -> list[GateCheck]:
    best, days, track = paper_record(rt, deployment)
    threshold_days = settings.min_paper_days
    if best is None:
        return [
            GateCheck(
                "paper_days",
                False,
                0,
                threshold_days,
                "no paper deployment of the same version, parameters and market",
            ),
            GateCheck(
                "tracking_error",
                False,
                None,
                settings.max_tracking_error,
                "no paper results to compare with the backtest",
            ),
        ]
    checks = [
        GateCheck(
            "paper_days",
            days >= threshold_days,
            round(days, 2),
            threshold_days,
            f"{best.name} has traded on paper for {days:.1f} days",
        )
    ]
    if track is None or track.get("error") is None:
        checks.append(
            GateCheck(
                "tracking_error",
                False,
                None,
                settings.max_tracking_error,
                (track or {}).get("reason", "no bars to compare"),
            )
        )
    else:
        error = track["error"]
        checks.append(
            GateCheck(
                "tracking_error",
                error <= settings.max_tracking_error,
                round(error, 6),
                settings.max_tracking_error,
                f"paper return {track['paper_return']:+.2%} against the backtest's "
                f"{track['backtest_return']:+.2%} on the same bars",
            )
        )
    return checks


def _keys(rt: Any) -> list[GateCheck]:
    from omc.errors import NotFound
    from omc.floor.credentials import show_coinspot

    user_id = rt.user_id()
    try:
        with rt.session() as session:
            show_coinspot(session, user_id)
        stored = True
    except NotFound:
        stored = False
    checks = [
        GateCheck(
            "keys_stored",
            stored,
            stored,
            True,
            "CoinSpot keys stored" if stored else "no CoinSpot keys: `omc floor keys set`",
        )
    ]
    if not stored:
        checks.append(GateCheck("keys_test", False, None, "full access", "no keys to test"))
        return checks
    from omc.floor.service import check_keys

    try:
        result = check_keys(rt)
        access = result.get("access")
        ok = bool(result.get("works")) and access == "full access"
        reason = f"key {result.get('key')} works, {access}" + (
            "" if ok else ": trading needs a full-access key"
        )
    except OmcError as error:
        access, ok, reason = None, False, error.message
    checks.append(GateCheck("keys_test", ok, access, "full access", reason))
    return checks


def run_live_gate(
    rt: Any, deployment: Deployment, *, confirm: Callable[[str], bool] | None, yes: bool
) -> dict[str, Any]:
    """Run every check; raise :class:`LiveRefused` naming each failure, else the record."""
    from omc.core import audit
    from omc.floor.trading.targets import resolve_target

    settings = rt.settings.floor
    resolved = resolve_target(deployment.target, deployment.params)
    record = algorithm_record(rt, resolved.strategy)
    if record is not None:
        evidence = _out_of_sample(record, settings)
    else:
        found = strategy_record(rt, deployment, resolved.params)
        evidence = (
            _out_of_sample(found["record"], settings)
            if found["record"]
            else _no_walk_forward(deployment, found, settings)
        )
    checks = [
        evidence,
        _lookahead(resolved.strategy, resolved.params, record),
        *_paper(rt, deployment, settings),
        *_keys(rt),
    ]
    if all(check.passed for check in checks):
        phrase = f"live {deployment.coin}"
        if yes:
            ok = settings.allow_live
            reason = "--yes with floor.allow_live" if ok else "--yes needs floor.allow_live = true"
        elif confirm is not None:
            ok = confirm(phrase)
            reason = "typed confirmation" if ok else "confirmation not typed"
        else:
            ok, reason = False, "no confirmation"
        checks.append(GateCheck("confirmation", ok, ok, True, reason))
    record = {
        "checked_at": utcnow().isoformat(),
        "passed": all(check.passed for check in checks),
        "checks": [asdict(check) for check in checks],
    }
    with rt.session() as session:
        audit.record(
            session,
            "floor.live_gate",
            user_id=deployment.user_id,
            target=deployment.target,
            detail=record,
        )
    if not record["passed"]:
        failing = [check for check in checks if not check.passed]
        raise LiveRefused(
            "live promotion refused: "
            + "; ".join(
                f"{check.name} ({check.reason}; {check.value} against {check.threshold})"
                for check in failing
            )
        )
    return record


def render_gate(record: dict[str, Any]) -> str:
    lines = []
    for check in record["checks"]:
        mark = "pass" if check["passed"] else "FAIL"
        lines.append(
            f"{mark}  {check['name']}: {check['reason']} ({check['value']} / {check['threshold']})"
        )
    return "\n".join(lines)
