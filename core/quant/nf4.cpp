// The public 4-bit API: validation, device dispatch, double quantisation.
#include <ATen/ops/arange.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/mean.h>

#include <map>
#include <mutex>

#include "quant/detail.hpp"
#include "quant/nf4.hpp"
#include "socrates/error.hpp"

namespace socrates::quant {

namespace {

bool is_float_type(c10::ScalarType t) { return t == c10::kFloat || t == c10::kBFloat16 || t == c10::kHalf; }

[[noreturn]] void no_cuda(const char* what) {
  throw Error(std::string(what) + ": the tensor is on a CUDA device but socrates_quant was built without CUDA kernels");
}

// Constant tables on a device, copied there once (no host-to-device copy per weight).
const at::Tensor& on_device(int which, c10::Device device) {
  static std::mutex mu;
  static std::map<std::pair<int, std::string>, at::Tensor> cache;
  const std::lock_guard<std::mutex> lock(mu);
  at::Tensor& t = cache[{which, device.str()}];
  if (!t.defined()) {
    t = which == 0 ? code_table(QuantType::NF4) : which == 1 ? code_table(QuantType::FP4) : dynamic_map(true);
    t = t.to(device);
  }
  return t;
}

at::Tensor scalar_f32(float v, c10::Device device) {
  return at::from_blob(&v, {}, at::TensorOptions().dtype(at::kFloat)).clone().to(device);
}

// absmax values minus their mean, quantised blockwise with the signed dynamic map.
void double_quantise(Nf4Tensor& q, const at::Tensor& absmax, const QuantOptions& opt) {
  const c10::Device dev = absmax.device();
  q.nested_blocksize = 256;
  q.nested_quant_map = dev.is_cpu() ? dynamic_map(true) : on_device(2, dev);
  const std::int64_t blocks = absmax.numel();
  const std::int64_t nblocks = (blocks + q.nested_blocksize - 1) / q.nested_blocksize;
  q.absmax = at::empty({blocks}, absmax.options().dtype(at::kByte));
  q.nested_absmax = at::empty({nblocks}, absmax.options().dtype(at::kFloat));
  if (dev.is_cuda()) {
#ifdef SOCRATES_QUANT_CUDA
    q.nested_offset = at::mean(absmax);  // torch's own CUDA reduction, as bitsandbytes calls it
    detail::cuda_quantize_8bit(absmax, q.nested_offset, q.nested_quant_map, q.nested_blocksize, q.absmax,
                               q.nested_absmax);
#else
    no_cuda("quantize_4bit");
#endif
  } else {
    const float off = torch_cuda_mean_f32(absmax.data_ptr<float>(), blocks, opt.reference_sm_count);
    q.nested_offset = scalar_f32(off, dev);
    detail::cpu_quantize_8bit(absmax.data_ptr<float>(), blocks, off, q.nested_quant_map.data_ptr<float>(),
                              q.nested_blocksize, q.absmax.data_ptr<std::uint8_t>(), q.nested_absmax.data_ptr<float>());
  }
}

}  // namespace

std::string_view to_string(QuantType t) { return t == QuantType::NF4 ? "nf4" : "fp4"; }

QuantType parse_quant_type(std::string_view s, std::string_view what) {
  if (s == "nf4") return QuantType::NF4;
  if (s == "fp4") return QuantType::FP4;
  std::string msg = "unsupported quant_type '" + std::string(s) + "' (supported: nf4, fp4)";
  if (!what.empty()) msg = "'" + std::string(what) + "': " + msg;
  throw Error(msg);
}

bool is_supported_blocksize(std::int64_t b) {
  return b == 64 || b == 128 || b == 256 || b == 512 || b == 1024 || b == 2048 || b == 4096;
}

std::int64_t Nf4Tensor::numel() const {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

std::int64_t Nf4Tensor::num_blocks() const { return (numel() + blocksize - 1) / blocksize; }

float Nf4Tensor::offset_value() const {
  if (!nested_offset.defined()) return 0.0f;
  return nested_offset.to(c10::Device(c10::kCPU)).data_ptr<float>()[0];
}

Nf4Tensor Nf4Tensor::to(c10::Device device) const {
  Nf4Tensor q = *this;
  for (at::Tensor* t : {&q.packed, &q.absmax, &q.quant_map, &q.nested_absmax, &q.nested_quant_map, &q.nested_offset})
    if (t->defined()) *t = t->to(device);
  return q;
}

at::Tensor code_table(QuantType t) {
  const auto& tab = t == QuantType::NF4 ? nf4_table() : fp4_table();
  return at::from_blob(const_cast<float*>(tab.data()), {16}, at::TensorOptions().dtype(at::kFloat)).clone();
}

Nf4Tensor quantize_4bit(const at::Tensor& weight, const QuantOptions& opt) {
  if (!weight.defined()) throw Error("quantize_4bit: undefined tensor");
  if (!is_float_type(weight.scalar_type()))
    throw Error(std::string("quantize_4bit: unsupported dtype ") + c10::toString(weight.scalar_type()) +
                " (float32, bfloat16 or float16)");
  if (!is_supported_blocksize(opt.blocksize))
    throw Error("quantize_4bit: unsupported blocksize " + std::to_string(opt.blocksize) +
                " (64, 128, 256, 512, 1024, 2048 or 4096)");
  if (weight.numel() == 0) throw Error("quantize_4bit: cannot quantise an empty tensor");
  const at::Tensor x = weight.detach().contiguous();
  Nf4Tensor q;
  q.quant_type = opt.quant_type;
  q.blocksize = opt.blocksize;
  q.dtype = x.scalar_type();
  q.shape = x.sizes().vec();
  const std::int64_t n = x.numel(), blocks = q.num_blocks();
  q.packed = at::empty({(n + 1) / 2, 1}, x.options().dtype(at::kByte));
  at::Tensor absmax = at::empty({blocks}, x.options().dtype(at::kFloat));
  q.quant_map = x.device().is_cpu() ? code_table(opt.quant_type)
                                    : on_device(opt.quant_type == QuantType::NF4 ? 0 : 1, x.device());
  if (x.is_cuda()) {
#ifdef SOCRATES_QUANT_CUDA
    detail::cuda_quantize_4bit(x, opt.quant_type, opt.blocksize, q.packed, absmax);
#else
    no_cuda("quantize_4bit");
#endif
  } else if (x.device().is_cpu()) {
    auto* out = q.packed.data_ptr<std::uint8_t>();
    auto* am = absmax.data_ptr<float>();
    switch (x.scalar_type()) {
      case c10::kFloat: detail::cpu_quantize_4bit(x.data_ptr<float>(), n, opt.blocksize, opt.quant_type, out, am); break;
      case c10::kBFloat16:
        detail::cpu_quantize_4bit(x.data_ptr<c10::BFloat16>(), n, opt.blocksize, opt.quant_type, out, am);
        break;
      default: detail::cpu_quantize_4bit(x.data_ptr<c10::Half>(), n, opt.blocksize, opt.quant_type, out, am); break;
    }
  } else {
    throw Error(std::string("quantize_4bit: unsupported device ") + x.device().str());
  }
  if (opt.double_quant) {
    double_quantise(q, absmax, opt);
  } else {
    q.absmax = absmax;
  }
  return q;
}

Nf4Tensor quantize_nf4(const at::Tensor& weight, QuantOptions options) {
  options.quant_type = QuantType::NF4;
  return quantize_4bit(weight, options);
}

at::Tensor dequantize_absmax(const Nf4Tensor& q) {
  if (!q.nested()) return q.absmax;
  // bitsandbytes: dequantize_blockwise(absmax, state2) (code * nested_absmax, float32), then
  // += offset: two float32 roundings.
  at::Tensor a = dequantize_blockwise_8bit(q.absmax, q.nested_absmax, q.nested_quant_map, q.nested_blocksize);
  return a.add_(q.nested_offset);
}

at::Tensor dequantize(const Nf4Tensor& q, std::optional<c10::ScalarType> dtype) {
  const c10::ScalarType out_t = dtype.value_or(q.dtype);
  if (!is_float_type(out_t))
    throw Error(std::string("dequantize: unsupported output dtype ") + c10::toString(out_t) +
                " (float32, bfloat16 or float16)");
  if (!q.packed.defined()) throw Error("dequantize: empty quantised tensor");
  at::Tensor out = at::empty(q.shape, q.packed.options().dtype(out_t));
  dequantize_into(q, out);
  return out;
}

void dequantize_into(const Nf4Tensor& q, at::Tensor& out) {
  if (!q.packed.defined()) throw Error("dequantize: empty quantised tensor");
  const c10::ScalarType out_t = out.scalar_type();
  if (!is_float_type(out_t))
    throw Error(std::string("dequantize: unsupported output dtype ") + c10::toString(out_t) +
                " (float32, bfloat16 or float16)");
  if (out.sizes().vec() != q.shape || !out.is_contiguous() || out.device() != q.packed.device())
    throw Error("dequantize_into: the buffer must be contiguous, of shape " + c10::str(c10::IntArrayRef(q.shape)) +
                " and on " + q.packed.device().str());
  const std::int64_t n = q.numel();
  if (q.packed.is_cuda()) {
#ifdef SOCRATES_QUANT_CUDA
    detail::cuda_dequantize_4bit(q, out);
#else
    no_cuda("dequantize");
#endif
    return;
  }
  const at::Tensor absmax = dequantize_absmax(q).contiguous();
  const at::Tensor packed = q.packed.contiguous();
  const auto* pk = packed.data_ptr<std::uint8_t>();
  const float* am = absmax.data_ptr<float>();
  switch (out_t) {
    case c10::kFloat: detail::cpu_dequantize_4bit(pk, am, n, q.blocksize, q.quant_type, out.data_ptr<float>()); break;
    case c10::kBFloat16:
      detail::cpu_dequantize_4bit(pk, am, n, q.blocksize, q.quant_type, out.data_ptr<c10::BFloat16>());
      break;
    default: detail::cpu_dequantize_4bit(pk, am, n, q.blocksize, q.quant_type, out.data_ptr<c10::Half>()); break;
  }
}

Blockwise8bit quantize_blockwise_8bit(const at::Tensor& x_in, const at::Tensor& code_in, std::int64_t blocksize) {
  if (x_in.scalar_type() != at::kFloat) throw Error("quantize_blockwise_8bit: input must be float32");
  if (code_in.scalar_type() != at::kFloat || code_in.numel() != 256)
    throw Error("quantize_blockwise_8bit: code must be 256 float32 values");
  if (!is_supported_blocksize(blocksize)) throw Error("quantize_blockwise_8bit: unsupported blocksize " + std::to_string(blocksize));
  const at::Tensor x = x_in.detach().contiguous().view({-1});
  const at::Tensor code = code_in.to(x.device()).contiguous();
  const std::int64_t n = x.numel(), blocks = (n + blocksize - 1) / blocksize;
  Blockwise8bit r{at::empty({n}, x.options().dtype(at::kByte)), at::empty({blocks}, x.options().dtype(at::kFloat))};
  if (x.is_cuda()) {
#ifdef SOCRATES_QUANT_CUDA
    detail::cuda_quantize_8bit(x, at::Tensor(), code, blocksize, r.codes, r.absmax);
#else
    no_cuda("quantize_blockwise_8bit");
#endif
  } else {
    detail::cpu_quantize_8bit(x.data_ptr<float>(), n, 0.0f, code.data_ptr<float>(), blocksize,
                              r.codes.data_ptr<std::uint8_t>(), r.absmax.data_ptr<float>());
  }
  return r;
}

at::Tensor dequantize_blockwise_8bit(const at::Tensor& codes, const at::Tensor& absmax, const at::Tensor& code,
                                     std::int64_t blocksize) {
  if (codes.scalar_type() != at::kByte || absmax.scalar_type() != at::kFloat || code.scalar_type() != at::kFloat ||
      code.numel() != 256)
    throw Error("dequantize_blockwise_8bit: expects uint8 codes, float32 absmax and a 256-value float32 code");
  const std::int64_t n = codes.numel();
  if (absmax.numel() != (n + blocksize - 1) / blocksize)
    throw Error("dequantize_blockwise_8bit: absmax has " + std::to_string(absmax.numel()) + " values, expected " +
                std::to_string((n + blocksize - 1) / blocksize));
  const at::Tensor c = codes.contiguous().view({-1}).to(at::kLong);
  const at::Tensor block = at::arange(n, c.options()).div_(blocksize, "floor");
  return code.to(codes.device()).index_select(0, c).mul_(absmax.contiguous().index_select(0, block));
}

bool has_format(const Nf4Tensor& q, const QuantOptions& o) {
  return q.quant_type == o.quant_type && q.blocksize == o.blocksize && q.nested() == o.double_quant;
}

}  // namespace socrates::quant
