"""The trading floor's own loop: deployments, the risk engine, the kill switch and decisions.

Orders go only through a broker of :mod:`omc.floor.brokers`; this package decides what to
order, checks it against the limits, and records why it traded or did not, tick by tick.
"""
