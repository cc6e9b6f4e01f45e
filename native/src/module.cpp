// Python bindings: vnvc._native.encode / decode over numpy int32 arrays, GIL released while coding.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <stdexcept>
#include <string>
#include <utility>

#include "coder.hpp"
#include "rans.hpp"
#include "tables.hpp"

namespace py = pybind11;
using Int32Array = py::array_t<int32_t, py::array::c_style | py::array::forcecast>;

namespace {

Int32Array as_int32(const py::handle& obj, const char* name, int ndim = -1) {
  if (!py::isinstance<py::array>(obj)) throw py::type_error(std::string(name) + " must be a numpy array");
  const auto arr = py::reinterpret_borrow<py::array>(obj);
  const py::dtype dt = arr.dtype();
  if (dt.kind() != 'i' || dt.itemsize() != 4)
    throw std::invalid_argument(std::string(name) + " must have dtype int32, got " + std::string(py::str(dt)));
  if (ndim >= 0 && arr.ndim() != ndim)
    throw std::invalid_argument(std::string(name) + " must have " + std::to_string(ndim) + " dimension(s), got " +
                                std::to_string(arr.ndim()));
  return Int32Array::ensure(arr);  // same width: only byte order / contiguity may change
}

vnvc::Tables tables_from(const py::handle& cdfs_obj, const py::handle& lengths_obj, const py::handle& offsets_obj) {
  const Int32Array cdfs = as_int32(cdfs_obj, "cdfs", 2);
  const Int32Array lengths = as_int32(lengths_obj, "cdf_lengths", 1);
  const Int32Array offsets = as_int32(offsets_obj, "offsets", 1);
  const size_t count = size_t(cdfs.shape(0));
  if (size_t(lengths.shape(0)) != count || size_t(offsets.shape(0)) != count)
    throw std::invalid_argument("cdf_lengths and offsets must have one entry per CDF table (" + std::to_string(count) +
                                "), got " + std::to_string(lengths.shape(0)) + " and " +
                                std::to_string(offsets.shape(0)));
  return vnvc::pack_tables(cdfs.data(), count, size_t(cdfs.shape(1)), lengths.data(), offsets.data());
}

// The symbols and their table indexes as int32 arrays of one size (ValueError otherwise).
std::pair<Int32Array, Int32Array> symbols_and_indexes(const py::handle& symbols_obj, const py::handle& indexes_obj) {
  Int32Array symbols = as_int32(symbols_obj, "symbols");
  Int32Array indexes = as_int32(indexes_obj, "indexes");
  if (symbols.size() != indexes.size())
    throw std::invalid_argument("symbols and indexes differ in size: " + std::to_string(symbols.size()) + " vs " +
                                std::to_string(indexes.size()));
  return {symbols, indexes};
}

void add_segment(vnvc::StreamEncoder& encoder, const py::handle& symbols_obj, const py::handle& indexes_obj,
                 const py::handle& cdfs, const py::handle& cdf_lengths, const py::handle& offsets) {
  const auto [symbols, indexes] = symbols_and_indexes(symbols_obj, indexes_obj);
  encoder.add(symbols.data(), indexes.data(), size_t(symbols.size()), tables_from(cdfs, cdf_lengths, offsets));
}

// Runs `code` (which returns stream bytes) with the GIL released; the bytes as a Python bytes object.
template <class Code>
py::bytes coded_without_gil(Code&& code) {
  std::vector<uint8_t> out;
  {
    py::gil_scoped_release release;
    out = code();
  }
  return py::bytes(reinterpret_cast<const char*>(out.data()), out.size());
}

py::bytes finish_encoder(vnvc::StreamEncoder& encoder) {
  return coded_without_gil([&] { return encoder.finish(); });
}

std::vector<uint8_t> bytes_of(const py::buffer& data) {
  const py::buffer_info info = data.request();
  if (info.ndim != 1 || info.itemsize != 1 || info.strides[0] != 1)
    throw std::invalid_argument("data must be a contiguous bytes-like object");
  const auto* p = static_cast<const uint8_t*>(info.ptr);
  return std::vector<uint8_t>(p, p + info.size);
}

py::array_t<int32_t> decode_segment(vnvc::StreamDecoder& decoder, const py::handle& indexes_obj,
                                    const py::handle& cdfs, const py::handle& cdf_lengths, const py::handle& offsets) {
  const Int32Array indexes = as_int32(indexes_obj, "indexes");
  const vnvc::Tables tables = tables_from(cdfs, cdf_lengths, offsets);
  std::vector<py::ssize_t> shape(indexes.shape(), indexes.shape() + indexes.ndim());
  py::array_t<int32_t> out(shape);
  {
    py::gil_scoped_release release;
    decoder.decode(indexes.data(), size_t(indexes.size()), tables, out.mutable_data());
  }
  return out;
}

py::bytes encode(const py::handle& symbols_obj, const py::handle& indexes_obj, const py::handle& cdfs,
                 const py::handle& cdf_lengths, const py::handle& offsets) {
  const auto arrays = symbols_and_indexes(symbols_obj, indexes_obj);
  const Int32Array &symbols = arrays.first, &indexes = arrays.second;  // lambdas cannot capture C++17 bindings
  const vnvc::Tables tables = tables_from(cdfs, cdf_lengths, offsets);
  return coded_without_gil(
      [&] { return vnvc::encode_symbols(symbols.data(), indexes.data(), size_t(symbols.size()), tables); });
}

py::array_t<int32_t> decode(const py::buffer& data, const py::handle& indexes, const py::handle& cdfs,
                            const py::handle& cdf_lengths, const py::handle& offsets) {
  vnvc::StreamDecoder decoder(bytes_of(data));
  py::array_t<int32_t> out = decode_segment(decoder, indexes, cdfs, cdf_lengths, offsets);
  decoder.finish();
  return out;
}

}  // namespace

PYBIND11_MODULE(_native, m) {
  m.doc() = "rANS entropy coder over integer CDF tables (vnvc native extension).";
  m.attr("PRECISION") = vnvc::kPrecision;
  py::class_<vnvc::StreamEncoder>(m, "StreamEncoder",
                                  "Codes several segments of symbols, each with its own tables, into one stream.")
      .def(py::init<>())
      .def("add", &add_segment, py::arg("symbols"), py::arg("indexes"), py::arg("cdfs"), py::arg("cdf_lengths"),
           py::arg("offsets"),
           "Queue int32 `symbols[i]` coded with CDF table `indexes[i]`.\n\n"
           "cdfs: int32 (T, L); row t holds cdf_lengths[t] entries 0 = c0 < c1 < ... = 2**PRECISION defining\n"
           "cdf_lengths[t] - 1 symbols: values offsets[t] + k for k < cdf_lengths[t] - 2, and an escape symbol\n"
           "(last) through which any other int32 value is coded exactly.")
      .def("finish", &finish_encoder, "The stream holding every segment queued so far, as bytes; starts over.");
  py::class_<vnvc::StreamDecoder>(m, "StreamDecoder",
                                  "Reads back the segments of a StreamEncoder stream, in the order they were added.")
      .def(py::init([](const py::buffer& data) { return new vnvc::StreamDecoder(bytes_of(data)); }), py::arg("data"))
      .def("decode", &decode_segment, py::arg("indexes"), py::arg("cdfs"), py::arg("cdf_lengths"), py::arg("offsets"),
           "The next segment: int32 array shaped like `indexes`, coded with the given tables.")
      .def("finish", &vnvc::StreamDecoder::finish, "Check that the stream ends exactly after the segments read.");
  m.def("encode", &encode, py::arg("symbols"), py::arg("indexes"), py::arg("cdfs"), py::arg("cdf_lengths"),
        py::arg("offsets"), "A stream of one segment (see StreamEncoder.add); returns bytes.");
  m.def("decode", &decode, py::arg("data"), py::arg("indexes"), py::arg("cdfs"), py::arg("cdf_lengths"),
        py::arg("offsets"),
        "Inverse of encode: int32 array shaped like `indexes`. Raises ValueError on invalid tables or data that\n"
        "is not a stream encoded with these indexes and tables.");
}
