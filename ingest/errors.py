"""The one exception family the CLI and UI turn into a single clear line."""


class ReportQAError(Exception):
    """A problem the user can fix. The message names the bad value and the next step."""


class InputError(ReportQAError):
    """The report file given to ingest cannot be used."""


class IndexProblem(ReportQAError):
    """The built index is missing, damaged or was built with other settings."""


class QuestionError(ReportQAError):
    """A question cannot be answered as asked (empty, too long, ...)."""
