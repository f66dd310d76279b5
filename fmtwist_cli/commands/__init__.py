"""The command-line layer: one thin module per subcommand (typer and rich live here only)."""
