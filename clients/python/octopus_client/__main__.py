"""`python3 -m octopus_client` runs octopus-py-crab."""
import sys

from .cli import main

sys.exit(main())
