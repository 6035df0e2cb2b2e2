"""``python -m mockserver``: run the mock (see ``mockserver.cli``)."""

from mockserver.cli import main

raise SystemExit(main())
