"""An algorithm's report: Markdown with the numbers, and a PNG of the out-of-sample equity
and drawdown beside buy-and-hold, the fold boundaries and the feature importances."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import pandas as pd

from omc.backtest.metrics import Metrics
from omc.backtest.report import metric_rows, percent, ratio, short_time

DEFLATED_SHARPE_BAR = 0.95


def _metrics(data: Mapping[str, Any]) -> Metrics:
    return Metrics(**dict(data))


def verdict(evaluation: Mapping[str, Any]) -> str:
    """One sentence on whether the out-of-sample result is more than luck."""
    deflated = evaluation["deflated_sharpe"]["deflated_sharpe"]
    trials = evaluation["deflated_sharpe"]["trials"]
    pbo = (evaluation.get("pbo") or {}).get("probability")
    beats = evaluation["out_of_sample"]["total_return"] > evaluation["buy_and_hold"]["total_return"]
    parts = []
    if deflated is not None and deflated >= DEFLATED_SHARPE_BAR:
        parts.append(
            f"the deflated Sharpe ratio ({deflated:.2f}) says the edge survives {trials} trials"
        )
    else:
        shown = "undefined" if deflated is None else f"{deflated:.2f}"
        parts.append(
            f"the deflated Sharpe ratio ({shown}, below {DEFLATED_SHARPE_BAR}) cannot tell this "
            f"result from the luck of trying {trials} candidates"
        )
    if pbo is not None:
        parts.append(f"the probability of backtest overfitting is {pbo:.0%}")
    parts.append("it beat buy-and-hold out of sample" if beats else "it did not beat buy-and-hold")
    sentence = "; ".join(parts)
    return sentence[0].upper() + sentence[1:] + "."


def markdown_report(algorithm: Any, evaluation: Mapping[str, Any]) -> str:
    """The report as Markdown, from the stored row and its evaluation."""
    config = evaluation["config"]
    label = algorithm.label
    oos, hold = _metrics(evaluation["out_of_sample"]), _metrics(evaluation["buy_and_hold"])
    deflated = evaluation["deflated_sharpe"]
    pbo = evaluation.get("pbo")
    lookahead = evaluation["lookahead"]
    lines = [
        f"# {algorithm.name} v{algorithm.version} ({algorithm.status})",
        "",
        f"- Market: {'/'.join([algorithm.coins[0], algorithm.quote])}, "
        f"bars of {algorithm.bar_seconds // 60} minutes, {short_time(oos.start)} out of sample "
        f"to {short_time(oos.end)}; data {algorithm.data_since:%Y-%m-%d %H:%M} to "
        f"{algorithm.data_until:%Y-%m-%d %H:%M} UTC"
        + (f", as known at {algorithm.as_of:%Y-%m-%d %H:%M}" if algorithm.as_of else ""),
        f"- Label: {label['kind']} of the forward return over {label['horizon_bars']} bars "
        f"({label['horizon_seconds'] / 3600:g} hours)"
        + (f", threshold {label['threshold']:g}" if label["kind"] == "threshold" else ""),
        f"- Model: {algorithm.model_kind} {algorithm.model_params}; seed {algorithm.random_seed}",
        f"- Decision rule: {_decision_text(algorithm.decision)}",
        f"- Search: {algorithm.trials} candidates over {config['folds']} purged walk-forward "
        f"folds (purge {config['horizon_bars']} bars, embargo {config['embargo_bars']} bars)",
        "",
        f"**Verdict:** {verdict(evaluation)}",
        "",
        "## Out of sample (test windows stitched) beside buy-and-hold",
        "",
        "| metric | algorithm | buy and hold |",
        "|---|---:|---:|",
        *(f"| {name} | {mine} | {theirs} |" for name, mine, theirs in metric_rows(oos, hold)),
        "",
        "## Overfitting",
        "",
        f"- Probabilistic Sharpe ratio: {percent(oos.probabilistic_sharpe)}",
        f"- Deflated Sharpe ratio ({deflated['trials']} trials): "
        f"{percent(deflated['deflated_sharpe'])} (per-bar Sharpe {ratio(deflated['sharpe'])} "
        f"against {deflated['expected_maximum_sharpe']:.4f} expected from the best of "
        f"{deflated['trials']} by chance)",
        "- Probability of backtest overfitting (CSCV): "
        + (
            f"{percent(pbo['probability'])} over {pbo['splits']} splits of {pbo['groups']} groups"
            if pbo
            else "not computed (fewer than 8 candidates)"
        ),
        f"- Lookahead check on the algorithm's own targets: "
        f"{'passed' if lookahead['passed'] else 'FAILED'} ({lookahead['truncations']} "
        f"truncations, {lookahead['violating_bars']} bars changed)",
        "",
        "## Folds",
        "",
        "| fold | train rows | test from | test to | test rows |",
        "|---:|---:|---|---|---:|",
        *(
            f"| {fold['fold']} | {fold['train_rows']} | {short_time(fold['test_from'])} | "
            f"{short_time(fold['test_to'])} | {fold['test_rows']} |"
            for fold in evaluation["folds"]
        ),
        "",
        "## Trials (out-of-sample per-bar Sharpe)",
        "",
        "| trial | model | parameters | Sharpe | total return |",
        "|---:|---|---|---:|---:|",
        *(
            f"| {trial['trial']}{' (chosen)' if trial['trial'] == evaluation['chosen'] else ''} | "
            f"{trial['model_kind']} | {trial['params']} | {ratio(trial['sharpe'])} | "
            f"{percent(trial['total_return'])} |"
            for trial in evaluation["trials"]
        ),
        "",
        "## Permutation importance (out-of-sample folds)",
        "",
        "| feature | importance | spread |",
        "|---|---:|---:|",
        *(
            f"| {row['feature']} | {row['importance']:.4f} | {row['spread']:.4f} |"
            for row in evaluation["importance"]
        ),
        "",
        f"## Feature source (sha256 {algorithm.feature_sha256[:16]}…)",
        "",
        "```python",
        algorithm.feature_source.rstrip(),
        "```",
        "",
    ]
    return "\n".join(lines)


def _decision_text(decision: Mapping[str, Any]) -> str:
    if decision.get("rule") == "threshold":
        return f"long above {decision['enter']:g}, flat below {decision['exit']:g}"
    return f"sized from 0 at {decision['floor']:g} to fully long at {decision['ceiling']:g}"


def report_png(
    title: str,
    equity: pd.Series,
    benchmark: pd.Series,
    fold_starts: list[pd.Timestamp],
    importance: list[Mapping[str, Any]],
) -> bytes:
    """Equity beside buy-and-hold with fold boundaries, drawdown, and feature importances."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=(11, 8))
    grid = figure.add_gridspec(3, 2, width_ratios=(3, 1), height_ratios=(3, 1, 0.01))
    equity_axes = figure.add_subplot(grid[0, 0])
    drawdown_axes = figure.add_subplot(grid[1, 0], sharex=equity_axes)
    importance_axes = figure.add_subplot(grid[0:2, 1])
    try:
        equity_axes.plot(equity.index, equity.to_numpy(), label="algorithm", linewidth=1.0)
        equity_axes.plot(benchmark.index, benchmark.to_numpy(), label="buy and hold", linewidth=0.8)
        for number, start in enumerate(fold_starts):
            for axes in (equity_axes, drawdown_axes):
                axes.axvline(
                    start,
                    color="black",
                    alpha=0.45,
                    linewidth=0.8,
                    linestyle="--",
                    label="fold starts" if number == 0 and axes is equity_axes else None,
                )
        equity_axes.set_title(title)
        equity_axes.set_ylabel("equity (out of sample)")
        equity_axes.legend(loc="upper left")
        equity_axes.grid(alpha=0.3)
        for series, name in ((equity, "algorithm"), (benchmark, "buy and hold")):
            drawdown = series / series.cummax() - 1.0
            drawdown_axes.plot(
                drawdown.index, drawdown.to_numpy() * 100.0, label=name, linewidth=0.8
            )
        drawdown_axes.set_ylabel("drawdown %")
        locator = matplotlib.dates.AutoDateLocator()
        drawdown_axes.xaxis.set_major_locator(locator)
        drawdown_axes.xaxis.set_major_formatter(matplotlib.dates.ConciseDateFormatter(locator))
        equity_axes.tick_params(labelbottom=False)
        drawdown_axes.grid(alpha=0.3)
        shown = list(importance)[:15][::-1]
        importance_axes.barh(
            [str(row["feature"]) for row in shown],
            [float(row["importance"]) for row in shown],
            xerr=[float(row["spread"]) for row in shown],
        )
        importance_axes.set_title("permutation importance")
        importance_axes.tick_params(axis="y", labelsize=8)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=90)
    finally:
        plt.close(figure)
    return buffer.getvalue()
