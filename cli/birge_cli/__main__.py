"""`python -m birge_cli` is `birge`: how `birge dev` starts its children in the same venv."""

import sys

from birge_cli.main import main

sys.exit(main())
