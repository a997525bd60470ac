"""``omc daemon``: run omc's background daemon in the foreground, and install its systemd units."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from omc.cli.output import stdout

app = typer.Typer(
    help="Run omc's background daemon (collector, trading floor) and install its systemd units.",
    no_args_is_help=True,
    add_completion=False,
)

ROLE_HELP = (
    "collector (the data collectors), floor (the trading daemon: every running deployment) or all."
)


@app.command("run")
def run(
    role: Annotated[str, typer.Option("--role", help=ROLE_HELP)] = "collector",
    metrics_port: Annotated[
        int | None,
        typer.Option("--metrics-port", help="Serve Prometheus metrics on 127.0.0.1:PORT."),
    ] = None,
    log_format: Annotated[
        str | None, typer.Option("--log-format", help="text (default) or json (one per line).")
    ] = None,
    log_file: Annotated[
        bool | None,
        typer.Option(
            "--log-file/--log-stderr",
            help="Log to a rotating file under OMC_HOME/logs instead of stderr.",
        ),
    ] = None,
) -> None:
    """Run the daemon in the foreground until SIGTERM or SIGINT; SIGHUP reloads the settings.

    Speaks systemd's notify protocol when NOTIFY_SOCKET is set (READY, WATCHDOG, STATUS).

    Examples:

        omc daemon run --role collector

        omc daemon run --role collector --log-format json --metrics-port 9464
    """
    from omc.daemon.process import Daemon
    from omc.errors import UsageProblem

    if log_format is not None and log_format not in ("text", "json"):
        raise UsageProblem(f"unknown log format {log_format!r}; use text or json")
    daemon_overrides = {
        "metrics_port": metrics_port,
        "log_format": log_format,
        "log_to_file": log_file,
    }
    overrides = {"daemon": {k: v for k, v in daemon_overrides.items() if v is not None}}
    code = Daemon(role, overrides).run()
    if code:
        raise typer.Exit(code)


@app.command("install")
def install(
    user: Annotated[
        bool, typer.Option("--user/--system", help="A user unit (default) or a system unit.")
    ] = True,
    print_only: Annotated[
        bool, typer.Option("--print", help="Only print the rendered units; change nothing.")
    ] = False,
    unit_dir: Annotated[
        Path | None,
        typer.Option("--unit-dir", help="Write the units here instead of systemd's directory."),
    ] = None,
    role: Annotated[
        list[str] | None,
        typer.Option("--role", help="Only this unit: collector or floor (repeatable)."),
    ] = None,
) -> None:
    """Render the systemd units for this installation, install, daemon-reload and enable them.

    The units run this installation's `omc` with your OMC_HOME and config file (user units), or
    as the dedicated `omc` user with state in /var/lib/omc (system units).

    Examples:

        omc daemon install --print

        sudo omc daemon install --system
    """
    from omc.cli.context import runtime_settings
    from omc.daemon.units import install_units, render_units

    settings, files = runtime_settings()
    units = render_units(settings, files, user=user, roles=role)
    if print_only:
        for name, text in units.items():
            stdout().print(f"# {name}", markup=False)
            stdout().print(text, markup=False, highlight=False)
        return
    report = install_units(units, user=user, unit_dir=unit_dir)
    for line in report:
        stdout().print(line, markup=False)
