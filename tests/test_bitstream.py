"""The .vnvc container: round trips, every damage case, fuzzing, atomic writes."""

from __future__ import annotations

import dataclasses
import errno
import math
import os
import random
import struct
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest

from vnvc import bitstream
from vnvc.bitstream import (
    FORMAT_VERSION, HEADER_SIZE, MAGIC, BitstreamIOError, BitstreamReader, BitstreamWriter, FrameRecord, FrameType,
    StreamFlags, StreamHeader, encode_stream, latent_checksum,
)
from vnvc.errors import BitstreamError, InputError

HEADER = StreamHeader(checkpoint_id=bytes(range(8)), width=100, height=60, padded_width=128, padded_height=64,
                      frame_count=0, intra_period=32, rate=1.5, flags=StreamFlags.ENHANCEMENT)


def make_records(n: int, seed: int = 0, max_len: int = 300) -> list[FrameRecord]:
    """An INTRA record then INTER ones, with random payloads of 0 to max_len - 1 bytes (1- and 2-byte lengths)."""
    rng = random.Random(seed)
    return [FrameRecord(FrameType.INTRA if i == 0 else FrameType.INTER, rng.randbytes(rng.randrange(max_len)),
                        rng.getrandbits(16)) for i in range(n)]


def uleb128(value: int) -> bytes:
    """The minimal ULEB128 of ``value``, written independently of the code under test."""
    out = bytearray()
    while value >= 0x80:
        out.append(0x80 | value & 0x7F)
        value >>= 7
    return bytes(out + bytes([value]))


def crc16(data: bytes, crc: int = 0xFFFF) -> int:
    """CRC-16/IBM-3740 bit by bit, written independently of the code under test."""
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = (crc << 1 ^ 0x1021 if crc & 0x8000 else crc << 1) & 0xFFFF
    return crc


def head(record: FrameRecord) -> bytes:
    """A record's frame head: ULEB128(2 * payload length + frame type)."""
    return uleb128(2 * len(record.payload) + record.frame_type)


def record_offsets(records: list[FrameRecord]) -> list[int]:
    """Byte offset where each record starts, plus the end of the stream."""
    offsets = [HEADER_SIZE]
    for r in records:
        offsets.append(offsets[-1] + len(head(r)) + len(r.payload) + 6)
    return offsets


def raw_record(head_bytes: bytes, payload: bytes, checksum: int = 0, prev_crc: int = 0) -> bytes:
    """A record built byte by byte (any frame head) with a valid record CRC."""
    body = head_bytes + payload + struct.pack("<H", checksum)
    return body + struct.pack("<I", zlib.crc32(body, zlib.crc32(struct.pack("<I", prev_crc))))


def with_head(data: bytes, start: int, head_bytes: bytes) -> bytes:
    """``data`` with the frame head of the record at ``start`` replaced by ``head_bytes`` (CRC not updated)."""
    old = 1
    while data[start + old - 1] & 0x80:
        old += 1
    return data[:start] + head_bytes + data[start + old:]


def read_all(source) -> tuple[StreamHeader, list[FrameRecord]]:
    with BitstreamReader(source) as reader:
        return reader.header, list(reader)


def with_header(data: bytes, **changes) -> bytes:
    """``data`` with header fields replaced (bypassing validation) and the header CRC recomputed."""
    fields = list(struct.unpack_from("<4sBH8sIIIIIIf", data))
    names = ["magic", "version", "flags", "checkpoint_id", "width", "height", "padded_width", "padded_height",
             "frame_count", "intra_period", "rate"]
    for name, value in changes.items():
        fields[names.index(name)] = value
    body = struct.pack("<4sBH8sIIIIIIf", *fields)
    return body + struct.pack("<I", zlib.crc32(body)) + data[HEADER_SIZE:]


def expect_error(data, match: str, frame: int | None, offset: int) -> BitstreamError:
    with pytest.raises(BitstreamError, match=match) as info:
        read_all(data)
    err = info.value
    assert (err.frame, err.offset) == (frame, offset), str(err)
    assert f"byte offset {offset}" in str(err)
    assert (f"frame {frame}" in str(err)) == (frame is not None)
    return err


# Round trips ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [0, 1, 2, 37])
def test_round_trip_in_memory(n: int) -> None:
    records = make_records(n)
    data = encode_stream(HEADER, records)
    header, decoded = read_all(data)
    assert header == dataclasses.replace(HEADER, frame_count=n)
    assert decoded == records
    assert len(data) == record_offsets(records)[-1] == HEADER_SIZE + sum(r.size for r in records)
    assert BitstreamReader.from_bytes(bytearray(data)).header == header


def test_round_trip_empty_and_large_payloads(tmp_path: Path) -> None:
    big = np.random.default_rng(1).integers(0, 256, 3_000_000, dtype=np.uint8).tobytes()
    records = [FrameRecord(FrameType.INTRA, b"", 0), FrameRecord(FrameType.INTER, b"", 0xFFFF),
               FrameRecord(FrameType.INTER, big, 7), FrameRecord(FrameType.INTER, memoryview(big)[:5], 1),
               FrameRecord(FrameType.INTRA, bytearray(b"\x80" * 200), 2)]
    path = tmp_path / "s.vnvc"
    with BitstreamWriter(path, HEADER) as writer:
        for record in records:
            writer.write_frame(record)
    header, decoded = read_all(path)
    assert [type(r.payload) for r in decoded] == [bytes] * 5
    records[3].payload, records[4].payload = big[:5], b"\x80" * 200
    assert decoded == records and header.frame_count == 5
    assert [r.size for r in records] == [7, 7, 4 + 3_000_000 + 6, 1 + 5 + 6, 2 + 200 + 6]
    assert path.read_bytes() == encode_stream(HEADER, records)


def test_header_fields_round_trip() -> None:
    header = StreamHeader(b"\xff" * 8, 1, 1, 1, 1, 0, 0, 0.1, 0)
    assert header.rate == struct.unpack("<f", struct.pack("<f", 0.1))[0]  # rounded to float32 as stored
    assert not header.enhancement and HEADER.enhancement and type(HEADER.flags) is int
    assert read_all(encode_stream(header, []))[0] == header
    big = StreamHeader(b"\0" * 8, 2**32 - 1, 2**32 - 1, 2**32 - 1, 2**32 - 1, 0, 2**32 - 1, 3.0e38, 1)
    assert read_all(encode_stream(big, []))[0] == big


@pytest.mark.parametrize("changes", [
    dict(checkpoint_id=b"short"), dict(width=0), dict(height=-1), dict(padded_width=99), dict(padded_height=2**32),
    dict(rate=math.nan), dict(rate=-1.0), dict(rate=1e39), dict(flags=0x10000), dict(flags=0x0002),
])
def test_invalid_header_rejected_when_built(changes: dict) -> None:
    with pytest.raises(ValueError, match="invalid stream header"):
        dataclasses.replace(HEADER, **changes)


def test_reading_is_lazy(tmp_path: Path) -> None:
    records = make_records(3)
    data = bytearray(encode_stream(HEADER, records))
    data[-1] ^= 1  # damage only the last record
    path = tmp_path / "s.vnvc"
    path.write_bytes(data)
    with BitstreamReader(path) as reader:
        assert reader.read_frame() == records[0]
        assert reader.read_frame() == records[1]
        with pytest.raises(BitstreamError, match="record CRC mismatch"):
            reader.read_frame()
        with pytest.raises(BitstreamError, match="record CRC mismatch"):  # the failure sticks
            reader.read_frame()


def test_read_frame_after_end_returns_none() -> None:
    reader = BitstreamReader(encode_stream(HEADER, make_records(1)))
    assert reader.read_frame() is not None
    assert reader.read_frame() is None and reader.read_frame() is None
    assert reader.frames_read == 1


# Damage: header ------------------------------------------------------------------------------------------------

def test_bad_magic() -> None:
    data = encode_stream(HEADER, [])
    expect_error(b"RIFF" + data[4:], "bad magic", None, 0)
    expect_error(b"VX", "bad magic", None, 0)


def test_newer_version() -> None:
    data = bytearray(encode_stream(HEADER, []))
    assert data[4] == 4
    data[4] = 5
    expect_error(bytes(data), r"stream format version 5 is newer than this decoder supports \(4\)", None, 4)
    expect_error(bytes(data[:5]), "version 5 is newer", None, 4)  # reported before the header is complete
    data[4] = 255
    expect_error(bytes(data), r"stream format version 255 is newer than this decoder supports \(4\)", None, 4)
    data[4] = 0
    expect_error(bytes(data), "stream format version 0 is not valid", None, 4)


def test_version_1_no_longer_supported() -> None:
    # A version 1 stream: same header, then type, payload count, a u32 length per payload, checksum, CRC.
    body = bytes([0, 2]) + struct.pack("<I", 2) + b"\x01\x02" + struct.pack("<I", 0) + struct.pack("<I", 0)
    v1 = with_header(encode_stream(HEADER, []), version=1, frame_count=1)
    v1 += body + struct.pack("<I", zlib.crc32(body, zlib.crc32(b"\0\0\0\0")))
    message = (r"stream format version 1 \(a payload per latent\) is no longer supported: encode the video again "
               r"to get version 4")
    expect_error(v1, message, None, 4)
    expect_error(v1[:5], message, None, 4)


@pytest.mark.parametrize("version, reason", [
    (2, r"an older entropy-coder flush"), (3, r"a frame-type byte and a 32-bit latent checksum"),
])
def test_versions_2_and_3_no_longer_supported(version: int, reason: str) -> None:
    # Only the header's version is read: a reader rejects the stream before its first record.
    old = with_header(encode_stream(HEADER, [FrameRecord(FrameType.INTRA, b"\x01\x02", 0)]), version=version)
    message = (rf"stream format version {version} \({reason}\) is no longer supported: encode the video again to "
               r"get version 4")
    expect_error(old, message, None, 4)


@pytest.mark.parametrize("cut", range(HEADER_SIZE))
def test_truncated_header(cut: int) -> None:
    expect_error(encode_stream(HEADER, make_records(1))[:cut], f"truncated header: {cut} of {HEADER_SIZE}", None, cut)


@pytest.mark.parametrize("position", [5, 7, 15, 31, 39, 43, 46])
def test_header_crc_mismatch(position: int) -> None:
    data = bytearray(encode_stream(HEADER, make_records(1)))
    data[position] ^= 0x40
    expect_error(bytes(data), "header CRC mismatch", None, 43)


@pytest.mark.parametrize("changes, offset, match", [
    (dict(width=0), 15, "width is 0"),
    (dict(padded_height=10), 27, "padded_height 10 is less than height 60"),
    (dict(flags=0x8001), 5, "reserved flag bits 0x8000"),
    (dict(rate=math.inf), 39, "rate inf"),
    (dict(rate=-2.0), 39, "rate -2.0"),
])
def test_invalid_header_fields(changes: dict, offset: int, match: str) -> None:
    expect_error(with_header(encode_stream(HEADER, []), **changes), match, None, offset)


def test_wrong_checkpoint() -> None:
    reader = BitstreamReader(encode_stream(HEADER, []))
    reader.check_checkpoint(bytes(range(8)))
    with pytest.raises(BitstreamError, match="encoded with checkpoint 0001020304050607, this decoder uses ff") as info:
        reader.check_checkpoint(b"\xff" * 8)
    assert info.value.offset == 7


# Damage: records -----------------------------------------------------------------------------------------------

def test_truncated_anywhere_in_records() -> None:
    records = make_records(4, seed=2)
    data = encode_stream(HEADER, records)
    starts = record_offsets(records)
    assert {len(head(r)) for r in records} == {1, 2}  # both head sizes are cut
    seen = set()
    for cut in range(HEADER_SIZE, len(data)):
        frame = max(i for i, s in enumerate(starts[:-1]) if s <= cut)
        start, length = starts[frame], len(records[frame].payload)
        if cut == start:
            kind, match, offset = "end", f"stream ends after {frame} frames but the header says 4", cut
        elif cut < start + len(head(records[frame])):
            kind, match, offset = "head", r"truncated record: frame head needs 1 bytes, 0 remain", cut
        else:
            remain = cut - start - len(head(records[frame]))
            kind, match, offset = "past_end", (rf"truncated or damaged record: payload length {length} runs past the "
                                               rf"end of the stream \(the record needs {length + 6} more bytes, "
                                               rf"{remain} remain\)"), start
        seen.add(kind)
        expect_error(data[:cut], match, frame, offset)
    assert seen == {"end", "head", "past_end"}


def test_fewer_frames_than_header() -> None:
    records = make_records(3)
    data = with_header(encode_stream(HEADER, records), frame_count=5)
    expect_error(data, "stream ends after 3 frames but the header says 5", 3, len(data))


def test_more_frames_than_header() -> None:
    records = make_records(3)
    data = with_header(encode_stream(HEADER, records), frame_count=2)
    expect_error(data, "more frames than the header's frame count 2", 2, record_offsets(records)[2])


def test_trailing_garbage() -> None:
    data = encode_stream(HEADER, make_records(2))
    expect_error(data + b"\0", "1 bytes of trailing data after the last frame", 2, len(data))
    expect_error(data + data[HEADER_SIZE:], "trailing data", 2, len(data))  # records chained to another position


def test_record_crc_mismatch() -> None:
    records = make_records(3)
    starts = record_offsets(records)
    data = encode_stream(HEADER, records)
    body = starts[1] + len(head(records[1]))  # payload, checksum and CRC
    assert starts[2] - body >= 6
    for position, bits in [(starts[1], (0,)), *((p, (0, 7)) for p in range(body, starts[2]))]:
        for bit in bits:  # the head's frame type bit (its length bits move the record's end), then the rest
            damaged = bytearray(data)
            damaged[position] ^= 1 << bit
            expect_error(bytes(damaged), "record CRC mismatch", 1, starts[1])


def test_reordered_records_detected() -> None:
    records = make_records(3)
    starts = record_offsets(records)
    data = encode_stream(HEADER, records)
    swapped = data[:starts[1]] + data[starts[2]:starts[3]] + data[starts[1]:starts[2]]
    expect_error(swapped, "record CRC mismatch", 1, starts[1])


@pytest.mark.parametrize("head_bytes, hostile", [
    (b"\xff\xff\xff\xff\x1f", 0xFFFFFFFF), (b"\xff\xff\xff\xff\x0f", 0x7FFFFFFF), (b"\x81\x80\x80\x80\x08", 1 << 30),
    (b"\x81\x80\x80\x80\x02", 1 << 28), (b"\x81\x80\x80\x02", 1 << 21),
])
def test_hostile_payload_length(head_bytes: bytes, hostile: int) -> None:
    assert uleb128(2 * hostile + 1) == head_bytes
    records = make_records(2)
    starts = record_offsets(records)
    data = with_head(encode_stream(HEADER, records), starts[1], head_bytes)
    tracemalloc.start()
    try:
        expect_error(data, f"truncated or damaged record: payload length {hostile} runs past the end of the stream",
                     1, starts[1])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000


def test_payload_length_bound_is_exact() -> None:
    records = [FrameRecord(FrameType.INTRA, b"\xaa" * 50, 5)]
    data = encode_stream(HEADER, records)
    assert data[HEADER_SIZE] == 100
    remain = len(data) - HEADER_SIZE - 1  # after the head: payload, checksum and CRC
    expect_error(with_head(data, HEADER_SIZE, bytes([102])),
                 rf"payload length 51 runs past the end of the stream \(the record needs 57 more bytes, {remain} "
                 r"remain\)", 0, HEADER_SIZE)
    # One byte shorter fits: the record is read and only its CRC can tell.
    expect_error(with_head(data, HEADER_SIZE, bytes([98])), "record CRC mismatch", 0, HEADER_SIZE)
    # The unchanged length, exactly what remains, reads cleanly; raw_record builds the same bytes.
    assert read_all(data)[1] == records
    fits = raw_record(bytes([100]), b"\xaa" * 50, 5)
    assert with_header(encode_stream(HEADER, []), frame_count=1) + fits == data


def test_hostile_payload_length_and_frame_count() -> None:
    data = with_header(encode_stream(HEADER, []) + b"\xff\xff\xff\xff\x1f" + b"\xff" * 30, frame_count=2**32 - 1)
    expect_error(data, "payload length 4294967295 runs past the end", 0, HEADER_SIZE)


@pytest.mark.parametrize("head_bytes", [b"\x80" * 5 + b"\x00", b"\xff" * 6, b"\xff" * 5, b"\x80" * 40])
def test_overlong_frame_head(head_bytes: bytes) -> None:
    # Valid-looking bytes follow and the record CRC covers them: only the head's size rejects it.
    data = with_header(encode_stream(HEADER, []), frame_count=1) + raw_record(head_bytes, b"", 0) + bytes(64)
    expect_error(data, "damaged record: frame head runs over 5 bytes", 0, HEADER_SIZE)


@pytest.mark.parametrize("head_bytes", [
    b"\x80\x00", b"\xff\x00", b"\x81\x80\x00", b"\x80\x80\x80\x80\x00",  # not minimal
    b"\x80\x80\x80\x80\x20", b"\xff\xff\xff\xff\x7f",  # 2**33, 2**35 - 1
])
def test_damaged_frame_head(head_bytes: bytes) -> None:
    value = sum((b & 0x7F) << 7 * i for i, b in enumerate(head_bytes))
    payload = bytes(value >> 1) if value < 1000 else b""
    # The record CRC is valid over these bytes, so without the check a non-minimal head would read cleanly.
    data = with_header(encode_stream(HEADER, []), frame_count=1) + raw_record(head_bytes, payload, 9)
    expect_error(data, rf"damaged record: frame head bytes {head_bytes.hex()} are not a minimal ULEB128 of at "
                       r"most 2\*\*33 - 1", 0, HEADER_SIZE)


@pytest.mark.parametrize("tail", [b"\x80", b"\x80\x80", b"\xff\xff\xff\xff"])
def test_truncated_frame_head(tail: bytes) -> None:
    data = with_header(encode_stream(HEADER, []), frame_count=1) + tail
    expect_error(data, "truncated record: frame head needs 1 bytes, 0 remain", 0, len(data))


@pytest.mark.parametrize("length", [0, 1, 63, 64, 127, 128, 300, 8191, 8192, 16384, 2**21])
def test_frame_head_encoding(length: int) -> None:
    payload = random.Random(length).randbytes(length)
    records = [FrameRecord(FrameType.INTER, payload, 3), FrameRecord(FrameType.INTRA, b"\x07", 4)]
    data = encode_stream(HEADER, records)
    varint = uleb128(2 * length + 1)  # the frame type in the lowest bit, INTER 1
    assert len(varint) == 1 + (length >= 64) + (length >= 8192) + (length >= 2**20)
    assert data[HEADER_SIZE:HEADER_SIZE + len(varint)] == varint
    assert data[HEADER_SIZE + len(varint):HEADER_SIZE + len(varint) + length] == payload
    second = HEADER_SIZE + records[0].size
    assert data[second] == 2  # INTRA 0, one byte of payload
    assert records[0].size == len(varint) + length + 6 and records[0].payload_bytes == length
    assert len(data) == second + records[1].size
    assert read_all(data)[1] == records


@pytest.mark.parametrize("value, encoded", [
    (0, "00"), (1, "01"), (127, "7f"), (128, "8001"), (300, "ac02"), (16383, "ff7f"), (16384, "808001"),
    (2**28 - 1, "ffffff7f"), (2**28, "8080808001"), (2**32 - 1, "ffffffff0f"), (2**33 - 1, "ffffffff1f"),
])
def test_varint(value: int, encoded: str) -> None:
    assert bitstream.uleb128(value) == uleb128(value) == bytes.fromhex(encoded)


def test_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.vnvc"
    path.write_bytes(encode_stream(HEADER, make_records(2))[:-3])
    with pytest.raises(BitstreamError, match=f"^{path}: truncated"):
        read_all(path)
    with pytest.raises(BitstreamIOError, match="cannot read .*missing.vnvc") as info:
        BitstreamReader(tmp_path / "missing.vnvc")
    assert isinstance(info.value, InputError) and isinstance(info.value, OSError)
    assert info.value.errno == errno.ENOENT


# Fuzzing -------------------------------------------------------------------------------------------------------

def mutate(data: bytes, rng: random.Random) -> bytes:
    kind = rng.randrange(5)
    pos = rng.randrange(len(data))
    if kind == 0:
        return data[:pos]
    if kind == 1:
        return data[:pos] + bytes([data[pos] ^ (1 << rng.randrange(8))]) + data[pos + 1:]
    if kind == 2:
        return data[:pos] + bytes([rng.randrange(256)]) + data[pos + 1:]
    if kind == 3:
        return data[:pos] + rng.randbytes(rng.randrange(1, 9)) + data[pos:]
    return data[:pos] + data[pos + rng.randrange(1, 9):]


def test_fuzz_every_change_is_detected() -> None:
    rng = random.Random(1234)
    records = make_records(5, max_len=160)
    data = encode_stream(HEADER, records)
    outcomes = {"error": 0, "unchanged": 0}
    for _ in range(3000):
        damaged = mutate(data, rng)
        try:
            header, decoded = read_all(damaged)
        except BitstreamError:
            outcomes["error"] += 1
            continue
        assert damaged == data, "a changed stream was read without error"
        assert decoded == records
        outcomes["unchanged"] += 1
    assert outcomes["error"] > 2500


def test_latent_checksum() -> None:
    a = np.arange(-5, 7, dtype=np.int32).reshape(1, 3, 2, 2)
    b = np.array([[1 << 20]], dtype=np.int64)
    expected = crc16(b.astype("<i4").tobytes(), crc16(a.astype("<i4").tobytes()))
    assert latent_checksum([a, b]) == expected
    assert latent_checksum([a[:, :, ::-1]]) == crc16(np.ascontiguousarray(a[:, :, ::-1]).tobytes())
    assert latent_checksum([]) == 0xFFFF
    assert crc16(b"123456789") == bitstream.crc16(b"123456789") == 0x29B1  # the catalogued check value


# Writing -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("declared, written", [(0, 3), (10, 2), (3, 3), (5, 0)])
def test_writer_patches_frame_count(tmp_path: Path, declared: int, written: int) -> None:
    records = make_records(written)
    path = tmp_path / "s.vnvc"
    with BitstreamWriter(path, dataclasses.replace(HEADER, frame_count=declared)) as writer:
        for record in records:
            writer.write_frame(record)
    assert writer.header.frame_count == written
    header, decoded = read_all(path)
    assert header.frame_count == written and decoded == records
    assert os.listdir(tmp_path) == ["s.vnvc"]


def test_exception_inside_writer_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s.vnvc"
    with pytest.raises(RuntimeError):
        with BitstreamWriter(path, HEADER) as writer:
            writer.write_frame(make_records(1)[0])
            assert len(os.listdir(tmp_path)) == 1  # the temporary file
            raise RuntimeError("encoder failed")
    assert os.listdir(tmp_path) == []


def test_abort_keeps_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "s.vnvc"
    path.write_bytes(b"old")
    writer = BitstreamWriter(path, HEADER)
    writer.write_frame(make_records(1)[0])
    writer.abort()
    writer.abort()
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["s.vnvc"]
    with pytest.raises(ValueError, match="closed"):
        writer.write_frame(make_records(1)[0])


@pytest.mark.parametrize("record, match", [
    (FrameRecord(FrameType.INTRA, b"", 2**16), "latent_checksum 65536 is not an unsigned 16-bit integer"),
    (FrameRecord(FrameType.INTER, b"x", -1), "latent_checksum -1 is not an unsigned 16-bit integer"),
    (FrameRecord(2, b"", 0), "2 is not a valid FrameType"),
])
def test_invalid_record_aborts_inside_context(tmp_path: Path, record: FrameRecord, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        with BitstreamWriter(tmp_path / "s.vnvc", HEADER) as writer:
            writer.write_frame(make_records(1)[0])
            writer.write_frame(record)
    assert os.listdir(tmp_path) == []
    with pytest.raises(ValueError, match=match):
        encode_stream(HEADER, [record])


def test_unwritable_folder(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(BitstreamIOError, match="cannot write .*file/s.vnvc") as info:
        BitstreamWriter(tmp_path / "file" / "s.vnvc", HEADER)
    assert isinstance(info.value, OSError) and info.value.errno == errno.ENOTDIR
    assert os.listdir(tmp_path) == ["file"]


class _FullFile:
    """A file that fails with ENOSPC once more than ``limit`` bytes were written."""

    def __init__(self, file, limit: int):
        self._file, self._left = file, limit

    def write(self, data) -> int:
        self._left -= memoryview(data).nbytes
        if self._left < 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self._file.write(data)

    def __getattr__(self, name: str):
        return getattr(self._file, name)


@pytest.mark.parametrize("limit", [10, 100])
def test_disk_full_removes_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    real_fdopen = os.fdopen
    monkeypatch.setattr(bitstream.os, "fdopen", lambda fd, mode: _FullFile(real_fdopen(fd, mode), limit))
    with pytest.raises(OSError) as info:
        with BitstreamWriter(tmp_path / "s.vnvc", HEADER) as writer:
            for record in make_records(5):
                writer.write_frame(record)
    assert isinstance(info.value, BitstreamIOError) and info.value.errno == errno.ENOSPC
    assert "No space left on device" in str(info.value)
    assert os.listdir(tmp_path) == []


def test_failure_on_close_removes_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_fsync(fd: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(bitstream.os, "fsync", failing_fsync)
    with pytest.raises(BitstreamIOError, match="cannot write"):
        with BitstreamWriter(tmp_path / "s.vnvc", HEADER) as writer:
            writer.write_frame(make_records(1)[0])
    assert os.listdir(tmp_path) == []


def test_format_constants() -> None:
    assert (MAGIC, FORMAT_VERSION, HEADER_SIZE, bitstream._MAX_VARINT_BYTES) == (b"VNVC", 4, 47, 5)
    assert not hasattr(bitstream, "MAX_PAYLOADS")


def test_spec_example_matches_docs() -> None:
    text = (Path(__file__).resolve().parents[1] / "docs" / "bitstream.md").read_text()
    block = text.split("<!-- example-stream")[1].split("```text\n")[1].split("```")[0]
    expected = bytes.fromhex("".join(line.split(":", 1)[1] for line in block.splitlines()))
    header = StreamHeader(bytes(range(8)), 60, 40, 64, 64, 0, 32, 1.5, StreamFlags.ENHANCEMENT)
    records = [FrameRecord(FrameType.INTRA, b"\x01\x02", 0x1234), FrameRecord(FrameType.INTER, b"\xff", 0),
               FrameRecord(FrameType.INTER, b"", 0xFFFF)]
    assert encode_stream(header, records) == expected
    assert [r.size for r in records] == [9, 8, 7] and len(expected) == 47 + 24
    assert expected[4] == 4 and struct.unpack_from("<I", expected, 43)[0] == zlib.crc32(expected[:43]) == 0x3F19F3F5
    # The record CRCs, recomputed from the bytes as the spec describes: CRC-32(u32le(prev_crc) || record[:-4]).
    crcs, prev, starts = [], 0, [47, 56, 64, 71]
    for a, b in zip(starts, starts[1:]):
        prev = zlib.crc32(expected[a:b - 4], zlib.crc32(struct.pack("<I", prev)))
        assert struct.unpack_from("<I", expected, b - 4)[0] == prev
        crcs.append(prev)
    assert crcs == [0xE02283DA, 0x859CBD33, 0xD32694CA]
    for crc in (0x3F19F3F5, *crcs):
        assert f"0x{crc:08X}" in text
    assert zlib.crc32(b"123456789") == 0xCBF43926
