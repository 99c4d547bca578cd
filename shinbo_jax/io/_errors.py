"""Exception types raised by `shinbo_jax.io`."""


class InputError(ValueError):
    r"""A recording, an argument or an output folder cannot be used as given.

    The message is always one line that names the problem, the offending value
    and the fix, so a command-line front end can print it unchanged. Line breaks
    in the message are replaced by spaces.

    Args:
        message: Human-readable description of the problem and its fix.

    Examples:
        >>> str(InputError("File 'x.wav' is empty;\ncheck the recording."))
        "File 'x.wav' is empty; check the recording."
    """

    def __init__(self, message: str) -> None:
        super().__init__(message.replace("\r", " ").replace("\n", " "))


class OutputExistsError(InputError):
    """An output folder already holds results and overwriting was not allowed.

    Raised by :func:`shinbo_jax.io.prepare_output_dir`; see the example there.
    """
