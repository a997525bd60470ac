"""Catalyst detection latency: from a filing appearing at a (loopback) SEC feed to the event
being returned by ``fetch_catalyst_events``.

A poller runs the real ``sec_edgar_feed`` source every ``--interval`` seconds (the daemon's job;
15 s by default), as the scheduler would, against a loopback server; at a random moment a new
crypto filing is added to the feed and the agents' tool is queried every 20 ms until it sees it.
The target (seed NFR-P-001: < 30 s) holds when every latency is below the interval plus one
second. Prints one line per trial and a summary.

    .venv/bin/python benchmarks/bench_catalyst_latency.py --interval 15 --trials 3
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pytest_httpserver import HTTPServer
from werkzeug import Response

from omc import schema
from omc.db import make_engine, utcnow
from omc.ledgers.catalyst.sec_feed import SecCurrentFilings
from omc.ledgers.runner import run_source
from omc.ledgers.source import CollectContext
from omc.ledgers.tools import fetch_catalyst_events
from omc.settings import Settings
from tests.ledgers.responses.catalyst import edgar_entry, edgar_feed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=float, default=15.0, help="feed polling seconds")
    parser.add_argument("--trials", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    entries: list[str] = []
    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request("/cgi-bin/browse-edgar").respond_with_handler(
        lambda request: Response(edgar_feed(*entries), content_type="application/atom+xml")
    )
    server.start()
    home = Path(tempfile.mkdtemp(prefix="omc-bench-"))
    engine = make_engine(f"sqlite:///{home / 'bench.sqlite3'}")
    schema.upgrade(engine)
    settings = Settings(
        home=home,
        catalyst={
            "edgar_url": server.url_for("/"),
            "edgar_contact": "omc benchmark bench@example.com",
            "edgar_seconds": args.interval,
        },
    )
    ctx = CollectContext(settings=settings)
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            started = time.monotonic()
            run_source(engine, ctx, SecCurrentFilings())
            stop.wait(max(args.interval - (time.monotonic() - started), 0.0))

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    latencies = []
    try:
        for trial in range(1, args.trials + 1):
            time.sleep(random.uniform(0.0, args.interval))
            accession = f"0001679788-26-{trial:06d}"
            stamp = utcnow().strftime("%Y-%m-%dT%H:%M:%S+00:00")
            entry = edgar_entry(
                "8-K", "Coinbase Global, Inc.", "0001679788", "Filer", accession, stamp
            )
            published = time.monotonic()
            entries.insert(0, entry)
            while True:
                with engine.connect() as connection:
                    events = fetch_catalyst_events(connection, "2000-01-01", None, ["sec_filing"])
                if any(accession in (event["description"] or "") for event in events):
                    break
                time.sleep(0.02)
            latency = time.monotonic() - published
            latencies.append(latency)
            print(f"trial {trial}: detected after {latency:.2f} s")
    finally:
        stop.set()
        poller.join(timeout=5)
        server.stop()
    bound = args.interval + 1.0
    mean, worst = sum(latencies) / len(latencies), max(latencies)
    verdict = "OK" if worst < bound else "OVER"
    print(
        f"interval {args.interval:g} s, {len(latencies)} trials: mean {mean:.2f} s, "
        f"max {worst:.2f} s, bound {bound:g} s: {verdict}"
    )


if __name__ == "__main__":
    main()
