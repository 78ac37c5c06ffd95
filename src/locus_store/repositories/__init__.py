"""Repositories: one per contract, speaking the contract's language."""
