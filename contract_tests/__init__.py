"""Contract checks for asynchronous export APIs, run over HTTP against any implementation."""
