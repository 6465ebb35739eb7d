"""`python -m mets_core.train ...`: the same as `mets train ...`."""

from mets_core.train.loop import main

raise SystemExit(main())
