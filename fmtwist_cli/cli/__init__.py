"""The `fmtwist` command line: one Typer app, one thin module per subcommand.

The only place typer and rich are imported."""
