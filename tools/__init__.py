"""The exportkit command line and its conformance reports."""
