"""``python -m gvisage_lib`` runs the ``gvisage`` command."""

import sys

from .cli import main

sys.exit(main())
