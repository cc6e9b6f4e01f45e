"""vnvc._native: exact round trips, escapes, byte-exact agreement with a pure-Python reference rANS, argument
checking and robustness against damaged data."""

from __future__ import annotations

import bisect
import struct

import numpy as np
import pytest

from vnvc.entropy.cdf import PRECISION, build_cdfs

native = pytest.importorskip("vnvc._native", reason="native coder not built (python setup.py build_ext --inplace)")

TOTAL = 1 << PRECISION
LOWER = 1 << 31
INITIAL = 1
I32_MIN, I32_MAX = -(2**31), 2**31 - 1


# --- pure-Python reference of the stream format (docs/entropy.md) ----------------------------------------------
def _chunks(u: int) -> list[tuple[int, int]]:
    """Escape payload after the length field: (value, bits) in decoding order."""
    out, rest = [], u.bit_length() - 1
    while rest > 0:
        b = min(rest, 16)
        rest -= b
        out.append(((u >> rest) & ((1 << b) - 1), b))
    return out


def ref_encode_segments(segments) -> bytes:
    """Segments (symbols, indexes, cdfs, lengths, offsets) in decoding order, coded last to first."""
    if not any(np.size(segment[0]) for segment in segments):
        return b""
    x, words = INITIAL, []

    def put(start: int, freq: int) -> None:
        nonlocal x
        if x >= freq << (63 - PRECISION):
            words.append(x & 0xFFFFFFFF)
            x >>= 32
        x = (x // freq) * TOTAL + x % freq + start

    for symbols, indexes, cdfs, lengths, offsets in reversed(segments):
        symbols, indexes = [int(s) for s in np.ravel(symbols)], [int(t) for t in np.ravel(indexes)]
        for i in reversed(range(len(symbols))):
            t = indexes[i]
            c, regular = [int(v) for v in cdfs[t]], int(lengths[t]) - 2
            v = symbols[i] - int(offsets[t])
            if 0 <= v < regular:
                put(c[v], c[v + 1] - c[v])
                continue
            u = 2 * (-v - 1) + 1 if v < 0 else 2 * (v - regular)
            for value, b in reversed(_chunks(u)):
                put(value << (PRECISION - b), 1 << (PRECISION - b))
            put(u.bit_length() << (PRECISION - 6), 1 << (PRECISION - 6))
            put(c[regular], c[regular + 1] - c[regular])
    if x >> 32:
        words.append(x & 0xFFFFFFFF)
        x >>= 32
    state = x.to_bytes((x.bit_length() + 7) // 8, "little")
    return state + struct.pack(f"<{len(words)}I", *reversed(words))


def ref_encode(symbols, indexes, cdfs, lengths, offsets) -> bytes:
    return ref_encode_segments([(symbols, indexes, cdfs, lengths, offsets)])


def ref_decode_segments(data: bytes, segments) -> list[np.ndarray]:
    """Segments (indexes, cdfs, lengths, offsets) in decoding order."""
    k = (len(data) - 1) % 4 + 1 if data else 0
    x = int.from_bytes(data[:k], "little") if data else INITIAL
    words, pos = struct.unpack(f"<{(len(data) - k) // 4}I", data[k:]), 0

    def refill() -> None:
        nonlocal x, pos
        if x < LOWER and pos < len(words):
            x, pos = (x << 32) | words[pos], pos + 1

    def get(c: list[int]) -> int:
        nonlocal x
        cum = x & (TOTAL - 1)
        s = bisect.bisect_right(c, cum) - 1
        x = (c[s + 1] - c[s]) * (x >> PRECISION) + cum - c[s]
        refill()
        return s

    def bits(b: int) -> int:
        return get([k << (PRECISION - b) for k in range((1 << b) + 1)])

    refill()
    decoded = []
    for indexes, cdfs, lengths, offsets in segments:
        out = []
        for t in (int(t) for t in np.ravel(indexes)):
            regular = int(lengths[t]) - 2
            s = get([int(v) for v in cdfs[t][: regular + 2]])
            if s < regular:
                out.append(int(offsets[t]) + s)
                continue
            n = bits(6)
            u = 1 if n else 0
            for _, b in _chunks(1 << (n - 1) if n else 0):
                u = (u << b) | bits(b)
            out.append(int(offsets[t]) + (-(u >> 1) - 1 if u & 1 else regular + (u >> 1)))
        decoded.append(np.array(out, dtype=np.int32))
    assert pos == len(words) and x == INITIAL
    return decoded


def ref_decode(data: bytes, indexes, cdfs, lengths, offsets) -> np.ndarray:
    return ref_decode_segments(data, [(indexes, cdfs, lengths, offsets)])[0]


# --- fixtures ----------------------------------------------------------------------------------------------------
def gaussian_tables(scales=(0.11, 0.5, 1.0, 3.0, 20.0)):
    """Discretized Gaussian tables of support +-ceil(4 scale) around offset -K."""
    from scipy.special import ndtr

    extents = [max(0, int(np.ceil(4 * s))) for s in scales]
    width = 2 * max(extents) + 1
    pmfs = np.zeros((len(scales), width))
    for t, (s, k) in enumerate(zip(scales, extents)):
        v = np.arange(-k, k + 1)
        pmfs[t, : 2 * k + 1] = ndtr((v + 0.5) / s) - ndtr((v - 0.5) / s)
    sizes = np.array([2 * k + 1 for k in extents])
    tails = 1 - pmfs.sum(axis=1)
    cdfs, lengths = build_cdfs(pmfs, sizes, tails)
    return cdfs.numpy(), lengths.numpy(), np.array([-k for k in extents], dtype=np.int32)


def random_tables(rng: np.random.Generator, count: int = 6, max_symbols: int = 40):
    lengths = rng.integers(2, max_symbols + 2, size=count)
    cdfs = np.zeros((count, lengths.max()), dtype=np.int32)
    for t, n in enumerate(lengths):
        inner = np.sort(rng.choice(np.arange(1, TOTAL), size=n - 2, replace=False))
        cdfs[t, :n] = np.concatenate([[0], inner, [TOTAL]])
    offsets = rng.integers(-50, 50, size=count).astype(np.int32)
    return cdfs, lengths.astype(np.int32), offsets


def roundtrip(symbols, indexes, tables, check_reference: bool = True) -> bytes:
    symbols = np.asarray(symbols, dtype=np.int32)
    indexes = np.asarray(indexes, dtype=np.int32)
    data = native.encode(symbols, indexes, *tables)
    decoded = native.decode(data, indexes, *tables)
    assert decoded.dtype == np.int32 and decoded.shape == indexes.shape
    np.testing.assert_array_equal(decoded, symbols)
    if check_reference:
        assert data == ref_encode(symbols, indexes, *tables)
        np.testing.assert_array_equal(ref_decode(data, indexes, *tables), symbols.ravel())
    return data


# --- round trips ---------------------------------------------------------------------------------------------------
def test_precision_matches_python():
    assert native.PRECISION == PRECISION


@pytest.mark.parametrize("seed", range(4))
def test_random_tables_match_reference(seed):
    rng = np.random.default_rng(seed)
    tables = random_tables(rng)
    n = int(rng.integers(1, 400))
    indexes = rng.integers(0, len(tables[1]), size=n)
    symbols = tables[2][indexes] + rng.integers(-5, 45, size=n)  # some outside the support
    roundtrip(symbols, indexes, tables)


def test_gaussian_symbols_match_reference():
    rng = np.random.default_rng(1)
    tables = gaussian_tables()
    scales = np.array([0.11, 0.5, 1.0, 3.0, 20.0])
    indexes = rng.integers(0, 5, size=3000)
    symbols = np.round(rng.normal(size=3000) * scales[indexes] * 1.3)
    roundtrip(symbols, indexes, tables)


@pytest.mark.parametrize(
    "values",
    [
        [0] * 100,
        [10**6, -(10**6), 10**6 - 1, -(10**6) + 1],
        [I32_MAX, I32_MIN, I32_MAX - 1, I32_MIN + 1, 0, -1, 1],
        [7],
        [-3, 100000, 0],
    ],
)
def test_escapes_and_extremes(values):
    tables = gaussian_tables()
    indexes = np.arange(len(values)) % 5
    roundtrip(values, indexes, tables)


def test_extreme_offsets_and_escape_only_tables():
    cdfs = np.array([[0, TOTAL, 0], [0, 1, TOTAL], [0, TOTAL - 1, TOTAL]], dtype=np.int32)
    lengths = np.array([2, 3, 3], dtype=np.int32)
    for offsets in ([0, 0, 0], [I32_MIN, I32_MAX, I32_MIN], [I32_MAX, I32_MAX, 5]):
        tables = (cdfs, lengths, np.array(offsets, dtype=np.int32))
        values = [I32_MIN, I32_MAX, 0, -1, 1, I32_MAX - 1, 12345]
        for t in range(3):
            roundtrip(values, [t] * len(values), tables)


def test_every_symbol_of_a_full_table():
    cdfs = np.arange(TOTAL + 1, dtype=np.int32)[None, :]  # 65536 symbols of frequency 1, the last the escape
    tables = (cdfs, np.array([TOTAL + 1], dtype=np.int32), np.array([-100], dtype=np.int32))
    symbols = np.arange(-200, TOTAL)
    roundtrip(symbols, np.zeros_like(symbols), tables, check_reference=False)


def test_empty_and_tiny_inputs():
    tables = gaussian_tables()
    assert roundtrip([], [], tables) == b""
    for n in (1, 2, 3):
        roundtrip(np.zeros(n), np.full(n, 0), tables)
    assert native.decode(b"", np.zeros((0, 3), np.int32), *tables).shape == (0, 3)


def test_shapes_and_layouts_are_kept():
    tables = gaussian_tables()
    rng = np.random.default_rng(2)
    symbols = rng.integers(-3, 4, size=(1, 5, 6, 7)).astype(np.int32)
    indexes = rng.integers(0, 5, size=(1, 5, 6, 7)).astype(np.int32)
    data = roundtrip(symbols, indexes, tables, check_reference=False)
    # Non-contiguous and big-endian inputs code the same values.
    assert native.encode(symbols.astype(">i4"), np.asfortranarray(indexes), *tables) == data
    big = tuple(np.asfortranarray(a).astype(">i4") for a in tables)
    np.testing.assert_array_equal(native.decode(data, indexes, *big), symbols)


def _segments(seed: int):
    """Three segments with their own tables, an odd-sized one among them, some values escaping."""
    rng = np.random.default_rng(seed)
    segments = []
    for n in (7, 0, 301, 40):
        tables = random_tables(rng) if rng.random() < 0.5 else gaussian_tables()
        indexes = rng.integers(0, len(tables[1]), size=n).astype(np.int32)
        symbols = (tables[2][indexes] + rng.integers(-3, 30, size=n)).astype(np.int32)
        segments.append((symbols, indexes, *tables))
    return segments


@pytest.mark.parametrize("seed", range(3))
def test_segments_share_one_stream(seed):
    segments = _segments(seed)
    encoder = native.StreamEncoder()
    for segment in segments:
        encoder.add(*segment)
    data = encoder.finish()
    assert data == ref_encode_segments(segments)
    assert encoder.finish() == b""  # the encoder starts over
    decoder = native.StreamDecoder(data)
    for symbols, indexes, *tables in segments:
        np.testing.assert_array_equal(decoder.decode(indexes, *tables), symbols)
    decoder.finish()
    # One stream is smaller than a stream per segment: the final state is written once.
    assert len(data) < sum(len(native.encode(*segment)) for segment in segments) - 2


def test_segment_stream_reports_misuse_and_damage():
    segments = _segments(7)
    encoder = native.StreamEncoder()
    for segment in segments:
        encoder.add(*segment)
    data = encoder.finish()
    # Stopping early, reading a segment too many, or damaged bytes: ValueError, at the latest from finish().
    decoder = native.StreamDecoder(data)
    decoder.decode(*segments[0][1:])
    with pytest.raises(ValueError, match="final state|length"):
        decoder.finish()
    for damaged in (data[:-4], data + b"\0" * 4, data[:5]):
        with pytest.raises(ValueError):
            decoder = native.StreamDecoder(damaged)
            for _, indexes, *tables in segments:
                decoder.decode(indexes, *tables)
            decoder.finish()
    with pytest.raises(ValueError, match="no data"):
        native.StreamDecoder(b"").decode(*segments[0][1:])
    with pytest.raises(ValueError, match="table index"):
        native.StreamEncoder().add(segments[0][0], np.full(7, 99, np.int32), *segments[0][2:])


def test_deterministic_bytes():
    tables = gaussian_tables()
    rng = np.random.default_rng(3)
    indexes = rng.integers(0, 5, size=10000).astype(np.int32)
    symbols = rng.integers(-30, 30, size=10000).astype(np.int32)
    first = native.encode(symbols, indexes, *tables)
    assert all(native.encode(symbols.copy(), indexes.copy(), *tables) == first for _ in range(3))


def _information_content(rng: np.random.Generator, tables, n: int) -> tuple[np.ndarray, np.ndarray, float]:
    """n symbols drawn from tables 1-4 of `tables` (their own frequencies) and their information content in bits."""
    cdfs, lengths, offsets = tables
    indexes = rng.integers(1, 5, size=n).astype(np.int32)
    symbols = np.empty(n, dtype=np.int32)
    bits = 0.0
    for t in range(1, 5):
        mask = indexes == t
        freqs = np.diff(cdfs[t, : lengths[t]])[:-1].astype(np.float64)
        k = rng.choice(len(freqs), size=mask.sum(), p=freqs / freqs.sum())
        symbols[mask] = k + offsets[t]
        bits += -np.log2(freqs[k] / TOTAL).sum()
    return symbols, indexes, bits


def test_size_close_to_information_content():
    tables = gaussian_tables()
    symbols, indexes, bits = _information_content(np.random.default_rng(4), tables, 50000)
    data = native.encode(symbols, indexes, *tables)
    assert bits / 8 < len(data) < bits / 8 * 1.001 + 8


@pytest.mark.parametrize("n", [1, 5, 40, 300])
def test_small_streams_pay_at_most_a_few_bytes(n):
    """The state starts at 1 and the final state is written in whole bytes: a stream exceeds its symbols'
    information content by less than 4 bytes (at most 2.7 over 1,000 streams of 1-5,000 symbols; the format with
    two interleaved states starting at 2^31 paid 8-16)."""
    tables = gaussian_tables()
    for seed in range(20):
        symbols, indexes, bits = _information_content(np.random.default_rng(seed), tables, n)
        data = roundtrip(symbols, indexes, tables)
        assert len(data) < bits / 8 + 4


# --- argument checking -------------------------------------------------------------------------------------------
def _bad_tables():
    cdfs, lengths, offsets = gaussian_tables()
    yield "float cdfs", (cdfs.astype(np.float64), lengths, offsets)
    yield "int64 lengths", (cdfs, lengths.astype(np.int64), offsets)
    yield "1-D cdfs", (cdfs[0], lengths[:1], offsets[:1])
    yield "too few lengths", (cdfs, lengths[:-1], offsets)
    yield "too few offsets", (cdfs, lengths, offsets[:-1])
    for name, edit in [
        ("start", lambda c, n: c.__setitem__((0, 0), 1)),
        ("end", lambda c, n: c.__setitem__((1, n[1] - 1), TOTAL - 1)),
        ("flat", lambda c, n: c.__setitem__((2, 2), c[2, 1])),
        ("decreasing", lambda c, n: c.__setitem__((3, 2), c[3, 1] - 1)),
        ("short", lambda c, n: n.__setitem__(0, 1)),
        ("long", lambda c, n: n.__setitem__(0, c.shape[1] + 1)),
        ("negative", lambda c, n: n.__setitem__(0, -3)),
    ]:
        c, n = cdfs.copy(), lengths.copy()
        edit(c, n)
        yield name, (c, n, offsets)
    yield "overflowing offset", (cdfs, lengths, np.full_like(offsets, I32_MAX))


@pytest.mark.parametrize("name,tables", list(_bad_tables()), ids=[n for n, _ in _bad_tables()])
def test_invalid_tables_raise_value_error(name, tables):
    symbols = indexes = np.zeros(4, dtype=np.int32)
    with pytest.raises(ValueError):
        native.encode(symbols, indexes, *tables)
    with pytest.raises(ValueError):
        native.decode(b"\0" * 8, indexes, *tables)


def test_invalid_symbol_arguments():
    tables = gaussian_tables()
    ok = np.zeros(4, dtype=np.int32)
    for symbols, indexes in [(ok.astype(np.float32), ok), (ok, ok.astype(np.int64)), (ok[:3], ok)]:
        with pytest.raises(ValueError):
            native.encode(symbols, indexes, *tables)
    for bad in (-1, 5, I32_MAX):
        indexes = np.array([0, bad, 0, 0], dtype=np.int32)
        with pytest.raises(ValueError, match="table index"):
            native.encode(ok, indexes, *tables)
        with pytest.raises(ValueError, match="table index"):
            native.decode(native.encode(ok, ok, *tables), indexes, *tables)
    with pytest.raises(TypeError):
        native.encode([0, 0], ok[:2], *tables)


# --- damaged data -------------------------------------------------------------------------------------------------
def _decode_or_value_error(data: bytes, indexes: np.ndarray, tables) -> np.ndarray | None:
    try:
        out = native.decode(data, indexes, *tables)
    except ValueError:
        return None
    assert out.shape == indexes.shape and out.dtype == np.int32
    return out


def test_garbage_never_crashes():
    tables = gaussian_tables()
    rng = np.random.default_rng(5)
    indexes = rng.integers(0, 5, size=500).astype(np.int32)
    for _ in range(300):
        data = rng.bytes(int(rng.integers(0, 200)))
        _decode_or_value_error(data, indexes, tables)
    # Truncated, extended and bit-flipped streams are reported (the end-of-stream check catches them).
    symbols = np.round(rng.normal(size=500) * 4).astype(np.int32)
    data = native.encode(symbols, indexes, *tables)
    assert _decode_or_value_error(data[:-4], indexes, tables) is None
    assert _decode_or_value_error(data + b"\0" * 4, indexes, tables) is None
    assert _decode_or_value_error(data[:-1], indexes, tables) is None
    flagged = 0
    for k in range(0, len(data) * 8, 7):
        damaged = bytearray(data)
        damaged[k // 8] ^= 1 << (k % 8)
        out = _decode_or_value_error(bytes(damaged), indexes, tables)
        flagged += out is None or not np.array_equal(out, symbols)
    assert flagged == len(range(0, len(data) * 8, 7))


def test_many_symbols_from_tiny_data_ends_quickly():
    tables = gaussian_tables()
    indexes = np.full(2_000_000, 4, dtype=np.int32)
    for data in (b"\xff" * 8, b"\x00\x00\x00\x80" * 2, bytes(range(16))):
        _decode_or_value_error(data, indexes, tables)
    _decode_or_value_error(b"\xff\xff\xff\x7f" * 4, np.zeros(1000, np.int32), tables)  # escape-heavy


def test_decode_accepts_bytes_like():
    tables = gaussian_tables()
    symbols = np.arange(-20, 20, dtype=np.int32)
    indexes = np.full(40, 3, dtype=np.int32)
    data = native.encode(symbols, indexes, *tables)
    for view in (bytearray(data), memoryview(data), np.frombuffer(data, np.uint8)):
        np.testing.assert_array_equal(native.decode(view, indexes, *tables), symbols)


def test_concurrent_calls_from_threads():
    """The coder releases the GIL; calls from several threads must not interfere."""
    from concurrent.futures import ThreadPoolExecutor

    tables = gaussian_tables()

    def job(seed: int) -> bool:
        rng = np.random.default_rng(seed)
        indexes = rng.integers(0, 5, size=200_000).astype(np.int32)
        symbols = np.round(rng.normal(size=200_000) * 3).astype(np.int32)
        data = native.encode(symbols, indexes, *tables)
        return np.array_equal(native.decode(data, indexes, *tables), symbols)

    with ThreadPoolExecutor(4) as pool:
        assert all(pool.map(job, range(8)))
