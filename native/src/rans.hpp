// Core rANS arithmetic: constants, state update on encode/decode, word I/O. Pure integer code, no Python.
//
// State: 64-bit, kept in [kLower, kLower << 32) between symbols, renormalised by 32-bit words.
// Probabilities: integer frequencies out of 2^kPrecision.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>

#if defined(_MSC_VER)
#include <intrin.h>
#endif

namespace vnvc {

constexpr int kPrecision = 16;
constexpr uint32_t kTotal = 1u << kPrecision;
constexpr uint64_t kLower = 1ull << 31;
constexpr int kStates = 2;  // interleaved states, round-robin over symbols

inline uint64_t mulhi64(uint64_t a, uint64_t b) {
#if defined(_MSC_VER)
  return __umulh(a, b);
#else
  return static_cast<uint64_t>((static_cast<unsigned __int128>(a) * b) >> 64);
#endif
}

// floor(x / freq) == mulhi64(x, rcp) >> shift for every x < 2^63; for freq == 1 the quotient comes out one
// short and `bias` (added with the start) makes up for it (reciprocal division as in Alverson 1991).
struct Reciprocal {
  uint64_t rcp;
  uint32_t shift;
  uint32_t bias;
};

// Table indexed by frequency 1..kTotal, built once.
const Reciprocal* reciprocals();

inline uint32_t load_le32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

inline void store_le32(uint8_t* p, uint32_t w) {
  p[0] = uint8_t(w);
  p[1] = uint8_t(w >> 8);
  p[2] = uint8_t(w >> 16);
  p[3] = uint8_t(w >> 24);
}

// Words emitted by the encoder, in emission order (the stream is their reverse).
class WordSink {
 public:
  void push(uint32_t w) {
    if (size_ == capacity_) grow();
    words_[size_++] = w;
  }
  size_t size() const { return size_; }
  uint32_t operator[](size_t i) const { return words_[i]; }

 private:
  void grow() {
    capacity_ = 2 * capacity_ + 1024;
    std::unique_ptr<uint32_t[]> bigger(new uint32_t[capacity_]);
    std::copy(words_.get(), words_.get() + size_, bigger.get());
    words_ = std::move(bigger);
  }

  std::unique_ptr<uint32_t[]> words_;
  size_t size_ = 0, capacity_ = 0;
};

// Words read by the decoder; reading past the end yields zeros and sets `overrun`.
class WordSource {
 public:
  WordSource(const uint8_t* data, size_t count) : data_(data), count_(count) {}
  uint32_t pop() {
    if (pos_ < count_) return load_le32(data_ + 4 * pos_++);
    overrun_ = true;
    return 0;
  }
  bool overrun() const { return overrun_; }
  bool exhausted_exactly() const { return pos_ == count_ && !overrun_; }

 private:
  const uint8_t* data_;
  size_t count_;
  size_t pos_ = 0;
  bool overrun_ = false;
};

// Encode the interval [start, start + freq) into state x.
inline void rans_put(uint64_t& x, uint32_t start, uint32_t freq, const Reciprocal* recip, WordSink& sink) {
  if (x >= (uint64_t(freq) << (63 - kPrecision))) {
    sink.push(uint32_t(x));
    x >>= 32;
  }
  const Reciprocal& r = recip[freq];
  const uint64_t q = mulhi64(x, r.rcp) >> r.shift;
  x += start + r.bias + q * (kTotal - freq);
}

// After the caller found the interval [start, start + freq) holding `x & (kTotal - 1)`: advance x.
inline void rans_advance(uint64_t& x, uint32_t start, uint32_t freq, WordSource& source) {
  x = freq * (x >> kPrecision) + (x & (kTotal - 1)) - start;
  if (x < kLower) x = (x << 32) | source.pop();
}

}  // namespace vnvc
