from smallclaw_tui.cli import main

raise SystemExit(main())
