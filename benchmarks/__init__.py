"""The benchmark harness of exportkit (issue 6): is the mock fast enough not to be the bottleneck?

One command, ``python -m benchmarks`` (``make bench``), measures the mock against a bare
Starlette app answering the same bytes and against Prism serving the same spec, with wrk on
loopback; then start-up time, memory and latency by store size, and the default verify. See
``benchmarks/RESULTS.md`` for a run's figures and their reading.

Modules: ``cli`` (options) -> ``runner`` (phases) -> ``throughput``, ``memory``,
``verify_time``, ``profiling`` -> ``wrk``, ``processes``, ``endpoints``, ``installers``;
``stats``, ``results``, ``goals`` and ``markdown`` turn figures into the report; ``bare_app``,
``connexion_floor`` (both serving the mock's recorded answers, ``payloads``) and ``seeded_mock``
are servers the harness starts. ``app_cost`` (``python -m benchmarks.app_cost``) times the mock's
ASGI app in-process, without the network; ``side_by_side`` (``python -m benchmarks.side_by_side``)
loads the mocks of several checkouts in turn, to see what a change changes under load.
"""
