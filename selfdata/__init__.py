"""The ``selfdata`` command: one entry point for every package's subcommands."""
