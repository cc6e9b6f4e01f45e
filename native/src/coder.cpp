// Stream layout: 32-bit little-endian words. First the final encoder states of the min(count, kStates) used
// states (one word if it fits, else high word then low word), then the renormalisation words in decoding order.
// Symbol i uses state i % kStates; the encoder runs from the last symbol to the first.
//
// Escape: a value outside a table's support is coded as the table's last symbol, then (same state, decoding
// order) a 6-bit bypass field holding the bit length n of u, then the n - 1 bits of u below its leading one in
// chunks of at most 16 bits, most significant first. u = 2 * (value - first_unsupported) for values above the
// support and 2 * (first_supported - 1 - value) + 1 below it.
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

[[noreturn]] void bad_index(size_t i, int32_t t, size_t count) {
  throw std::invalid_argument("indexes[" + std::to_string(i) + "] = " + std::to_string(t) +
                              " is not a table index (there are " + std::to_string(count) + " tables)");
}

[[noreturn]] void corrupted(const char* what) {
  throw std::invalid_argument(std::string("corrupted entropy-coded data: ") + what);
}

int bit_length(uint64_t u) {
  int n = 0;
  while (u >> n) ++n;
  return n;
}

// Encoder view of one symbol: everything rans_put needs, from one 16-byte load.
struct EncSymbol {
  uint64_t rcp;
  uint32_t bias;   // start + reciprocal bias
  uint16_t cmpl;   // kTotal - freq
  uint16_t shift;
};

// Tables are prepared (encoder symbols, decoder lookup) when first used, so unused tables cost nothing.
class Encoder {
 public:
  explicit Encoder(const Tables& t)
      : t_(t), recip_(reciprocals()), syms_(new EncSymbol[t.cdf.size()]), ready_(t.rows.size(), 0) {}

  void put(uint64_t& x, int32_t symbol, int32_t index, size_t i) {
    if (uint32_t(index) >= t_.rows.size()) bad_index(i, index, t_.rows.size());
    if (!ready_[size_t(index)]) prepare(size_t(index));
    const TableRow& row = t_.rows[size_t(index)];
    const int64_t v = int64_t(symbol) - row.offset;
    if (uint64_t(v) >= row.regular) return put_escape(x, v, row);
    const EncSymbol& e = syms_[row.base + size_t(v)];
    if (x >= (uint64_t(kTotal - e.cmpl) << (63 - kPrecision))) {
      sink_.push(uint32_t(x));
      x >>= 32;
    }
    x += e.bias + (mulhi64(x, e.rcp) >> e.shift) * e.cmpl;
  }

  WordSink& sink() { return sink_; }

 private:
  void prepare(size_t index) {
    const TableRow& row = t_.rows[index];
    const uint32_t* c = t_.cdf.data() + row.base;
    for (uint32_t k = 0; k <= row.regular; ++k) {
      const uint32_t f = c[k + 1] - c[k];
      const Reciprocal& r = recip_[f];
      syms_[row.base + k] = EncSymbol{r.rcp, c[k] + r.bias, uint16_t(kTotal - f), uint16_t(r.shift)};
    }
    ready_[index] = 1;
  }

  void put_bits(uint64_t& x, uint32_t value, int bits) {
    rans_put(x, value << (kPrecision - bits), 1u << (kPrecision - bits), recip_, sink_);
  }

#if defined(__GNUC__)
  __attribute__((noinline))
#endif
  void put_escape(uint64_t& x, int64_t v, const TableRow& row) {
    const uint64_t u = v < 0 ? 2 * uint64_t(-(v + 1)) + 1 : 2 * uint64_t(v - row.regular);
    const int n = bit_length(u);
    // Chunks in decoding order, then coded in reverse.
    uint32_t chunks[3];
    int sizes[3], m = 0;
    for (int rest = n - 1; rest > 0;) {
      const int b = rest < kChunkBits ? rest : kChunkBits;
      rest -= b;
      chunks[m] = uint32_t(u >> rest) & ((1u << b) - 1);
      sizes[m++] = b;
    }
    while (m > 0) --m, put_bits(x, chunks[m], sizes[m]);
    put_bits(x, uint32_t(n), kLengthBits);
    const uint32_t* c = t_.cdf.data() + row.base + row.regular;
    rans_put(x, c[0], c[1] - c[0], recip_, sink_);
  }

  const Tables& t_;
  const Reciprocal* recip_;
  std::unique_ptr<EncSymbol[]> syms_;  // parallel to t_.cdf, filled per table by prepare()
  std::vector<uint8_t> ready_;
  WordSink sink_;
};

class Decoder {
 public:
  Decoder(const Tables& t, WordSource& source)
      : t_(t), source_(source), lut_(new uint16_t[t.buckets]), ready_(t.rows.size(), 0) {}

  int32_t get(uint64_t& x, int32_t index, size_t i) {
    if (uint32_t(index) >= t_.rows.size()) bad_index(i, index, t_.rows.size());
    if (!ready_[size_t(index)]) prepare(size_t(index));
    const TableRow& row = t_.rows[size_t(index)];
    const uint32_t* c = t_.cdf.data() + row.base;
    const uint32_t cum = uint32_t(x) & (kTotal - 1);
    uint32_t s = lut_[row.lut + (cum >> row.lut_shift)];
    while (c[s + 1] <= cum) ++s;
    rans_advance(x, c[s], c[s + 1] - c[s], source_);
    if (s < row.regular) return int32_t(row.offset + int64_t(s));
    return get_escape(x, row);
  }

 private:
  // Bucket b of a row: the last symbol s with c[s] <= b << lut_shift.
  void prepare(size_t index) {
    const TableRow& row = t_.rows[index];
    const uint32_t* c = t_.cdf.data() + row.base;
    uint16_t* lut = lut_.get() + row.lut;
    uint32_t s = 0;
    for (uint32_t b = 0, n = kTotal >> row.lut_shift; b < n; ++b) {
      while (c[s + 1] <= (b << row.lut_shift)) ++s;
      lut[b] = uint16_t(s);
    }
    ready_[index] = 1;
  }

  uint32_t get_bits(uint64_t& x, int bits) {
    const uint32_t value = uint32_t(x & (kTotal - 1)) >> (kPrecision - bits);
    rans_advance(x, value << (kPrecision - bits), 1u << (kPrecision - bits), source_);
    return value;
  }

  int32_t get_escape(uint64_t& x, const TableRow& row) {
    const int n = int(get_bits(x, kLengthBits));
    if (n > kMaxEscapeBits) corrupted("escape length out of range");
    uint64_t u = n > 0 ? 1 : 0;
    for (int rest = n - 1; rest > 0;) {
      const int b = rest < kChunkBits ? rest : kChunkBits;
      rest -= b;
      u = (u << b) | get_bits(x, b);
    }
    const int64_t v = (u & 1) ? -int64_t(u >> 1) - 1 : int64_t(row.regular) + int64_t(u >> 1);
    const int64_t value = row.offset + v;
    if (value < INT32_MIN || value > INT32_MAX) corrupted("escaped value out of int32 range");
    return int32_t(value);
  }

  const Tables& t_;
  WordSource& source_;
  std::unique_ptr<uint16_t[]> lut_;  // filled per table by prepare()
  std::vector<uint8_t> ready_;
};

}  // namespace

std::vector<uint8_t> encode_symbols(const int32_t* symbols, const int32_t* indexes, size_t count,
                                    const Tables& tables) {
  if (count == 0) return {};
  Encoder enc(tables);
  uint64_t x[kStates];
  for (uint64_t& s : x) s = kLower;
  size_t i = count;
  while (i % kStates) --i, enc.put(x[i % kStates], symbols[i], indexes[i], i);
  while (i > 0) {
    i -= kStates;
    for (int k = kStates - 1; k >= 0; --k) enc.put(x[k], symbols[i + k], indexes[i + k], i + k);
  }
  WordSink& sink = enc.sink();
  const int used = count < size_t(kStates) ? int(count) : kStates;
  for (int k = used - 1; k >= 0; --k) {
    sink.push(uint32_t(x[k]));
    if (x[k] >> 32) sink.push(uint32_t(x[k] >> 32));
  }
  std::vector<uint8_t> out(4 * sink.size());
  for (size_t w = 0, n = sink.size(); w < n; ++w) store_le32(out.data() + 4 * w, sink[n - 1 - w]);
  return out;
}

void decode_symbols(const uint8_t* data, size_t size, const int32_t* indexes, size_t count, const Tables& tables,
                    int32_t* symbols) {
  if (count == 0) {
    if (size != 0) corrupted("data given for zero symbols");
    return;
  }
  if (size % 4) corrupted("length is not a multiple of 4 bytes");
  WordSource source(data, size / 4);
  Decoder dec(tables, source);
  uint64_t x[kStates];
  const int used = count < size_t(kStates) ? int(count) : kStates;
  for (int k = 0; k < kStates; ++k) {
    x[k] = kLower;
    if (k >= used) continue;
    x[k] = source.pop();
    if (x[k] < kLower) x[k] = (x[k] << 32) | source.pop();
    if (x[k] < kLower) corrupted("invalid initial state");
  }
  size_t i = 0;
  for (; i + kStates <= count; i += kStates)
    for (int k = 0; k < kStates; ++k) symbols[i + k] = dec.get(x[k], indexes[i + k], i + k);
  for (; i < count; ++i) symbols[i] = dec.get(x[i % kStates], indexes[i], i);
  for (uint64_t s : x)
    if (s != kLower) corrupted("final state mismatch");
  if (!source.exhausted_exactly()) corrupted("data length does not match the symbols");
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
