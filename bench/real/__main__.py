import sys

from bench.real.run import main

sys.exit(main())
