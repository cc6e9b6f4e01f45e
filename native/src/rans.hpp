// Core rANS arithmetic: constants, state update on encode/decode, word I/O. Pure integer code, no Python.
//
// State: 64-bit, renormalised by 32-bit words. It starts at kInitial = 1, not at kLower: the bits of the initial
// state would be stored with the final one for nothing. From the first word the encoder emits on, the state stays
// in [kLower, kLower << 32) between symbols; before that ("start-up") it is below kLower and no word is emitted.
// The decoder therefore refills a state below kLower only while words remain: with one state, a state below kLower
// after a symbol means that the encoder emitted a word there (and the word is the next to read) unless every word
// has been read (start-up). Probabilities: integer frequencies out of 2^kPrecision.
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
constexpr uint64_t kInitial = 1;

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

// Words read by the decoder.
class WordSource {
 public:
  WordSource(const uint8_t* data, size_t count) : data_(data), count_(count) {}
  bool empty() const { return pos_ == count_; }
  // x refilled with the next word when it is below kLower and a word is left (see the state notes above).
  uint64_t refill(uint64_t x) {
    if (x < kLower && pos_ < count_) x = (x << 32) | load_le32(data_ + 4 * pos_++);
    return x;
  }

 private:
  const uint8_t* data_;
  size_t count_;
  size_t pos_ = 0;
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
  x = source.refill(freq * (x >> kPrecision) + (x & (kTotal - 1)) - start);
}

}  // namespace vnvc
