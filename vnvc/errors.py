"""Errors a user can cause. Each names the file or value at fault; the CLI prints them as one line."""


class VnvcError(Exception):
    """Base class of every error vnvc raises for bad input, data or configuration."""


class InputError(VnvcError):
    """A video source or other input file is missing, malformed or inconsistent."""


class ConfigError(VnvcError):
    """A configuration file (dataset, codec, task) is malformed."""


class CheckpointError(VnvcError):
    """A checkpoint is missing, damaged, or does not match what it is used with."""


class TrainingError(VnvcError):
    """A training run cannot go on (its loss or gradients stopped being finite)."""


class BitstreamError(VnvcError):
    """A .vnvc stream is damaged or cannot be decoded.

    Carries the frame index (None for the header) and the byte offset where the damage was found.
    """

    def __init__(self, message: str, frame: int | None = None, offset: int | None = None):
        where = []
        if frame is not None:
            where.append(f"frame {frame}")
        if offset is not None:
            where.append(f"byte offset {offset}")
        super().__init__(f"{message} ({', '.join(where)})" if where else message)
        self.frame = frame
        self.offset = offset
