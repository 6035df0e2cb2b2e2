"""Schemathesis' own CLI against the mock: the configuration derived from a spec and a target."""
