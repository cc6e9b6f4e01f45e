// Encoding and decoding of symbol arrays with interleaved rANS over packed tables. No Python here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tables.hpp"

namespace vnvc {

// Stream bytes for symbols[i] coded with table indexes[i]. Throws std::invalid_argument for a bad index.
std::vector<uint8_t> encode_symbols(const int32_t* symbols, const int32_t* indexes, size_t count,
                                    const Tables& tables);

// Inverse of encode_symbols. Throws std::invalid_argument for a bad index or data that is not a stream made
// by encode_symbols with these indexes and tables (detected at the latest when the data ends).
void decode_symbols(const uint8_t* data, size_t size, const int32_t* indexes, size_t count, const Tables& tables,
                    int32_t* symbols);

}  // namespace vnvc
