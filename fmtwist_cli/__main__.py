from fmtwist_cli.cli import main

raise SystemExit(main())
