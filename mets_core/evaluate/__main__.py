"""`python -m mets_core.evaluate ...`: the same as `mets evaluate ...`."""

from mets_core.evaluate.run import main

raise SystemExit(main())
