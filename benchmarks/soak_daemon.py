"""Soak the collector daemon: thousands of cycles at a fast interval against loopback sources.

Starts ``omc daemon run --role collector`` as a subprocess with CoinSpot-shaped prices and a
counting ``sequence`` source served on loopback, lets it run for ``--seconds``, stops it with
SIGTERM and prints: cycles per source, RSS at start and end, and rows written against the rows
expected (every id served and recorded as stored must be in the table exactly once).

    .venv/bin/python benchmarks/soak_daemon.py --seconds 120 --interval 0.05
    .venv/bin/python benchmarks/soak_daemon.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.daemon.conftest import NotifySocket, Sources, wait_for  # noqa: E402


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def fresh_database(url: str | None, directory: Path) -> tuple[str, object]:
    from omc import schema
    from omc.db import make_engine

    if not url:
        url = f"sqlite:///{directory / 'soak.sqlite3'}"
        cleanup = None
    else:
        name = f"omc_soak_{uuid.uuid4().hex[:8]}"
        admin = make_engine(url)
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{name}"'))
        url = f"{url}?options=-csearch_path%3D{name}"
        cleanup = (admin, name)
    engine = make_engine(url)
    schema.upgrade(engine)
    return url, (engine, cleanup)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--interval", type=float, default=0.05)
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL admin URL (default: SQLite)"
    )
    options = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise

    scratch = Path(tempfile.mkdtemp(prefix="omc-soak-"))
    url, (engine, cleanup) = fresh_database(options.database_url, scratch)
    sources = Sources()
    notify = NotifySocket()
    env = {
        **os.environ,
        **sources.env(),
        "OMC_HOME": str(scratch / "home"),
        "OMC_CONFIG": str(scratch / "none.toml"),
        "OMC_SYSTEM_CONFIG": str(scratch / "none.toml"),
        "OMC_DATABASE_URL": url,
        "PYTHONPATH": str(ROOT / "tests" / "daemon"),
        "OMC_TEST_SOURCES": "sequence",
        "OMC_COLLECT__SOURCE_MODULES": "loopback_sources",
        "OMC_COLLECT__INTERVALS": json.dumps(
            {"coinspot": options.interval, "sequence": options.interval}
        ),
        "OMC_MARKET__WATCHLIST": "",
        "OMC_LOG_LEVEL": "WARNING",
        "NOTIFY_SOCKET": notify.path,
    }
    daemon = subprocess.Popen(
        [sys.executable, "-m", "omc", "daemon", "run", "--role", "collector"],
        env=env,
        stderr=(scratch / "daemon.log").open("wb"),
    )
    try:
        wait_for(lambda: notify.received("READY=1"), what="READY=1")
        time.sleep(2)  # let imports and the first cycles settle before the first RSS sample
        rss_start = rss_kib(daemon.pid)
        time.sleep(options.seconds)
        rss_end = rss_kib(daemon.pid)
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=60)
    finally:
        if daemon.poll() is None:
            daemon.kill()
        notify.close()
        sources.stop()

    with engine.connect() as connection:
        runs = connection.execute(
            sa.text(
                "SELECT source, status, count(*) FROM collector_runs GROUP BY source, status "
                "ORDER BY source, status"
            )
        ).all()
        details = connection.execute(
            sa.text("SELECT detail FROM collector_runs WHERE source = 'sequence' AND status = 'ok'")
        ).scalars()
        expected = []
        for detail in details:
            detail = json.loads(detail) if isinstance(detail, str) else detail
            expected.extend(detail["ids"])
        stored = connection.execute(
            sa.text(
                "SELECT count(*), count(DISTINCT timestamp) FROM on_chain_metrics "
                "WHERE source = 'sequence'"
            )
        ).one()
    engine.dispose()
    if cleanup:
        admin, name = cleanup
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()

    database = "PostgreSQL" if options.database_url else "SQLite"
    print(f"soak: {database}, {options.seconds:.0f}s at {options.interval}s interval, exit {code}")
    for source, status, count in runs:
        print(f"  runs {source:9} {status:7} {count}")
    print(f"  sequence ids served {sources.sequence}, recorded as stored {len(expected)}")
    print(f"  rows written {stored[0]}, distinct {stored[1]}, expected {len(set(expected))}")
    print(f"  lost {len(set(expected)) - stored[1]}, duplicated {stored[0] - stored[1]}")
    print(f"  RSS start {rss_start / 1024:.1f} MiB, end {rss_end / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
