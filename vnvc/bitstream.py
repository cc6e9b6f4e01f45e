"""The ``.vnvc`` container: a fixed header, then one CRC-protected record per frame, holding the frame's stream.

The byte layout is specified in ``docs/bitstream.md``. Writers write to a temporary file next to the target and
rename it into place on success; readers stream records lazily and raise :class:`BitstreamError` (naming the frame
and byte offset) for any damage, never another exception and never an allocation larger than the file.
"""

from __future__ import annotations

import binascii
import dataclasses
import enum
import math
import numbers
import os
import secrets
import stat
import struct
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from vnvc.errors import BitstreamError, InputError

MAGIC = b"VNVC"
FORMAT_VERSION = 4
# Versions this reader recognises but no longer decodes (docs/bitstream.md, "Changes from earlier versions").
_RETIRED_VERSIONS = {1: "a payload per latent", 2: "an older entropy-coder flush",
                     3: "a frame-type byte and a 32-bit latent checksum"}

_HEADER_BODY = struct.Struct("<4sBH8sIIIIIIf")  # everything before the header CRC
_U32 = struct.Struct("<I")
_U16 = struct.Struct("<H")
_RECORD_TAIL = struct.Struct("<HI")  # latent checksum, record CRC
HEADER_SIZE = _HEADER_BODY.size + _U32.size
_MAX_VARINT_BYTES = 5  # enough for a frame head: 2 * (2**32 - 1) + 1
_U32_MAX = 0xFFFFFFFF
_U16_MAX = 0xFFFF
_MAX_FRAME_HEAD = 2 * _U32_MAX + 1
_CRC16_START = 0xFFFF
_FLOAT32_MAX = 3.4028234663852886e38

_HEADER_FIELDS = ("checkpoint_id", "width", "height", "padded_width", "padded_height", "frame_count",
                  "intra_period", "rate")  # in file order after magic, version and flags
# Byte offset of each header field, for error messages.
_FIELD_OFFSETS = {
    "version": 4, "flags": 5, "checkpoint_id": 7, "width": 15, "height": 19, "padded_width": 23,
    "padded_height": 27, "frame_count": 31, "intra_period": 35, "rate": 39,
}


class StreamFlags(enum.IntFlag):
    """Header flag bits; bits not named here are reserved, written as 0 and rejected when set."""

    ENHANCEMENT = 0x0001  # the decoder runs the enhancement network on reconstructed frames


_RESERVED_FLAGS = 0xFFFF ^ int(StreamFlags.ENHANCEMENT)


class FrameType(enum.IntEnum):
    """How a frame was coded."""

    INTRA = 0
    INTER = 1


@dataclass(frozen=True)
class StreamHeader:
    """Stream-level parameters. On construction fields are validated and normalised to what the file stores:
    integers become ``int``, ``rate`` is rounded to float32."""

    checkpoint_id: bytes
    width: int
    height: int
    padded_width: int
    padded_height: int
    frame_count: int
    intra_period: int
    rate: float
    flags: int = 0

    def __post_init__(self) -> None:
        problem = _header_problem(vars(self))
        if problem is not None:
            raise ValueError(f"invalid stream header: {problem[1]}")
        for name in (*_HEADER_FIELDS[1:-1], "flags"):
            object.__setattr__(self, name, int(getattr(self, name)))
        object.__setattr__(self, "rate", struct.unpack("<f", struct.pack("<f", self.rate))[0])

    @property
    def enhancement(self) -> bool:
        """Whether the ENHANCEMENT flag is set."""
        return bool(self.flags & StreamFlags.ENHANCEMENT)


@dataclass
class FrameRecord:
    """One coded frame: its entropy-coded stream (every latent of the frame) and a CRC-16 of the decoded symbols."""

    frame_type: FrameType
    payload: bytes
    latent_checksum: int

    @property
    def payload_bytes(self) -> int:
        """Bytes of entropy-coded data."""
        return len(self.payload)

    @property
    def size(self) -> int:
        """Bytes the record takes in a stream: the payload plus its head (type and length), checksum and CRC."""
        return len(_frame_head(self.frame_type, self.payload_bytes)) + self.payload_bytes + _RECORD_TAIL.size


class BitstreamIOError(InputError, OSError):
    """A .vnvc file cannot be opened, read or written; both an ``InputError`` and an ``OSError``."""


def crc16(data: bytes | memoryview | np.ndarray, crc: int = _CRC16_START) -> int:
    """CRC-16/IBM-3740 (polynomial 0x1021, start 0xFFFF, not reflected), continued from ``crc``."""
    return binascii.crc_hqx(data, crc)


def latent_checksum(symbols: Iterable[np.ndarray]) -> int:
    """CRC-16 over each latent's symbols as little-endian int32 in C order, in coding order."""
    crc = _CRC16_START
    for array in symbols:
        crc = crc16(np.ascontiguousarray(array, dtype="<i4"), crc)
    return crc


def uleb128(value: int) -> bytes:
    """ULEB128: 7 bits a byte, least significant first, the high bit set on every byte but the last."""
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        if not value:
            out.append(low)
            return bytes(out)
        out.append(low | 0x80)


def _frame_head(frame_type: FrameType, payload_bytes: int) -> bytes:
    """A record's first bytes: ULEB128(2 * payload length + frame type)."""
    return uleb128(2 * payload_bytes + int(frame_type))


def _header_problem(h: dict[str, object]) -> tuple[str, str] | None:
    """The first invalid header field in ``h`` (field name to value) as (name, description), or None."""
    checkpoint_id = h["checkpoint_id"]
    if not isinstance(checkpoint_id, bytes) or len(checkpoint_id) != 8:
        return "checkpoint_id", f"checkpoint_id must be 8 bytes, got {checkpoint_id!r}"
    for name in ("width", "height", "padded_width", "padded_height", "frame_count", "intra_period"):
        value = h[name]
        if not isinstance(value, numbers.Integral) or not 0 <= value <= _U32_MAX:
            return name, f"{name} {value!r} is not an unsigned 32-bit integer"
    for name in ("width", "height"):
        if h[name] == 0:
            return name, f"{name} is 0"
        if h[f"padded_{name}"] < h[name]:
            return f"padded_{name}", f"padded_{name} {h[f'padded_{name}']} is less than {name} {h[name]}"
    rate = h["rate"]
    if not isinstance(rate, numbers.Real) or not (math.isfinite(rate) and 0 <= rate <= _FLOAT32_MAX):
        return "rate", f"rate {rate!r} is not a finite non-negative float32"
    flags = h["flags"]
    if not isinstance(flags, numbers.Integral) or not 0 <= flags <= 0xFFFF:
        return "flags", f"flags {flags!r} is not an unsigned 16-bit integer"
    if flags & _RESERVED_FLAGS:
        return "flags", f"reserved flag bits 0x{flags & _RESERVED_FLAGS:04x} are set"
    return None


def _encode_header(h: StreamHeader) -> bytes:
    body = _HEADER_BODY.pack(MAGIC, FORMAT_VERSION, h.flags, h.checkpoint_id, h.width, h.height, h.padded_width,
                             h.padded_height, h.frame_count, h.intra_period, h.rate)
    return body + _U32.pack(zlib.crc32(body))


def _encode_record(record: FrameRecord, prev_crc: int) -> tuple[list[bytes | memoryview], int]:
    """The chunks of one record, in order, and its CRC. Raises ValueError for an unencodable record."""
    frame_type = FrameType(record.frame_type)
    if not 0 <= record.latent_checksum <= _U16_MAX:
        raise ValueError(f"latent_checksum {record.latent_checksum!r} is not an unsigned 16-bit integer")
    view = memoryview(record.payload).cast("B")
    if view.nbytes > _U32_MAX:
        raise ValueError(f"payload of {view.nbytes} bytes exceeds the 4 GiB limit")
    chunks: list[bytes | memoryview] = [_frame_head(frame_type, view.nbytes), view, _U16.pack(record.latent_checksum)]
    crc = zlib.crc32(_U32.pack(prev_crc))
    for chunk in chunks:
        crc = zlib.crc32(chunk, crc)
    chunks.append(_U32.pack(crc))
    return chunks, crc


def encode_stream(header: StreamHeader, records: Iterable[FrameRecord]) -> bytes:
    """A whole stream in memory; ``frame_count`` is set to the number of records."""
    parts: list[bytes | memoryview] = []
    prev_crc = 0
    count = 0
    for record in records:
        chunks, prev_crc = _encode_record(record, prev_crc)
        parts += chunks
        count += 1
    return _encode_header(dataclasses.replace(header, frame_count=count)) + b"".join(parts)


def _io_error(action: str, path: str, exc: OSError) -> BitstreamIOError:
    err = BitstreamIOError(f"cannot {action} {path}: {exc.strerror or exc}")
    err.errno = exc.errno
    return err


class BitstreamWriter:
    """Writes a stream to ``path`` atomically: a temporary file in the same folder is renamed into place on close.

    Use as a context manager; an exception inside the block (or :meth:`abort`) removes the temporary file and
    leaves any existing ``path`` untouched. ``frame_count`` in the header is patched to the frames written.
    Failures to write raise :class:`BitstreamIOError` (an ``OSError``) after removing the temporary file.
    """

    def __init__(self, path: str | os.PathLike[str], header: StreamHeader):
        self.path = os.fspath(path)
        self.header = header
        self.frames_written = 0
        self._prev_crc = 0
        folder, name = os.path.split(os.path.abspath(self.path))
        self._file: BinaryIO | None = None
        self._tmp_path: str | None = None
        while self._tmp_path is None:
            candidate = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
            try:
                fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
            except FileExistsError:
                continue
            except OSError as exc:
                raise _io_error("write", self.path, exc) from exc
            self._tmp_path = candidate
            self._file = os.fdopen(fd, "wb")
        self._write([_encode_header(header)])

    def _write(self, chunks: list[bytes | memoryview]) -> None:
        if self._file is None:
            raise ValueError(f"writer for {self.path} is closed")
        try:
            for chunk in chunks:
                self._file.write(chunk)
        except OSError as exc:
            self.abort()
            raise _io_error("write", self.path, exc) from exc
        except BaseException:
            self.abort()
            raise

    def write_frame(self, record: FrameRecord) -> None:
        """Append one frame record."""
        chunks, crc = _encode_record(record, self._prev_crc)
        self._write(chunks)
        self._prev_crc = crc
        self.frames_written += 1

    def close(self) -> None:
        """Finish the stream: patch ``frame_count`` if needed, flush, and rename into place."""
        if self._file is None:
            return
        try:
            if self.frames_written != self.header.frame_count:
                self.header = dataclasses.replace(self.header, frame_count=self.frames_written)
                self._file.seek(0)
                self._file.write(_encode_header(self.header))
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
            os.replace(self._tmp_path, self.path)
            self._tmp_path = None
        except OSError as exc:
            self.abort()
            raise _io_error("write", self.path, exc) from exc
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        """Discard the stream: close and delete the temporary file. Safe to call more than once."""
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                pass
            self._file = None
        if self._tmp_path is not None:
            try:
                os.unlink(self._tmp_path)
            except FileNotFoundError:
                pass
            self._tmp_path = None

    def __enter__(self) -> BitstreamWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class _Source:
    """Sequential reads from bytes or a file, with the total size known up front."""

    def __init__(self, source: bytes | bytearray | memoryview | str):
        self.pos = 0
        self._file: BinaryIO | None = None
        if isinstance(source, str):
            self.name = source
            try:
                self._file = open(source, "rb")
                info = os.fstat(self._file.fileno())
                if not stat.S_ISREG(info.st_mode):  # a pipe or device: its size is only known after reading it
                    self._data = memoryview(self._file.read())
                    self._file.close()
                    self._file = None
                    self.size = self._data.nbytes
                else:
                    self.size = info.st_size
            except OSError as exc:
                self.close()
                raise _io_error("read", source, exc) from exc
        else:
            self.name = None
            self._data = memoryview(source).cast("B")
            self.size = self._data.nbytes

    @property
    def remaining(self) -> int:
        return self.size - self.pos

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes (fewer at the end); callers bound ``n`` by :attr:`remaining`."""
        if self._file is None:
            data = bytes(self._data[self.pos:self.pos + n])
        else:
            try:
                data = self._file.read(n)
            except OSError as exc:
                raise _io_error("read", self.name, exc) from exc
        self.pos += len(data)
        return data

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class BitstreamReader:
    """Reads a stream from a path or bytes: ``.header`` is parsed on construction, records lazily.

    Iterating (single pass) or calling :meth:`read_frame` yields :class:`FrameRecord` objects. Any damage raises
    :class:`BitstreamError` with the frame index (None for the header) and byte offset; a file that cannot be
    opened raises :class:`BitstreamIOError`.
    """

    def __init__(self, source: str | os.PathLike[str] | bytes | bytearray | memoryview):
        if not isinstance(source, (bytes, bytearray, memoryview)):
            source = os.fspath(source)
        self._src = _Source(source)
        self.name = self._src.name
        self.frames_read = 0
        self._prev_crc = 0
        self._done = False
        self._failure: BitstreamError | None = None
        try:
            self.header = self._read_header()
        except BaseException:
            self.close()
            raise

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> BitstreamReader:
        """A reader over an in-memory stream."""
        return cls(data)

    def _error(self, message: str, frame: int | None, offset: int) -> BitstreamError:
        return BitstreamError(f"{self.name}: {message}" if self.name else message, frame=frame, offset=offset)

    def _read_header(self) -> StreamHeader:
        data = self._src.read(HEADER_SIZE)
        if data[:4] != MAGIC[:len(data)]:
            raise self._error(f"not a .vnvc stream: bad magic {data[:4]!r} (expected {MAGIC!r})", None, 0)
        if len(data) > 4 and data[4] != FORMAT_VERSION:
            if data[4] > FORMAT_VERSION:
                message = f"stream format version {data[4]} is newer than this decoder supports ({FORMAT_VERSION})"
            elif data[4] in _RETIRED_VERSIONS:
                message = (f"stream format version {data[4]} ({_RETIRED_VERSIONS[data[4]]}) is no longer supported: "
                           f"encode the video again to get version {FORMAT_VERSION}")
            else:
                message = f"stream format version {data[4]} is not valid"
            raise self._error(message, None, 4)
        if len(data) < HEADER_SIZE:
            raise self._error(f"truncated header: {len(data)} of {HEADER_SIZE} bytes", None, len(data))
        stored, computed = _U32.unpack_from(data, _HEADER_BODY.size)[0], zlib.crc32(data[:_HEADER_BODY.size])
        if stored != computed:
            raise self._error(f"header CRC mismatch (stored 0x{stored:08x}, computed 0x{computed:08x})",
                              None, _HEADER_BODY.size)
        _, _, flags, *values = _HEADER_BODY.unpack_from(data)
        fields = dict(zip(_HEADER_FIELDS, values), flags=flags)
        problem = _header_problem(fields)
        if problem is not None:
            raise self._error(f"invalid header: {problem[1]}", None, _FIELD_OFFSETS[problem[0]])
        return StreamHeader(**fields)

    def _need(self, n: int, what: str, frame: int) -> bytes:
        offset = self._src.pos
        data = self._src.read(n)
        if len(data) < n:
            raise self._error(f"truncated record: {what} needs {n} bytes, {len(data)} remain", frame, offset)
        return data

    def _read_head(self, frame: int) -> tuple[int, bytes]:
        """The frame head (a minimal ULEB128 of at most 5 bytes, at most 2 * (2**32 - 1) + 1) and its bytes."""
        start = self._src.pos
        raw = b""
        while True:
            raw += self._need(1, "frame head", frame)
            if raw[-1] < 0x80:
                break
            if len(raw) == _MAX_VARINT_BYTES:
                raise self._error(f"damaged record: frame head runs over {_MAX_VARINT_BYTES} bytes", frame, start)
        value = sum((byte & 0x7F) << (7 * k) for k, byte in enumerate(raw))
        if value > _MAX_FRAME_HEAD or raw != uleb128(value):
            raise self._error(f"damaged record: frame head bytes {raw.hex()} are not a minimal ULEB128 of at most "
                              "2**33 - 1", frame, start)
        return value, raw

    def _read_record(self, frame: int) -> FrameRecord:
        start = self._src.pos
        head, head_bytes = self._read_head(frame)
        length = head >> 1
        if length > self._src.remaining - _RECORD_TAIL.size:
            raise self._error(f"truncated or damaged record: payload length {length} runs past the end of the "
                              f"stream (the record needs {length + _RECORD_TAIL.size} more bytes, "
                              f"{self._src.remaining} remain)", frame, start)
        payload = self._need(length, "payload", frame)
        tail = self._need(_RECORD_TAIL.size, "checksum and CRC", frame)
        checksum, stored = _RECORD_TAIL.unpack(tail)
        crc = zlib.crc32(_U32.pack(self._prev_crc))
        for chunk in (head_bytes, payload, tail[:_U16.size]):
            crc = zlib.crc32(chunk, crc)
        if stored != crc:
            raise self._error(f"record CRC mismatch (stored 0x{stored:08x}, computed 0x{crc:08x})", frame, start)
        self._prev_crc = stored
        return FrameRecord(FrameType(head & 1), payload, checksum)

    def read_frame(self) -> FrameRecord | None:
        """The next frame record, or None after the last one (once the end of the stream is verified)."""
        if self._failure is not None:
            raise self._failure
        if self._done:
            return None
        frame, offset = self.frames_read, self._src.pos
        try:
            if frame < self.header.frame_count:
                if self._src.remaining == 0:
                    raise self._error(f"stream ends after {frame} frames but the header says "
                                      f"{self.header.frame_count}", frame, offset)
                record = self._read_record(frame)
                self.frames_read += 1
                return record
            if self._src.remaining == 0:
                self._done = True
                self.close()
                return None
            try:
                self._read_record(frame)
            except BitstreamError:
                raise self._error(f"{self._src.size - offset} bytes of trailing data after the last frame",
                                  frame, offset) from None
            raise self._error(f"stream holds more frames than the header's frame count "
                              f"{self.header.frame_count}", frame, offset)
        except BitstreamError as exc:
            self._failure = exc
            self.close()
            raise

    def __iter__(self) -> Iterator[FrameRecord]:
        while (record := self.read_frame()) is not None:
            yield record

    def check_checkpoint(self, checkpoint_id: bytes) -> None:
        """Raise BitstreamError unless the stream was encoded with ``checkpoint_id``."""
        if self.header.checkpoint_id != checkpoint_id:
            raise self._error(f"stream was encoded with checkpoint {self.header.checkpoint_id.hex()}, "
                              f"this decoder uses {checkpoint_id.hex()}", None, _FIELD_OFFSETS["checkpoint_id"])

    def close(self) -> None:
        """Close the underlying file (if any)."""
        self._src.close()

    def __enter__(self) -> BitstreamReader:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        self.close()
