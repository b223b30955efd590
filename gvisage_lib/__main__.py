"""``python -m gvisage_lib`` runs the ``gvisage`` command."""

import sys

from gvisage_lib.run.cli import main

sys.exit(main())
