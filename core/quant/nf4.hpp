// bitsandbytes-compatible 4-bit blockwise quantisation (NF4, FP4) with double quantisation.
//
// Bit-exact with bitsandbytes 0.50 on CUDA (quantize_4bit / dequantize_4bit):
// - blockwise absmax over the row-major flattened tensor (blocksize 64 by default);
// - codes chosen with bitsandbytes' decision trees (dQuantizeNF4 / dQuantizeFP4) applied to
//   x * (1 / absmax); two codes per byte, the first element in the high nibble;
// - an all-zero block gives 1/0 = inf, 0*inf = NaN, and code 0 (as the CUDA kernel does);
// - double quantisation: offset = mean(absmax) (torch's CUDA reduction order, emulated on
//   CPU), then absmax - offset quantised blockwise (256) with the signed 8-bit dynamic map.
// CPU tensors use the reference implementation, CUDA tensors the CUDA kernels.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

namespace socrates::quant {

enum class QuantType { NF4, FP4 };

/// "nf4" / "fp4".
std::string_view to_string(QuantType t);
/// Parses "nf4" / "fp4"; throws socrates::Error naming `what` (a tensor or option) otherwise.
QuantType parse_quant_type(std::string_view s, std::string_view what = {});

/// Blocksizes bitsandbytes' 4-bit CUDA kernels accept.
bool is_supported_blocksize(std::int64_t blocksize);

struct QuantOptions {
  QuantType quant_type = QuantType::NF4;
  std::int64_t blocksize = 64;  // 64, 128, 256, 512, 1024, 2048, 4096
  bool double_quant = true;     // bnb_4bit_use_double_quant
  /// CPU only: the SM count of the GPU whose torch.mean the CPU emulates for the
  /// double-quantisation offset (it decides the reduction order for more than 131072
  /// blocks). 132 = H100 SXM, where the reference fixtures were made.
  int reference_sm_count = 132;
};

/// A quantised tensor: the pieces transformers + bitsandbytes save, plus shape and dtype.
struct Nf4Tensor {
  QuantType quant_type = QuantType::NF4;
  std::int64_t blocksize = 64;
  c10::ScalarType dtype = c10::kFloat;  // dtype of the original weight
  std::vector<std::int64_t> shape;
  at::Tensor packed;     // uint8 [(numel + 1) / 2, 1]
  at::Tensor absmax;     // float32 [blocks]; uint8 [blocks] when double-quantised
  at::Tensor quant_map;  // float32 [16]
  // Double quantisation (nested) state; undefined tensors when absent.
  at::Tensor nested_absmax;     // float32 [ceil(blocks / nested_blocksize)]
  at::Tensor nested_quant_map;  // float32 [256]
  at::Tensor nested_offset;     // float32 scalar on the tensor's device
  std::int64_t nested_blocksize = 256;

  bool nested() const { return nested_absmax.defined(); }
  std::int64_t numel() const;
  std::int64_t num_blocks() const;
  c10::Device device() const { return packed.device(); }
  /// nested_offset as a host float (syncs when on a GPU).
  float offset_value() const;
  /// A copy with every tensor on `device`.
  Nf4Tensor to(c10::Device device) const;
};

/// Whether `q` is stored with the quant type, blocksize and double quantisation of `options`.
bool has_format(const Nf4Tensor& q, const QuantOptions& options);

/// Quantises `weight` (float32, bfloat16 or float16; any shape; CPU or CUDA).
Nf4Tensor quantize_4bit(const at::Tensor& weight, const QuantOptions& options = {});
/// quantize_4bit with quant_type NF4.
Nf4Tensor quantize_nf4(const at::Tensor& weight, QuantOptions options = {});

/// The original-shaped tensor in `dtype` (float32, bfloat16 or float16; default: the
/// original dtype), on the quantised tensor's device. Values are table[code] * absmax in
/// float32, then rounded to `dtype`, as bitsandbytes computes them.
at::Tensor dequantize(const Nf4Tensor& q, std::optional<c10::ScalarType> dtype = std::nullopt);
/// dequantize() into `out` (contiguous, q's shape and device, float32/bfloat16/float16), e.g. one
/// reused per-layer buffer, so nothing is allocated per call on the GPU.
void dequantize_into(const Nf4Tensor& q, at::Tensor& out);
/// The per-block float32 absmax (undoing double quantisation: code * nested_absmax + offset).
at::Tensor dequantize_absmax(const Nf4Tensor& q);

/// y = x W^T (+ bias) through a dequantised copy of W in x's dtype: the reference for the
/// fused kernels. x: [..., in], W: [out, in].
/// `buffer`, when given, receives the dequantised weight (see dequantize_into).
at::Tensor linear_4bit(const at::Tensor& x, const Nf4Tensor& w, const std::optional<at::Tensor>& bias = std::nullopt,
                       at::Tensor* buffer = nullptr);

// ---- code tables -------------------------------------------------------------------------

/// The 16 NF4 values (bitsandbytes' quant_map for nf4).
const std::array<float, 16>& nf4_table();
/// The 16 FP4 values as bitsandbytes stores quant_map for fp4 (its table / 12).
const std::array<float, 16>& fp4_table();
/// float32 [16] CPU tensor of the table of `t`.
at::Tensor code_table(QuantType t);
/// bitsandbytes.functional.create_dynamic_map(signed) (max_exponent_bits 7, 8 bits): float32
/// [256] CPU tensor, sorted ascending.
at::Tensor dynamic_map(bool signed_map);

/// The NF4 / FP4 code bitsandbytes' CUDA kernel picks for a normalised value.
std::uint8_t nf4_code(float x);
std::uint8_t fp4_code(float x);
/// bitsandbytes' dQuantize<0>: the 8-bit code for a normalised value in a sorted 256-map.
std::uint8_t quantize_8bit_value(const float* code256, float x);

// ---- 8-bit blockwise (bitsandbytes quantize_blockwise / dequantize_blockwise) -------------

struct Blockwise8bit {
  at::Tensor codes;   // uint8, same numel as the input (flat)
  at::Tensor absmax;  // float32 [ceil(numel / blocksize)]
};
/// Quantises float32 `x` (flattened) with `code` (float32 [256], sorted) in blocks.
Blockwise8bit quantize_blockwise_8bit(const at::Tensor& x, const at::Tensor& code, std::int64_t blocksize);
/// float32 flat tensor code[codes] * absmax[block].
at::Tensor dequantize_blockwise_8bit(const at::Tensor& codes, const at::Tensor& absmax, const at::Tensor& code,
                                     std::int64_t blocksize);

/// torch.mean of a contiguous float32 CUDA tensor of n values, reproduced on the CPU with
/// torch 2.x's CUDA reduction order (Reduce.cuh: vectorised loads, 4 accumulators, block
/// and global tree reductions, sum * (1/n)). `sm_count` and `max_threads_per_sm` describe
/// the GPU (they decide the split across thread blocks for large n).
float torch_cuda_mean_f32(const float* data, std::int64_t n, int sm_count = 132, int max_threads_per_sm = 2048);

// ---- quant_state JSON and the transformers tensor layout ----------------------------------

/// "quant_state.bitsandbytes__nf4" / "...__fp4".
std::string quant_state_suffix(QuantType t);

/// The non-tensor part of a quant state (the JSON blob transformers stores).
struct QuantStateInfo {
  QuantType quant_type = QuantType::NF4;
  std::int64_t blocksize = 64;
  c10::ScalarType dtype = c10::kFloat;
  std::vector<std::int64_t> shape;
  bool nested = false;
  std::int64_t nested_blocksize = 256;
  c10::ScalarType nested_dtype = c10::kFloat;
  double nested_offset = 0.0;
};

/// Parses the blob; throws socrates::Error naming `tensor` on corrupt JSON, missing or
/// mistyped keys, an unsupported quant_type, blocksize or dtype.
QuantStateInfo parse_quant_state(std::string_view json, std::string_view tensor);
/// The blob exactly as Python's json.dumps writes it for bitsandbytes (key order, ", " and
/// ": " separators, repr() floats).
std::string emit_quant_state(const QuantStateInfo& info);
QuantStateInfo quant_state_info(const Nf4Tensor& q);

/// The tensors transformers saves for a quantised weight named `name` ("...proj.weight"):
/// name, name.absmax, name.quant_map, [name.nested_absmax, name.nested_quant_map],
/// name.quant_state.bitsandbytes__<type> (uint8 JSON bytes). CPU tensors.
std::map<std::string, at::Tensor> to_state_dict(const Nf4Tensor& q, const std::string& name);

/// Rebuilds a quantised weight named `name` from saved tensors (only the keys name,
/// name.* are read). Throws socrates::Error naming the tensor (and `source`, e.g. the file)
/// on a missing piece, an unsupported quant type, corrupt JSON, wrong lengths or dtypes.
Nf4Tensor from_state_dict(const std::string& name, const std::map<std::string, at::Tensor>& tensors,
                          std::string_view source = {});

/// Whether `name` is saved as a bitsandbytes 4-bit weight (a name.quant_state.* key exists).
bool is_saved_4bit(const std::string& name, const std::map<std::string, at::Tensor>& tensors);

}  // namespace socrates::quant
