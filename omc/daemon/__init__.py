"""The long-running process: APScheduler jobs per source, signals, sd_notify, heartbeats.

Modules, one concern each: ``models`` (the ``daemon_instances`` table), ``heartbeat`` (write and
read it), ``notify`` (sd_notify), ``lock`` (one collector per database), ``jobs`` (a source's
scheduled run with backoff), ``scheduler`` (APScheduler wiring), ``process`` (the run loop,
signals, reload, bounded stop), ``metrics`` (Prometheus), ``health`` (``omc collect status``),
``control`` (start/stop with or without systemd) and ``units`` (systemd unit files).
"""
