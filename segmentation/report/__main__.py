"""`python -m segmentation.report`: write the segment report (see the package docstring)."""

import sys

from segmentation.report import main

sys.exit(main())
