"""Bring your own model: users' LLM credentials, providers, validation, usage and budgets."""
