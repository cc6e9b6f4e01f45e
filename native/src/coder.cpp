// Stream layout. A stream holds the symbols of one or more segments (the latents of a frame, say), coded with their
// own tables one after another by one rANS state, which carries over from one segment to the next; the encoder
// runs from the last symbol of the last segment to the first symbol of the first. A stream without symbols is
// empty. Otherwise it is the encoder's final state in k = 1..4 little-endian bytes (the last one non-zero), then
// 32-bit little-endian renormalisation words in decoding order; k is what the stream's length leaves over a
// multiple of 4 (4 if nothing). A final state of 2^32 or more first emits its low word, leaving its high word
// (below 2^31), which the decoder's usual refill puts back together.
//
// Escape: a value outside a table's support is coded as the table's last symbol, then (same state, decoding
// order) a 6-bit bypass field holding the bit length n of u, then the n - 1 bits of u below its leading one in
// chunks of at most 16 bits, most significant first. u = 2 * (value - first_unsupported) for values above the
// support and 2 * (first_supported - 1 - value) + 1 below it.
//
// Speed: the hot loops touch only a few values (states, arrays, per-table rows) so that they stay in registers;
// everything rare (preparing a table on first use, escapes, word output on encode, refills on decode) lives in
// out-of-line functions that take a context. A table is prepared the first time an index uses it: until then
// its row sends symbols to the slow path.
#include "coder.hpp"

#include <memory>
#include <stdexcept>
#include <string>

#include "rans.hpp"

namespace vnvc {
namespace {

constexpr int kLengthBits = 6;
constexpr int kChunkBits = 16;
constexpr int kMaxEscapeBits = 34;  // u < 2^34 for any int32 value and offset

#if defined(__GNUC__)
#define VNVC_NOINLINE __attribute__((noinline))
#else
#define VNVC_NOINLINE
#endif

[[noreturn]] VNVC_NOINLINE void bad_index(size_t i, int32_t t, size_t count) {
  throw std::invalid_argument("indexes[" + std::to_string(i) + "] = " + std::to_string(t) +
                              " is not a table index (there are " + std::to_string(count) + " tables)");
}

[[noreturn]] VNVC_NOINLINE void corrupted(const char* what) {
  throw std::invalid_argument(std::string("corrupted entropy-coded data: ") + what);
}

int bit_length(uint64_t u) {
  int n = 0;
  while (u >> n) ++n;
  return n;
}

// Escape payload after the length field: chunk sizes in decoding order; returns their count.
int escape_chunks(int n, int sizes[3]) {
  int m = 0;
  for (int rest = n - 1; rest > 0; rest -= sizes[m++]) sizes[m] = rest < kChunkBits ? rest : kChunkBits;
  return m;
}

// ---- encoder ------------------------------------------------------------------------------------------------

// Encoder view of one symbol: everything a state update needs, from one 16-byte load.
struct EncSymbol {
  uint64_t rcp;
  uint32_t bias;  // start + reciprocal bias
  uint16_t cmpl;  // kTotal - freq
  uint16_t shift;
};

// Encoder view of one table; `regular` stays 0 (all symbols take the slow path) until the table is prepared.
struct EncRow {
  const EncSymbol* syms;
  int32_t offset;
  uint32_t regular;
};

struct EncodeContext {
  const Tables& tables;
  const int32_t* symbols;
  const Reciprocal* recip;
  EncRow* rows;
  EncSymbol* syms;  // parallel to tables.cdf
  WordSink& sink;
};

inline uint64_t put_symbol(uint64_t x, const EncSymbol& e) {
  return x + e.bias + (mulhi64(x, e.rcp) >> e.shift) * e.cmpl;
}

inline bool put_needs_word(uint64_t x, const EncSymbol& e) {
  return (x >> (63 - kPrecision)) + e.cmpl >= kTotal;  // x >= freq << (63 - kPrecision)
}

VNVC_NOINLINE uint64_t put_word(EncodeContext& ctx, uint64_t x) {
  ctx.sink.push(uint32_t(x));
  return x >> 32;
}

void put_bits(EncodeContext& ctx, uint64_t& x, uint32_t value, int bits) {
  rans_put(x, value << (kPrecision - bits), 1u << (kPrecision - bits), ctx.recip, ctx.sink);
}

void prepare_encoder_row(EncodeContext& ctx, size_t index) {
  const TableRow& row = ctx.tables.rows[index];
  const uint32_t* c = ctx.tables.cdf.data() + row.base;
  EncSymbol* syms = ctx.syms + row.base;
  for (uint32_t k = 0; k <= row.regular; ++k) {
    const uint32_t f = c[k + 1] - c[k];
    const Reciprocal& r = ctx.recip[f];
    syms[k] = EncSymbol{r.rcp, c[k] + r.bias, uint16_t(kTotal - f), uint16_t(r.shift)};
  }
  ctx.rows[index] = EncRow{syms, row.offset, row.regular};
}

// Symbol i whose table is not prepared yet or whose value is outside the table's support.
VNVC_NOINLINE uint64_t put_slow(EncodeContext& ctx, uint64_t x, size_t i, size_t index) {
  if (!ctx.rows[index].syms) prepare_encoder_row(ctx, index);
  const EncRow& row = ctx.rows[index];
  const int64_t v = int64_t(ctx.symbols[i]) - row.offset;
  if (uint64_t(v) < row.regular) {
    const EncSymbol& e = row.syms[v];
    if (put_needs_word(x, e)) x = put_word(ctx, x);
    return put_symbol(x, e);
  }
  const uint64_t u = v < 0 ? 2 * uint64_t(-(v + 1)) + 1 : 2 * uint64_t(v - row.regular);
  const int n = bit_length(u);
  int sizes[3];
  int rest = 0;
  for (int m = escape_chunks(n, sizes); m > 0; rest += sizes[--m])
    put_bits(ctx, x, uint32_t(u >> rest) & ((1u << sizes[m - 1]) - 1), sizes[m - 1]);
  put_bits(ctx, x, uint32_t(n), kLengthBits);
  const EncSymbol& e = row.syms[row.regular];
  if (put_needs_word(x, e)) x = put_word(ctx, x);
  return put_symbol(x, e);
}

// ---- decoder ------------------------------------------------------------------------------------------------

// Decoder view of one table. Until the table is prepared it points at a one-symbol dummy table: decoding from
// it leaves the state unchanged and, the symbol being an "escape", sends the symbol to the slow path.
struct alignas(32) DecRow {
  const uint32_t* cdf;
  const uint16_t* lut;  // bucket b: the last symbol s with cdf[s] <= b << lut_shift
  int32_t offset;
  uint16_t regular;
  uint16_t lut_shift;
};

constexpr uint32_t kDummyCdf[2] = {0, kTotal};
constexpr uint16_t kDummyLut[1] = {0};

struct DecodeContext {
  const Tables& tables;
  DecRow* rows;
  uint16_t* lut;
  WordSource& source;
};

VNVC_NOINLINE uint64_t get_word(DecodeContext& ctx, uint64_t x) { return ctx.source.refill(x); }

uint32_t get_bits(DecodeContext& ctx, uint64_t& x, int bits) {
  const uint32_t value = uint32_t(x & (kTotal - 1)) >> (kPrecision - bits);
  rans_advance(x, value << (kPrecision - bits), 1u << (kPrecision - bits), ctx.source);
  return value;
}

void prepare_decoder_row(DecodeContext& ctx, size_t index) {
  const TableRow& row = ctx.tables.rows[index];
  const uint32_t* c = ctx.tables.cdf.data() + row.base;
  uint16_t* lut = ctx.lut + row.lut;
  uint32_t s = 0;
  for (uint32_t b = 0, n = kTotal >> row.lut_shift; b < n; ++b) {
    while (c[s + 1] <= (b << row.lut_shift)) ++s;
    lut[b] = uint16_t(s);
  }
  ctx.rows[index] = DecRow{c, lut, row.offset, row.regular, row.lut_shift};
}

// One symbol from a prepared row: its index in the row (the escape is `regular`).
inline uint32_t get_symbol(DecodeContext& ctx, uint64_t& x, const DecRow& row) {
  const uint32_t cum = uint32_t(x) & (kTotal - 1);
  uint32_t s = row.lut[cum >> row.lut_shift];
  while (row.cdf[s + 1] <= cum) ++s;
  x = (row.cdf[s + 1] - row.cdf[s]) * (x >> kPrecision) + cum - row.cdf[s];
  if (x < kLower) x = get_word(ctx, x);
  return s;
}

struct Decoded {
  uint64_t x;
  int32_t value;
};

// Symbol from a table not prepared yet (x untouched so far), or the payload after an escape symbol.
VNVC_NOINLINE Decoded get_slow(DecodeContext& ctx, uint64_t x, size_t index) {
  if (ctx.rows[index].cdf == kDummyCdf) {
    prepare_decoder_row(ctx, index);
    const uint32_t s = get_symbol(ctx, x, ctx.rows[index]);
    if (s < ctx.rows[index].regular) return Decoded{x, int32_t(ctx.rows[index].offset + int64_t(s))};
  }
  const DecRow& row = ctx.rows[index];
  const int n = int(get_bits(ctx, x, kLengthBits));
  if (n > kMaxEscapeBits) corrupted("escape length out of range");
  uint64_t u = n > 0 ? 1 : 0;
  int sizes[3];
  for (int k = 0, m = escape_chunks(n, sizes); k < m; ++k) u = (u << sizes[k]) | get_bits(ctx, x, sizes[k]);
  const int64_t v = (u & 1) ? -int64_t(u >> 1) - 1 : int64_t(row.regular) + int64_t(u >> 1);
  const int64_t value = row.offset + v;
  if (value < INT32_MIN || value > INT32_MAX) corrupted("escaped value out of int32 range");
  return Decoded{x, int32_t(value)};
}

// Codes symbols[0..count) into state x (from the last symbol to the first), renormalisation words into sink.
void encode_segment(uint64_t& x, WordSink& sink, const int32_t* symbols, const int32_t* indexes,
                    size_t count, const Tables& tables) {
  if (count == 0) return;
  const size_t row_count = tables.rows.size();
  const std::unique_ptr<EncSymbol[]> syms(new EncSymbol[tables.cdf.size()]);
  std::vector<EncRow> row_storage(row_count);
  for (size_t t = 0; t < row_count; ++t) row_storage[t] = EncRow{nullptr, tables.rows[t].offset, 0};
  EncodeContext ctx{tables, symbols, reciprocals(), row_storage.data(), syms.get(), sink};
  const EncRow* rows = ctx.rows;

  const auto step = [&](uint64_t s, size_t i) -> uint64_t {
    const uint32_t index = uint32_t(indexes[i]);
    if (index >= row_count) bad_index(i, int32_t(index), row_count);
    const EncRow& row = rows[index];
    // Exact range test: the tables guarantee offset + regular - 1 <= INT32_MAX.
    const uint32_t v = uint32_t(symbols[i]) - uint32_t(row.offset);
    if (v >= row.regular) return put_slow(ctx, s, i, index);
    const EncSymbol& e = row.syms[v];
    if (put_needs_word(s, e)) s = put_word(ctx, s);
    return put_symbol(s, e);
  };

  uint64_t s = x;  // a local copy the compiler can keep in a register
  for (size_t i = count; i > 0;) s = step(s, --i);
  x = s;
}

// Decodes symbols[0..count) from state x, refilling from source.
void decode_segment(uint64_t& x, WordSource& source, const int32_t* indexes, size_t count,
                    const Tables& tables, int32_t* symbols) {
  if (count == 0) return;
  const size_t row_count = tables.rows.size();
  const std::unique_ptr<uint16_t[]> lut(new uint16_t[tables.buckets]);
  std::vector<DecRow> row_storage(row_count, DecRow{kDummyCdf, kDummyLut, 0, 0, kPrecision});
  DecodeContext ctx{tables, row_storage.data(), lut.get(), source};
  const DecRow* rows = ctx.rows;

  const auto step = [&](uint64_t& s, size_t i) {
    const uint32_t index = uint32_t(indexes[i]);
    if (index >= row_count) bad_index(i, int32_t(index), row_count);
    const DecRow& row = rows[index];
    const uint32_t sym = get_symbol(ctx, s, row);
    if (sym < row.regular) {
      symbols[i] = int32_t(row.offset + int64_t(sym));
    } else {
      const Decoded d = get_slow(ctx, s, index);
      s = d.x;
      symbols[i] = d.value;
    }
  };

  uint64_t s = x;  // a local copy the compiler can keep in a register
  for (size_t i = 0; i < count; ++i) step(s, i);
  x = s;
}

// The stream: the final state (see the layout at the top), then the words in reverse order of emission.
std::vector<uint8_t> stream_bytes(uint64_t x, WordSink& sink) {
  if (x >> 32) {
    sink.push(uint32_t(x));
    x >>= 32;
  }
  size_t k = 1;
  while (x >> (8 * k)) ++k;
  std::vector<uint8_t> out(k + 4 * sink.size());
  for (size_t b = 0; b < k; ++b) out[b] = uint8_t(x >> (8 * b));
  for (size_t w = 0, n = sink.size(); w < n; ++w) store_le32(out.data() + k + 4 * w, sink[n - 1 - w]);
  return out;
}

void check_indexes(const int32_t* indexes, size_t count, const Tables& tables) {
  const size_t row_count = tables.rows.size();
  for (size_t i = 0; i < count; ++i)
    if (uint32_t(indexes[i]) >= row_count) bad_index(i, indexes[i], row_count);
}

}  // namespace

void StreamEncoder::add(const int32_t* symbols, const int32_t* indexes, size_t count, Tables tables) {
  check_indexes(indexes, count, tables);
  segments_.push_back(Segment{std::vector<int32_t>(symbols, symbols + count),
                              std::vector<int32_t>(indexes, indexes + count), std::move(tables)});
}

std::vector<uint8_t> StreamEncoder::finish() {
  uint64_t x = kInitial;
  WordSink sink;
  size_t total = 0;
  for (auto seg = segments_.rbegin(); seg != segments_.rend(); ++seg) {
    encode_segment(x, sink, seg->symbols.data(), seg->indexes.data(), seg->symbols.size(), seg->tables);
    total += seg->symbols.size();
  }
  segments_.clear();
  return total ? stream_bytes(x, sink) : std::vector<uint8_t>();
}

std::vector<uint8_t> encode_symbols(const int32_t* symbols, const int32_t* indexes, size_t count,
                                    const Tables& tables) {
  if (count == 0) return {};
  uint64_t x = kInitial;
  WordSink sink;
  encode_segment(x, sink, symbols, indexes, count, tables);
  return stream_bytes(x, sink);
}

StreamDecoder::StreamDecoder(std::vector<uint8_t> data) : data_(std::move(data)), source_(data_.data(), 0) {
  if (data_.empty()) return;
  const size_t k = (data_.size() - 1) % 4 + 1;  // bytes of the final state
  if (data_[k - 1] == 0) corrupted("final state not minimally encoded");
  uint64_t x = 0;
  for (size_t b = k; b > 0; --b) x = (x << 8) | data_[b - 1];
  source_ = WordSource(data_.data() + k, (data_.size() - k) / 4);
  x_ = source_.refill(x);
}

void StreamDecoder::decode(const int32_t* indexes, size_t count, const Tables& tables, int32_t* symbols) {
  if (count == 0) return;
  if (data_.empty()) corrupted("no data for the symbols");
  decode_segment(x_, source_, indexes, count, tables, symbols);
}

void StreamDecoder::finish() const {
  if (x_ != kInitial) corrupted("final state mismatch");
  if (!source_.empty()) corrupted("data length does not match the symbols");
}

const Reciprocal* reciprocals() {
  static const std::vector<Reciprocal> table = [] {
    std::vector<Reciprocal> t(size_t(kTotal) + 1);
    t[0] = Reciprocal{0, 0, 0};
    t[1] = Reciprocal{~0ull, 0, kTotal - 1};
    for (uint32_t f = 2; f <= kTotal; ++f) {
      uint32_t s = 0;
      while ((1u << s) < f) ++s;  // 2^(s-1) < f <= 2^s
      // rcp = ceil(2^(63 + s) / f), computed as floor((2^(63 + s) - 1) / f) + 1 by long division in 32-bit halves.
      const uint64_t hi = (uint64_t(1) << (31 + s)) - 1, lo = 0xffffffffu;
      const uint64_t qh = hi / f, rem = ((hi % f) << 32) | lo;
      t[f] = Reciprocal{(qh << 32) + rem / f + 1, s - 1, 0};
    }
    return t;
  }();
  return table.data();
}

}  // namespace vnvc
