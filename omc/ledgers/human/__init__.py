"""The Human ledger."""
