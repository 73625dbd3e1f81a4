import sys

from amo_analysis.suite.cli import main

sys.exit(main())
