"""Clients generated from the specs, run against the mock (the acceptance test of the mock)."""
