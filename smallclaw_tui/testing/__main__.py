"""`python -m smallclaw_tui.testing [--port N] [--script replies.json]`: run the fake model server."""

import sys

from smallclaw_tui.testing.fake_server import main

sys.exit(main())
