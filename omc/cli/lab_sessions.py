"""``omc lab run|list|show|resume|cancel|replay``: research sessions of the lab's agents.

A thin shell over :mod:`omc.lab.run`: it parses options, picks who answers the gates
(``--yes``, a Rich prompt in a terminal, or nobody: the session then waits), shows events as
they happen (or one JSON object per line with ``--json``) and exits with the session's code.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import typer

from omc.cli.context import runtime
from omc.cli.output import JSON_HELP, print_hint, print_json, stderr, stdout
from omc.errors import UsageProblem

EXIT_CODES = {"completed": 0, "refused": 0, "cancelled": 0, "limit_reached": 65}
YES_HELP = "Approve every gate (plan, training, storing as validated) without asking."
MAX_CALLS_HELP = "LLM call limit of the session (default: llm.session_call_limit)."
BUDGET_HELP = "LLM cost limit of the session in USD (default: llm.session_cost_limit_usd)."


def _as_of(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageProblem(f"invalid --as-of {text!r}: use a date like 2025-06-30") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _usd(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise UsageProblem(f"invalid --budget-usd {text!r}: use a number like 2.50") from None
    if value <= 0:
        raise UsageProblem("--budget-usd must be more than 0")
    return value


class LiveView:
    """Prints each event as it happens: a line for people, a JSON object for scripts."""

    def __init__(self, json_lines: bool) -> None:
        self.json_lines = json_lines
        self.tokens = 0
        self.cost = Decimal(0)
        self.stage = ""
        self.console = stderr() if json_lines else stdout()
        self.status: Any = None

    def __enter__(self) -> LiveView:
        if not self.json_lines and self.console.is_terminal:
            self.status = self.console.status("starting")
            self.status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.stop()

    def _show_totals(self) -> None:
        if self.status is not None:
            self.status.update(f"{self.stage} · {self.tokens} tokens · ${self.cost:.4f} so far")

    def __call__(self, event: dict[str, Any]) -> None:
        if self.json_lines:
            sys.stdout.write(json.dumps(event, default=str) + "\n")
            sys.stdout.flush()
            return
        kind = event.get("kind")
        stage = event.get("stage", "")
        if kind == "stage":
            self.stage = event["name"]
            self.console.print(f"[bold cyan]▶ {event['name']}[/]")
        elif kind == "llm_call":
            self.tokens += event.get("input_tokens", 0) + event.get("output_tokens", 0)
            if event.get("cost_usd"):
                self.cost += Decimal(event["cost_usd"])
            tools = ", ".join(event.get("tool_calls") or [])
            note = " (from record)" if event.get("reused") else ""
            self.console.print(
                f"  LLM call {event['call']}{note}: {event.get('input_tokens', 0)} in, "
                f"{event.get('output_tokens', 0)} out; {self.tokens} tokens, "
                f"${self.cost:.4f} so far" + (f"; calls {tools}" if tools else "")
            )
        elif kind == "tool_call":
            rows = event.get("rows")
            self.console.print(
                f"  tool {event['tool']}({_args(event.get('args'))})"
                + (f" → {rows} rows" if rows is not None else "")
            )
        elif kind == "tool_error":
            self.console.print(f"  [yellow]tool {event.get('tool')}: {event.get('error')}[/]")
        elif kind == "sandbox_run":
            if event.get("ok"):
                summary = event.get("summary") or {}
                self.console.print(
                    f"  sandbox: {event['name']} → {summary.get('rows')} rows × "
                    f"{summary.get('columns')} features"
                )
            else:
                self.console.print(f"  [yellow]sandbox: {event['name']}: {event.get('error')}[/]")
        elif kind == "candidate":
            evaluation = event.get("evaluation") or {}
            self.console.print(
                f"  candidate {event['name']}: out-of-sample Sharpe "
                f"{_num(evaluation.get('sharpe'))} (buy and hold "
                f"{_num(evaluation.get('buy_and_hold_sharpe'))}), deflated Sharpe ratio "
                f"{_num(evaluation.get('deflated_sharpe'))}, {evaluation.get('trials')} trials"
            )
        elif kind == "verdict":
            self.console.print(f"  verdict: {event.get('decision')}: {event.get('reason', '')}")
        elif kind == "stored":
            self.console.print(f"  [green]stored {event['algorithm']} ({event['status']})[/]")
        elif kind in {"invalid_answer", "limit"}:
            text = event.get("problem") or f"{event.get('what')} limit ({event.get('limit')})"
            self.console.print(f"  [yellow]{stage}: {text}[/]")
        elif kind == "no_model":
            self.console.print(f"[yellow]{event['message']}[/]")
        self._show_totals()


def _args(args: Any) -> str:
    if not isinstance(args, dict):
        return ""
    return ", ".join(f"{key}={value}" for key, value in args.items())


def _num(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, int | float) else "–"


def terminal_approver(question: dict[str, Any]) -> dict[str, Any]:
    """Ask the person at the terminal (Rich prompts)."""
    from rich.prompt import Prompt

    console = stdout()
    gate = question.get("gate")
    if gate == "plan":
        plan = question.get("plan") or {}
        console.print_json(json.dumps(plan, default=str))
        choice = Prompt.ask("Plan: approve, edit or cancel?", choices=["a", "e", "c"], default="a")
        if choice == "c":
            return {"action": "cancel"}
        if choice == "e":
            coins = Prompt.ask("Coins", default=",".join(plan.get("coins", [])))
            horizon = Prompt.ask("Horizon (bars)", default=str(plan.get("horizon_bars", 1)))
            as_of = Prompt.ask("Research cutoff (as of)", default=str(plan.get("as_of", "")))
            return {
                "action": "edit",
                "coins": [c.strip() for c in coins.split(",") if c.strip()],
                "horizon_bars": int(horizon),
                "as_of": as_of,
            }
        return {"action": "approve"}
    if gate == "training":
        console.print(
            f"Training {', '.join(question.get('estimators', []))}: about "
            f"{question.get('estimated_fits')} fits; budget left: {question.get('budget')}"
        )
    elif gate == "validation":
        console.print(f"Store {question.get('algorithm')} as validated?")
    choice = Prompt.ask("Approve or cancel?", choices=["a", "c"], default="a")
    return {"action": "approve" if choice == "a" else "cancel"}


def _approver(yes: bool) -> Any:
    from omc.lab.run import approve_all, nobody

    if yes:
        return approve_all
    if sys.stdin.isatty() and sys.stdout.isatty():
        return terminal_approver
    return nobody


def _finish(result: Any, json_output: bool) -> None:
    payload = {
        "kind": "result",
        "session_id": str(result.session_id),
        "status": result.status,
        "algorithms": result.algorithms,
        "message": result.message,
        "llm_calls_sent": result.llm_sent,
        "llm_calls_from_record": result.llm_reused,
        **({"question": result.question} if result.question else {}),
        **result.details,
    }
    if json_output:
        sys.stdout.write(json.dumps(payload, default=str) + "\n")
    else:
        console = stdout()
        if result.report and result.status not in {"waiting"}:
            from rich.markdown import Markdown

            console.print(Markdown(result.report))
        console.print(f"Session {result.session_id}: [bold]{result.status}[/]")
        for algorithm in result.algorithms:
            console.print(f"  algorithm: {algorithm} (try: omc backtest run {algorithm})")
        if result.message:
            console.print(result.message)
    if result.status in {"waiting", "paused", "budget_exhausted", "failed"}:
        hint = f"continue with: {result.resume_command}"
        if result.status == "budget_exhausted":
            hint += " --max-calls N (or --budget-usd X)"
        if result.status == "waiting":
            hint += " --yes (or in a terminal)"
        print_hint(hint)
    code = EXIT_CODES.get(result.status, result.exit_code or 1)
    if code:
        raise typer.Exit(code)


def run(
    ctx: typer.Context,
    goal: str = typer.Argument(..., help="What to research, in plain language."),
    coin: Annotated[
        list[str] | None, typer.Option("--coin", help="Coin to research (repeatable).")
    ] = None,
    model: str | None = typer.Option(
        None, "--model", help="LLM credential id (see omc llm list); default: yours."
    ),
    as_of: str | None = typer.Option(None, "--as-of", help="Research cutoff (default: now)."),
    budget_usd: str | None = typer.Option(None, "--budget-usd", help=BUDGET_HELP),
    max_calls: int | None = typer.Option(None, "--max-calls", min=1, help=MAX_CALLS_HELP),
    yes: bool = typer.Option(False, "--yes", "-y", help=YES_HELP),
    json_output: bool = typer.Option(False, "--json", help="One JSON event per line."),
) -> None:
    """Turn a goal into a tested algorithm with the research agents, on your own model.

    Stops at three gates (the plan, before training, before storing as validated): a terminal
    asks you, --yes approves, and without either the session waits (exit 75) for
    `omc lab resume ID`. Ctrl-C pauses it; nothing is lost. With no model configured at all,
    the built-in recipe runs instead.

    Examples:

        omc lab run "find a BTC strategy that uses news sentiment" --yes

        omc lab run "mean reversion on ETH" --coin ETH --as-of 2025-06-30 --max-calls 30

        omc lab run "momentum across majors" --json | jq .kind
    """
    from omc.lab.run import RunRequest, start_session

    request = RunRequest(
        goal=goal,
        coins=list(coin or []),
        model=model,
        as_of=_as_of(as_of),
        budget_usd=_usd(budget_usd),
        max_calls=max_calls,
    )
    with LiveView(json_output) as view:
        result = start_session(runtime(ctx), request, approver=_approver(yes), sink=view)
    _finish(result, json_output)


def resume(
    ctx: typer.Context,
    session_id: str = typer.Argument(..., help="Session id (or a unique prefix)."),
    budget_usd: str | None = typer.Option(None, "--budget-usd", help=BUDGET_HELP),
    max_calls: int | None = typer.Option(None, "--max-calls", min=1, help=MAX_CALLS_HELP),
    yes: bool = typer.Option(False, "--yes", "-y", help=YES_HELP),
    json_output: bool = typer.Option(False, "--json", help="One JSON event per line."),
) -> None:
    """Continue a session from its last checkpoint, without repeating completed LLM calls.

    Examples:

        omc lab resume 3f2a9c --yes

        omc lab resume 3f2a9c --max-calls 200 --budget-usd 5
    """
    from omc.lab.run import resume_session

    with LiveView(json_output) as view:
        result = resume_session(
            runtime(ctx),
            session_id,
            approver=_approver(yes),
            sink=view,
            max_calls=max_calls,
            budget_usd=_usd(budget_usd),
        )
    _finish(result, json_output)


def replay(
    ctx: typer.Context,
    session_id: str = typer.Argument(..., help="Session id (or a unique prefix)."),
    json_output: bool = typer.Option(False, "--json", help="One JSON event per line."),
) -> None:
    """Re-run a session from its recorded LLM responses, at no cost, and compare the results.

    Nothing is sent to a provider. Exits 0 when the replay reaches the same algorithms, 65 when
    it does not.

    Examples:

        omc lab replay 3f2a9c
    """
    from omc.lab.replay import replay_session

    with LiveView(json_output) as view:
        outcome = replay_session(runtime(ctx), session_id, sink=view)
    if json_output:
        sys.stdout.write(json.dumps({"kind": "replay", **outcome}, default=str) + "\n")
    else:
        verdict = "the same results" if outcome["same"] else "DIFFERENT results"
        stdout().print(
            f"Replay {outcome['replay_id']} of {outcome['session_id']}: {verdict} "
            f"({outcome['llm_calls_replayed']} LLM calls from record, 0 sent)"
        )
    if not outcome["same"]:
        raise typer.Exit(65)


def cancel(
    ctx: typer.Context,
    session_id: str = typer.Argument(..., help="Session id (or a unique prefix)."),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Cancel a session that is waiting, paused or out of budget.

    Examples:

        omc lab cancel 3f2a9c
    """
    from omc.lab.run import cancel_session

    previous = cancel_session(runtime(ctx), session_id)
    if json_output:
        print_json({"session_id": session_id, "status": "cancelled", "previous": previous})
        return
    stdout().print(f"Session {session_id} cancelled (was {previous}).")


def list_(
    ctx: typer.Context,
    limit: int = typer.Option(50, "--limit", min=1, help="How many sessions, newest first."),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """List your lab sessions, newest first.

    Examples:

        omc lab list

        omc lab list --json | jq '.[] | select(.status == "waiting") | .id'
    """
    from rich.table import Table

    from omc.lab.overview import list_sessions

    rows = list_sessions(runtime(ctx), limit)
    if json_output:
        print_json(rows)
        return
    if not rows:
        stdout().print('No lab sessions yet. Start one with: omc lab run "your goal" --yes')
        return
    table = Table(title="Lab sessions")
    for column in ("id", "status", "goal", "model", "calls", "cost (USD)", "algorithms", "created"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row["id"][:8],
            row["status"],
            row["goal"],
            f"{row['provider']} {row['model']}",
            str(row["calls_used"]),
            row["cost_usd"] or "–",
            ", ".join(row["algorithms"]) or "–",
            row["created_at"][:16].replace("T", " "),
        )
    stdout().print(table)


def show(
    ctx: typer.Context,
    session_id: str = typer.Argument(..., help="Session id (or a unique prefix)."),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Show a session: its timeline, tool calls, LLM calls and costs, and its result.

    Examples:

        omc lab show 3f2a9c

        omc lab show 3f2a9c --json | jq .totals
    """
    from rich.table import Table

    from omc.cli.output import key_value_table
    from omc.lab.overview import session_detail

    detail = session_detail(runtime(ctx), session_id)
    if json_output:
        print_json(detail)
        return
    console = stdout()
    totals = detail["totals"]
    console.print(
        key_value_table(
            [
                ("Session", detail["id"]),
                ("Goal", detail["goal"]),
                ("Status", detail["status"]),
                ("Model", f"{detail['provider']} {detail['model']}"),
                ("As of", detail["as_of"]),
                ("LLM calls", totals["llm_calls"]),
                ("Tokens", f"{totals['input_tokens']} in, {totals['output_tokens']} out"),
                ("Cost (USD)", totals["cost_usd"]),
                ("Algorithms", ", ".join(detail["algorithms"]) or "–"),
                ("Error", detail["error"]),
            ]
        )
    )
    timeline = Table(title="Timeline")
    for column in ("#", "time", "stage", "event", "detail"):
        timeline.add_column(column, overflow="fold")
    for event in detail["events"]:
        if event["kind"] == "report":
            continue
        extra = {
            k: v for k, v in event.items() if k not in {"session_id", "seq", "at", "stage", "kind"}
        }
        timeline.add_row(
            str(event["seq"]),
            event["at"][11:19],
            event["stage"],
            event["kind"],
            json.dumps(extra, default=str)[:160],
        )
    console.print(timeline)
    if detail["report"]:
        from rich.markdown import Markdown

        console.print(Markdown(detail["report"]))


def register(app: typer.Typer) -> None:
    """Add the session commands to the ``omc lab`` group."""
    app.command("run")(run)
    app.command("list")(list_)
    app.command("show")(show)
    app.command("resume")(resume)
    app.command("cancel")(cancel)
    app.command("replay")(replay)
