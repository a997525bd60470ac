"""The Glass ledger."""
