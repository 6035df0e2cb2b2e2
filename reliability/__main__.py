"""``python -m reliability`` (see ``reliability.cli``)."""

from reliability.cli import main

raise SystemExit(main())
