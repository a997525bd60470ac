"""The Catalyst ledger."""
