// Validated, packed copy of the caller's CDF tables (the coder never reads the caller's arrays while coding).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vnvc {

constexpr int kMaxLutBits = 10;  // decoder lookup: up to 2^10 buckets per table, about 4 per symbol

struct TableRow {
  uint32_t base;        // first CDF entry of the row in `cdf`
  uint16_t regular;     // number of regular symbols; symbol `regular` is the escape
  uint16_t lut_shift;   // bucket of cumulative frequency f: f >> lut_shift
  int32_t offset;       // value of regular symbol 0
  uint32_t lut;         // first bucket of the row in `lut`
};

struct Tables {
  std::vector<TableRow> rows;
  std::vector<uint32_t> cdf;  // rows back to back, each 0 = c[0] < c[1] < ... < c[regular + 1] = 2^16
  size_t buckets = 0;         // decoder lookup size: rows' bucket ranges are [lut, lut + 2^(16 - lut_shift))
};

// Checks the tables (throws std::invalid_argument, i.e. ValueError, naming the fault) and packs them.
// cdfs: (count, width) row-major; lengths, offsets: (count,).
Tables pack_tables(const int32_t* cdfs, size_t count, size_t width, const int32_t* lengths, const int32_t* offsets);

}  // namespace vnvc
