"""Plain errors raised by the generator; the CLI maps them to messages and exit codes."""


class OptionsError(ValueError):
    """Invalid generation options. ``problems`` lists every problem found, each with its option."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{opt}: {msg}" for opt, msg in problems))


class OutputError(OSError):
    """The output directory cannot be used (exists, not writable...)."""


class ClusterError(RuntimeError):
    """The Dask cluster given with ``--scheduler`` cannot run the generation (unreachable, no
    worker, workers that cannot write the output...): the message says what to fix."""


class HouseholdError(RuntimeError):
    """Generating or writing one household failed; the message names the household."""
