"""The Exchange ledger."""
