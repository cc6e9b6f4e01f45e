// One rANS stream holding several segments of symbols, each coded with its own tables. No Python here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "rans.hpp"
#include "tables.hpp"

namespace vnvc {

// Collects segments, then codes them all into one stream. rANS decodes in the reverse order of encoding, so the
// segments are kept until finish(), which codes them last to first.
class StreamEncoder {
 public:
  // Queue (a copy of) symbols[i] coded with table indexes[i]. Throws std::invalid_argument for a bad index.
  void add(const int32_t* symbols, const int32_t* indexes, size_t count, Tables tables);
  // The stream bytes of every segment added so far (empty if they hold no symbols); the encoder starts over.
  std::vector<uint8_t> finish();

 private:
  struct Segment {
    std::vector<int32_t> symbols, indexes;
    Tables tables;
  };
  std::vector<Segment> segments_;
};

// The stream of a single segment, coded straight from the caller's arrays (StreamEncoder copies them).
std::vector<uint8_t> encode_symbols(const int32_t* symbols, const int32_t* indexes, size_t count,
                                    const Tables& tables);

// Reads the segments of a stream in the order they were added. The caller may compute a segment's indexes from
// the symbols decoded before it (a hyperprior's scales, say). Every method throws std::invalid_argument for a bad
// index or data that is not such a stream (detected at the latest by finish()).
class StreamDecoder {
 public:
  explicit StreamDecoder(std::vector<uint8_t> data);
  StreamDecoder(const StreamDecoder&) = delete;  // source_ points into data_
  StreamDecoder& operator=(const StreamDecoder&) = delete;
  void decode(const int32_t* indexes, size_t count, const Tables& tables, int32_t* symbols);
  // Checks that the stream ended exactly with the last segment decoded.
  void finish() const;

 private:
  std::vector<uint8_t> data_;
  WordSource source_;
  uint64_t x_ = kInitial;  // back at kInitial once a valid stream's symbols are all decoded
};

}  // namespace vnvc
