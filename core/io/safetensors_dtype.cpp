#include "io/safetensors_dtype.hpp"

#include <array>

namespace socrates {

namespace {

// Scalar types that older LibTorch releases lack: std::nullopt there, so such a build
// still compiles and reports these dtypes as unsupported instead of failing.
#define SOCRATES_SCALAR_TYPE_IF_PRESENT(fn, member)            \
  template <class S = c10::ScalarType>                         \
  constexpr std::optional<c10::ScalarType> fn() {              \
    if constexpr (requires { S::member; }) return S::member;   \
    else return std::nullopt;                                  \
  }
SOCRATES_SCALAR_TYPE_IF_PRESENT(f8_e4m3, Float8_e4m3fn)
SOCRATES_SCALAR_TYPE_IF_PRESENT(f8_e5m2, Float8_e5m2)
SOCRATES_SCALAR_TYPE_IF_PRESENT(f8_e8m0, Float8_e8m0fnu)
SOCRATES_SCALAR_TYPE_IF_PRESENT(u16, UInt16)
SOCRATES_SCALAR_TYPE_IF_PRESENT(u32, UInt32)
SOCRATES_SCALAR_TYPE_IF_PRESENT(u64, UInt64)
#undef SOCRATES_SCALAR_TYPE_IF_PRESENT

using ST = c10::ScalarType;

// write_rank is the position in the Python package's Dtype enum (safetensors 0.7.0), which
// orders the tensors of a file it writes: higher rank first, then by name.
const std::array<SafetensorsDtype, 20> kDtypes{{
    {"F64", ST::Double, 64, 17},
    {"F32", ST::Float, 32, 15},
    {"F16", ST::Half, 16, 11},
    {"BF16", ST::BFloat16, 16, 12},
    {"I64", ST::Long, 64, 18},
    {"I32", ST::Int, 32, 13},
    {"I16", ST::Short, 16, 9},
    {"I8", ST::Char, 8, 5},
    {"U8", ST::Byte, 8, 4},
    {"BOOL", ST::Bool, 8, 0},
    {"F8_E4M3", f8_e4m3(), 8, 7},
    {"F8_E5M2", f8_e5m2(), 8, 6},
    {"F8_E8M0", f8_e8m0(), 8, 8},
    {"C64", ST::ComplexFloat, 64, 16},
    {"U64", u64(), 64, 19},
    {"U32", u32(), 32, 14},
    {"U16", u16(), 16, 10},
    // Sub-byte types: LibTorch has no per-element equivalent (its Float4_e2m1fn_x2 packs two).
    {"F4", std::nullopt, 4, 1},
    {"F6_E2M3", std::nullopt, 6, 2},
    {"F6_E3M2", std::nullopt, 6, 3},
}};

}  // namespace

const SafetensorsDtype* find_safetensors_dtype(std::string_view name) {
  for (const auto& d : kDtypes)
    if (d.name == name) return &d;
  return nullptr;
}

const SafetensorsDtype* find_safetensors_dtype(c10::ScalarType type) {
  for (const auto& d : kDtypes)
    if (d.scalar_type == type) return &d;
  return nullptr;
}

std::string supported_safetensors_dtypes() {
  std::string out;
  for (const auto& d : kDtypes) {
    if (!d.scalar_type) continue;
    if (!out.empty()) out += ", ";
    out += d.name;
  }
  return out;
}

}  // namespace socrates
