"""The root ``omc`` command: global options, the command groups, and the one error handler."""

from __future__ import annotations

import os
import sys
from typing import Any

import typer
from typer.core import TyperGroup

import omc
from omc.cli import (
    algo,
    backtest,
    collect,
    config,
    daemon,
    data,
    db,
    floor,
    lab,
    llm,
    status,
    vault,
)
from omc.cli.output import print_error, print_hint
from omc.errors import EX_SOFTWARE, OmcError


def _debug_requested(ctx: typer.Context) -> bool:
    return bool(ctx.params.get("debug")) or os.environ.get("OMC_DEBUG", "") not in ("", "0")


class OmcGroup(TyperGroup):
    """Translates errors once, at the top: one line on stderr and a meaningful exit code."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except OmcError as error:
            if _debug_requested(ctx):
                raise
            print_error(error.message)
            raise typer.Exit(error.exit_code) from None
        except KeyboardInterrupt:
            print_error("interrupted")
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort, SystemExit, BrokenPipeError):
            raise  # Typer handles these (a closed pipe, as in `omc ... | head`, exits quietly)
        except Exception as error:
            if _debug_requested(ctx) or getattr(error, "__module__", "").startswith("typer"):
                raise
            # Never print locals or arguments: they could hold decrypted secrets.
            print_error(f"internal error ({type(error).__name__}); this is a bug in omc")
            print_hint("run again with --debug to see the traceback, and please report it")
            raise typer.Exit(EX_SOFTWARE) from None


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"omc {omc.__version__}\n")
        raise typer.Exit()


app = typer.Typer(
    cls=OmcGroup,
    name="omc",
    help=(
        "Oh My Coins: collect the four ledgers, research trading algorithms with your own "
        "LLM, and trade them on CoinSpot under hard risk limits."
    ),
    epilog="Run `omc COMMAND --help` for a command's options and examples.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show omc's version and exit."
    ),
    debug: bool = typer.Option(
        False, "--debug", help="Show the full traceback when something fails."
    ),
) -> None:
    """Root options; each command loads settings itself, so --help needs no database."""


app.add_typer(collect.app, name="collect")
app.add_typer(data.app, name="data")
app.add_typer(backtest.app, name="backtest")
app.add_typer(lab.app, name="lab")
app.add_typer(algo.app, name="algo")
app.add_typer(llm.app, name="llm")
app.add_typer(floor.app, name="floor")
app.add_typer(vault.app, name="vault")
app.add_typer(daemon.app, name="daemon")
app.add_typer(db.app, name="db")
app.add_typer(config.app, name="config")
app.command("status")(status.status)


def run() -> None:
    """Console-script entry point."""
    app(prog_name="omc")
