from fmtwist_cli.cli.listing import main

raise SystemExit(main())
