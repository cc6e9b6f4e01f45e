#include "tables.hpp"

#include <stdexcept>
#include <string>

#include "rans.hpp"

namespace vnvc {
namespace {

[[noreturn]] void fail(size_t row, const std::string& what) {
  throw std::invalid_argument("CDF table " + std::to_string(row) + ": " + what);
}

int lut_bits(size_t length) {
  int bits = 2;
  while (bits < kMaxLutBits && (size_t(1) << (bits - 2)) < length) ++bits;
  return bits;
}

}  // namespace

Tables pack_tables(const int32_t* cdfs, size_t count, size_t width, const int32_t* lengths, const int32_t* offsets) {
  constexpr size_t kMaxLength = size_t(kTotal) + 1;  // every symbol needs a frequency >= 1
  const size_t max_length = width < kMaxLength ? width : kMaxLength;
  Tables t;
  t.rows.resize(count);
  size_t total = 0;
  size_t& buckets = t.buckets;
  for (size_t r = 0; r < count; ++r) {
    const int64_t len = lengths[r];
    if (len < 2 || size_t(len) > max_length)
      fail(r, "cdf_lengths value " + std::to_string(len) + " is outside 2.." + std::to_string(max_length));
    const int64_t regular = len - 2;
    if (int64_t(offsets[r]) + regular - 1 > INT32_MAX)
      fail(r, "offset " + std::to_string(offsets[r]) + " puts symbols beyond int32");
    const int bits = lut_bits(size_t(len));
    t.rows[r] = TableRow{uint32_t(total), uint16_t(regular), uint16_t(kPrecision - bits), offsets[r], uint32_t(buckets)};
    total += size_t(len);
    buckets += size_t(1) << bits;
    if (total > UINT32_MAX || buckets > UINT32_MAX) throw std::invalid_argument("CDF tables are too large");
  }
  t.cdf.resize(total);
  for (size_t r = 0; r < count; ++r) {
    const int32_t* src = cdfs + r * width;
    const size_t len = size_t(lengths[r]);
    if (src[0] != 0 || src[len - 1] != int32_t(kTotal))
      fail(r, "must start at 0 and end at " + std::to_string(kTotal) + " (precision " + std::to_string(kPrecision) +
                  "), got " + std::to_string(src[0]) + " and " + std::to_string(src[len - 1]));
    uint32_t* dst = t.cdf.data() + t.rows[r].base;
    dst[0] = 0;
    for (size_t k = 1; k < len; ++k) {
      if (src[k] <= src[k - 1]) fail(r, "not strictly increasing at entry " + std::to_string(k));
      dst[k] = uint32_t(src[k]);
    }
  }
  return t;
}

}  // namespace vnvc
