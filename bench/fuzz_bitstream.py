"""Fuzz the .vnvc reader: damaged streams must raise BitstreamError, never another exception.

Mutates small and realistically sized streams (truncation, bit flips, inserted/deleted/duplicated bytes, hostile
payload lengths (huge, off by a few; frame heads over-long, non-minimal or above 2**33 - 1) and u32 values, swapped
records, several at once; header fields rewritten with a valid header CRC) and decodes each, from bytes and now and
then from a file. A read that succeeds on changed bytes (other than a validly rewritten
header), any other exception, an error without an offset inside the stream, or traced memory beyond twice the
stream size (plus slack) counts as a failure; the exit status is 1 if there is any.

    python bench/fuzz_bitstream.py --iterations 100000 --out bench/results/fuzz_bitstream.json
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import random
import resource
import struct
import sys
import tempfile
import time
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vnvc.bitstream import (  # noqa: E402
    HEADER_SIZE, BitstreamReader, FrameRecord, FrameType, StreamFlags, StreamHeader, encode_stream, uleb128,
)
from vnvc.errors import BitstreamError  # noqa: E402

# Phrases of the reader's messages, most specific first (docs/bitstream.md, "Reading: checks, in order").
ERROR_KINDS = [
    ("bad_magic", "bad magic"), ("newer_version", "is newer than this decoder"),
    ("old_version", "is no longer supported"), ("invalid_version", "stream format version"),
    ("truncated_header", "truncated header"), ("header_crc", "header CRC mismatch"),
    ("invalid_header", "invalid header"), ("length_past_end", "truncated or damaged record"),
    ("bad_head", "damaged record: frame head"), ("truncated_record", "truncated record"),
    ("fewer_frames", "stream ends after"), ("record_crc", "record CRC mismatch"),
    ("trailing_data", "trailing data"), ("more_frames", "more frames than the header"),
]
HOSTILE_U32 = [0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFF0]
# Frame heads no valid stream holds: over 5 bytes, not minimal, above 2**33 - 1.
MALFORMED_VARINTS = [b"\x80" * 5 + b"\x00", b"\xff" * 6, b"\xff" * 5, b"\x80\x00", b"\xff\x00",
                     b"\x80\x80\x80\x80\x00", b"\xff\xff\xff\xff\x3f", b"\x80\x80\x80\x80\x20"]
MEMORY_SLACK = 256 * 1024  # interpreter noise allowed on top of the stream-size bound


def make_stream(rng: random.Random, frames: int, intra_sizes: list[int], inter_sizes: list[int],
                intra_period: int) -> bytes:
    """A stream whose latents' sizes vary by ±50% around the given ones; each frame's latents share one payload."""
    records = []
    for i in range(frames):
        intra = i % intra_period == 0
        sizes = intra_sizes if intra else inter_sizes
        payload = rng.randbytes(sum(max(0, int(s * rng.uniform(0.5, 1.5))) for s in sizes))
        records.append(FrameRecord(FrameType.INTRA if intra else FrameType.INTER, payload, rng.getrandbits(16)))
    header = StreamHeader(rng.randbytes(8), 1920, 1080, 1920, 1088, frames, intra_period, 2.5,
                          StreamFlags.ENHANCEMENT)
    return encode_stream(header, records)


def corpus(rng: random.Random) -> dict[str, bytes]:
    """Streams to mutate: tiny, empty, small and realistic (1080p-like payload sizes: z, y / mv z, mv y, z, y)."""
    return {
        "empty": make_stream(rng, 0, [], [], 32),
        "empty_payloads": make_stream(rng, 3, [0, 0], [0, 0, 0, 0], 2),
        "small": make_stream(rng, 6, [8, 24], [4, 12, 4, 16], 4),
        "realistic_low_rate": make_stream(rng, 12, [400, 12_000], [40, 600, 120, 2_500], 8),
        "realistic_high_rate": make_stream(rng, 6, [1_500, 90_000], [150, 4_000, 600, 30_000], 32),
    }


def head_field(data: bytes, start: int) -> tuple[int, int]:
    """The payload length of the record at ``start`` and the size of its frame head; in already damaged data, what
    is there up to 5 bytes or the end of the data."""
    value = size = 0
    while start + size < len(data) and size < 5:
        byte = data[start + size]
        value |= (byte & 0x7F) << 7 * size
        size += 1
        if byte < 0x80:
            break
    return value >> 1, size


def record_starts(data: bytes) -> list[int]:
    """Offsets of the records of an undamaged stream, plus its end."""
    starts, pos = [HEADER_SIZE], HEADER_SIZE
    while pos < len(data):
        length, size = head_field(data, pos)
        pos += size + length + 6
        starts.append(pos)
    return starts


def m_truncate(data: bytes, rng: random.Random, starts: list[int]) -> bytes:
    if rng.random() < 0.3:  # at a record boundary: only the frame count reveals it
        return data[:rng.choice(starts)]
    return data[:rng.randrange(len(data))]


def m_flip_bit(data: bytes, rng: random.Random, starts: list[int]) -> bytes:
    pos = rng.randrange(len(data))
    return data[:pos] + bytes([data[pos] ^ (1 << rng.randrange(8))]) + data[pos + 1:]


def m_random_byte(data: bytes, rng: random.Random, starts: list[int]) -> bytes:
    pos = rng.randrange(len(data))
    return data[:pos] + bytes([rng.randrange(256)]) + data[pos + 1:]


def m_insert(data: bytes, rng: random.Random, starts: list[int]) -> bytes:
    pos = rng.randrange(len(data) + 1)
    return data[:pos] + rng.randbytes(rng.choice([1, 2, 4, 8, 100])) + data[pos:]


def m_delete(data: bytes, rng: random.Random, starts: list[int]) -> bytes:
    pos = rng.randrange(len(data))
    return data[:pos] + data[pos + rng.choice([1, 2, 4, 8, 100]):]


def m_duplicate(data: bytes, rng: random.Random, starts: list[int]) -> bytes:
    if len(starts) > 2 and rng.random() < 0.5:  # a whole record
        i = rng.randrange(len(starts) - 1)
        return data[:starts[i + 1]] + data[starts[i]:starts[i + 1]] + data[starts[i + 1]:]
    pos = rng.randrange(len(data))
    return data[:pos] + data[pos:pos + rng.randrange(1, 64)] + data[pos:]


def m_hostile_length(data: bytes, rng: random.Random, starts: list[int]) -> bytes:
    """Half the time replace a record's frame head (its payload length), else write a hostile u32 anywhere."""
    if len(data) < 4:
        return data + b"\xff"
    if len(starts) > 1 and rng.random() < 0.5 and starts[0] < len(data):
        start = rng.choice([s for s in starts[:-1] if s < len(data)])
        _, size = head_field(data, start)
        after = start + size  # where the payload begins
        if rng.random() < 0.3:
            varint = rng.choice(MALFORMED_VARINTS)
        else:
            length = rng.choice(HOSTILE_U32 + [len(data) - after - 6 + rng.randrange(-8, 8) & 0xFFFFFFFF])
            varint = uleb128(2 * length + data[start] % 2)  # the frame type kept
        return data[:start] + varint + data[after:]
    pos = rng.randrange(len(data) - 3)
    value = rng.choice(HOSTILE_U32 + [len(data) - pos + rng.randrange(-8, 8) & 0xFFFFFFFF])
    return data[:pos] + struct.pack("<I", value) + data[pos + 4:]


def m_swap_records(data: bytes, rng: random.Random, starts: list[int]) -> bytes:
    if len(starts) < 3:
        return data[:-1]
    i = rng.randrange(len(starts) - 2)
    a, b, c = starts[i], starts[i + 1], starts[i + 2]
    return data[:a] + data[b:c] + data[a:b] + data[c:]


def m_append(data: bytes, rng: random.Random, starts: list[int]) -> bytes:
    if len(starts) > 1 and rng.random() < 0.5:
        return data + data[starts[-2]:]  # the last record again
    return data + rng.randbytes(rng.choice([1, 10, 1000]))


def m_header_field(data: bytes, rng: random.Random, starts: list[int]) -> bytes:
    """Rewrite one header field and recompute the header CRC, so only semantic checks can catch it."""
    if len(data) < HEADER_SIZE:
        return data[:len(data) // 2]
    body = bytearray(data[:HEADER_SIZE - 4])
    field = rng.choice([(4, "<B"), (5, "<H"), (15, "<I"), (19, "<I"), (23, "<I"), (27, "<I"), (31, "<I"),
                        (35, "<I"), (39, "<f"), (7, "<Q")])
    offset, fmt = field
    if fmt == "<f":
        value = rng.choice([float("nan"), float("inf"), -1.0, 0.0, 7.25])
    else:
        value = rng.choice([rng.randrange(1 << (8 * struct.calcsize(fmt))), rng.randrange(16)])
    struct.pack_into(fmt, body, offset, value)
    return bytes(body) + struct.pack("<I", zlib.crc32(body)) + data[HEADER_SIZE:]


MUTATIONS: dict[str, Callable[[bytes, random.Random, list[int]], bytes]] = {
    f.__name__[2:]: f for f in (m_truncate, m_flip_bit, m_random_byte, m_insert, m_delete, m_duplicate,
                                m_hostile_length, m_swap_records, m_append, m_header_field)
}


def mutate(data: bytes, rng: random.Random, starts: list[int]) -> tuple[bytes, list[str]]:
    """A damaged copy of ``data`` and the mutations applied; ``header_field`` is only ever applied alone."""
    if rng.random() < 0.05:
        return m_header_field(data, rng, starts), ["header_field"]
    names = rng.sample(sorted(set(MUTATIONS) - {"header_field"}), rng.choice([1, 1, 1, 2, 3]))
    for name in names:
        data = MUTATIONS[name](data, rng, starts) if data else rng.randbytes(rng.randrange(8))
    return data, names


def decode(source: bytes | str) -> int:
    """Read the whole stream; the number of payload bytes read."""
    with BitstreamReader(source) as reader:
        return sum(record.payload_bytes for record in reader)


def classify(err: BitstreamError) -> str:
    message = str(err)
    return next((kind for kind, phrase in ERROR_KINDS if phrase in message), "other_bitstream_error")


def run(iterations: int, seed: int, file_every: int, memory_every: int) -> dict:
    rng = random.Random(seed)
    streams = corpus(rng)
    starts = {name: record_starts(data) for name, data in streams.items()}
    names = sorted(streams)
    kinds: collections.Counter[str] = collections.Counter()
    mutations: collections.Counter[str] = collections.Counter()
    failures: list[dict] = []
    clean_unchanged = clean_resigned = 0
    max_time, total_time = 0.0, 0.0
    max_bound_fraction, max_peak = 0.0, 0
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "fuzz.vnvc")
        for i in range(iterations):
            name = rng.choice(names)
            original = streams[name]
            data, applied = mutate(original, rng, starts[name])
            mutations.update(applied)
            source: bytes | str = data
            if i % file_every == 0:
                with open(path, "wb") as f:
                    f.write(data)
                source = path
            measure = i % memory_every == 0
            if measure:
                tracemalloc.start()
            t0 = time.perf_counter()
            problem = None
            try:
                decode(source)
                if data == original:
                    clean_unchanged += 1
                elif applied == ["header_field"]:  # a different but valid header, CRC and all
                    clean_resigned += 1
                else:
                    problem = "changed stream read without error"
            except BitstreamError as err:
                kinds[classify(err)] += 1
                if err.offset is None or not 0 <= err.offset <= len(data):
                    problem = f"error offset {err.offset} outside the stream: {err}"
            except Exception as err:  # the failure this bench exists to find
                problem = f"{type(err).__name__}: {err}"
            elapsed = time.perf_counter() - t0
            if measure:
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                max_peak = max(max_peak, peak)
                bound = 2 * len(data) + MEMORY_SLACK
                max_bound_fraction = max(max_bound_fraction, peak / bound)
                if peak > bound:
                    problem = problem or f"peak memory {peak} bytes for a {len(data)}-byte stream"
            else:
                max_time = max(max_time, elapsed)
                total_time += elapsed
            if problem is not None:
                failures.append({"iteration": i, "stream": name, "mutations": applied, "length": len(data),
                                 "from_file": source == path, "problem": problem})
    timed = iterations - len(range(0, iterations, memory_every))
    return {
        "iterations": iterations,
        "seed": seed,
        "streams": {name: len(data) for name, data in streams.items()},
        "mutations": dict(sorted(mutations.items())),
        "outcomes": {
            "bitstream_error": sum(kinds.values()),
            "bitstream_error_by_kind": dict(sorted(kinds.items())),
            "clean_read_unchanged": clean_unchanged,
            "clean_read_valid_rewritten_header": clean_resigned,
            "failures": len(failures),
        },
        "failure_examples": failures[:20],
        "max_decode_seconds": max_time,
        "mean_decode_seconds": total_time / max(timed, 1),
        "memory": {
            "sampled_every": memory_every,
            "max_tracemalloc_peak_bytes": max_peak,
            "bound": "2 * stream bytes + 256 KiB",
            "max_peak_fraction_of_bound": max_bound_fraction,
            "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        },
        "python": platform.python_version(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--file-every", type=int, default=50, help="decode every Nth stream from a file")
    parser.add_argument("--memory-every", type=int, default=20, help="trace allocations of every Nth decode")
    parser.add_argument("--out", type=Path, help="write the JSON result here")
    args = parser.parse_args()
    t0 = time.perf_counter()
    result = run(args.iterations, args.seed, args.file_every, args.memory_every)
    result["wall_seconds"] = time.perf_counter() - t0
    text = json.dumps(result, indent=2)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    print(text)
    return 1 if result["outcomes"]["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
