#include "model/causal_lm.hpp"

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/embedding.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/linear.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/randn.h>
#include <ATen/ops/rms_norm.h>
#include <ATen/ops/rsqrt.h>
#include <ATen/ops/scaled_dot_product_attention.h>
#include <ATen/ops/silu.h>
#include <ATen/ops/zeros.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>

#include "model/device_copy.hpp"
#include "model/linear_group.hpp"
#include "model/random_init.hpp"
#include "model/recompute.hpp"
#include "model/rope.hpp"
#include "model/row_scale.hpp"
#include "model/swiglu.hpp"
#include "socrates/error.hpp"

namespace socrates {

// cuDNN's attention builds an execution plan on the host for every new shape: with the varying
// sequence lengths of real batches that cost 2.5 ms of host time per call on an H100 (a
// quarter of a 7B LoRA step, in the step profiler), while its kernels took 0.1 ms. The flash
// and memory-efficient kernels need no plan; SDPA picks among the others as before.
void use_cudnn_attention(bool on) { at::globalContext().setSDPUseCuDNN(on); }

CausalLM::CausalLM(ModelConfig c, c10::Device device, c10::ScalarType dtype)
    : config_(std::move(c)), device_(device), dtype_(dtype), inv_freq_(rope_inv_freq(config_).to(device)) {
  if (device_.is_cuda()) use_cudnn_attention(false);
}

std::unique_ptr<CausalLM> CausalLM::random(const ModelConfig& c, c10::Device device, c10::ScalarType dtype,
                                           std::uint64_t seed, const std::optional<quant::QuantOptions>& quantize) {
  std::unique_ptr<CausalLM> m(new CausalLM(c, device, dtype));
  // Models of a billion weights or more are drawn on all CPU cores (parallel_normal: a 14B
  // model took 90 s drawn serially); smaller ones from the seed's one generator, as earlier
  // versions drew them, so that the quickstart and other small random models keep their
  // weights and results. Either way the same for a seed on any device and thread count.
  const bool parallel = c.num_parameters() >= 1'000'000'000;
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  std::uint64_t stream = 0;
  auto normal = [&](std::vector<std::int64_t> shape, double sd) {
    at::Tensor t = parallel ? parallel_normal(shape, sd, seed, stream++)
                            : at::randn(shape, gen, at::TensorOptions().dtype(at::kFloat)) * sd;
    return t.to(dtype).to(device);
  };
  const double layer_std = c.initializer_range, embed_std = c.embedding_initializer_range.value_or(layer_std);
  auto ones = [&](std::int64_t n) { return at::ones({n}, at::TensorOptions().dtype(dtype).device(device)); };
  auto zeros = [&](std::int64_t n) { return at::zeros({n}, at::TensorOptions().dtype(dtype).device(device)); };
  const std::int64_t h = c.hidden_size;
  m->embed_ = normal({c.vocab_size, h}, embed_std);
  m->norm_ = ones(h);
  m->lm_head_ = c.tie_word_embeddings ? m->embed_ : normal({c.vocab_size, h}, embed_std);
  auto tensor = [&](const std::string& name, std::vector<std::int64_t> shape) {
    if (name.size() > 11 && name.compare(name.size() - 11, 11, "norm.weight") == 0) return ones(shape[0]);
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0) return zeros(shape[0]);
    return normal(std::move(shape), layer_std);
  };
  LinearFn linear;
  if (quantize) {
    auto buffer = std::make_shared<DequantBuffer>();
    linear = [&, buffer](const std::string& site, std::int64_t out, std::int64_t in, bool bias) {
      at::Tensor b = bias ? zeros(out) : at::Tensor();
      auto base = std::make_shared<Linear4bit>(quant::quantize_4bit(normal({out, in}, layer_std), *quantize), b, buffer);
      return std::make_unique<Linear>(site, out, in, b, std::move(base));
    };
  }
  m->build_layers(tensor, linear);
  return m;
}

void CausalLM::build_layers(const TensorFn& tensor, const LinearFn& linear) {
  const ModelConfig& c = config_;
  const std::int64_t h = c.hidden_size, q = c.num_heads * c.head_dim, kv = c.num_kv_heads * c.head_dim,
                     f = c.intermediate_size;
  for (std::int64_t i = 0; i < c.num_layers; ++i) {
    const std::string p = "layers." + std::to_string(i) + ".";
    auto lin = [&](const std::string& name, std::int64_t out, std::int64_t in, bool bias) {
      if (linear) return linear(p + name, out, in, bias);
      at::Tensor w = tensor("model." + p + name + ".weight", {out, in});
      at::Tensor b = bias ? tensor("model." + p + name + ".bias", {out}) : at::Tensor();
      return std::make_unique<Linear>(p + name, w, b);
    };
    DecoderLayer l;
    l.input_norm = tensor("model." + p + "input_layernorm.weight", {h});
    l.post_norm = tensor("model." + p + "post_attention_layernorm.weight", {h});
    l.q = lin("self_attn.q_proj", q, h, c.attention_bias);
    l.k = lin("self_attn.k_proj", kv, h, c.attention_bias);
    l.v = lin("self_attn.v_proj", kv, h, c.attention_bias);
    l.o = lin("self_attn.o_proj", h, q, false);
    l.gate = lin("mlp.gate_proj", f, h, c.mlp_bias);
    l.up = lin("mlp.up_proj", f, h, c.mlp_bias);
    l.down = lin("mlp.down_proj", h, f, c.mlp_bias);
    layers_.push_back(std::move(l));
  }
}

std::vector<LinearSite*> CausalLM::linear_sites() {
  std::vector<LinearSite*> out;
  for (DecoderLayer& l : layers_)
    for (Linear* s : {l.q.get(), l.k.get(), l.v.get(), l.o.get(), l.gate.get(), l.up.get(), l.down.get()})
      out.push_back(s);
  return out;
}

std::vector<std::pair<std::string, at::Tensor>> CausalLM::base_parameters() const {
  std::vector<std::pair<std::string, at::Tensor>> out{{"model.embed_tokens.weight", embed_}};
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const DecoderLayer& l = layers_[i];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    out.emplace_back(p + "input_layernorm.weight", l.input_norm);
    out.emplace_back(p + "post_attention_layernorm.weight", l.post_norm);
    for (const Linear* s : {l.q.get(), l.k.get(), l.v.get(), l.o.get(), l.gate.get(), l.up.get(), l.down.get()}) {
      if (s->weight().defined()) out.emplace_back("model." + s->name() + ".weight", s->weight());
      if (s->bias().defined()) out.emplace_back("model." + s->name() + ".bias", s->bias());
    }
  }
  out.emplace_back("model.norm.weight", norm_);
  if (!config_.tie_word_embeddings) out.emplace_back("lm_head.weight", lm_head_);
  return out;
}

void CausalLM::set_base_requires_grad(bool on) {
  for (auto& [name, t] : base_parameters()) t.requires_grad_(on);
}

KVCache CausalLM::make_cache(std::int64_t batch, std::int64_t capacity) const {
  KVCache c;
  auto opts = at::TensorOptions().dtype(dtype_).device(device_);
  for (std::int64_t i = 0; i < config_.num_layers; ++i) {
    c.k.push_back(at::empty({batch, config_.num_kv_heads, capacity, config_.head_dim}, opts));
    c.v.push_back(at::empty({batch, config_.num_kv_heads, capacity, config_.head_dim}, opts));
  }
  return c;
}

at::Tensor CausalLM::rms_norm(const at::Tensor& x, const at::Tensor& w) const {
  // As transformers: normalise in float32, cast back, then scale. On CUDA the normalisation is
  // one fused kernel (float32 inside, one rounding to x's dtype), forward and backward, and the
  // scale one vectorised kernel with the multiply's rounding (row_scale).
  if (x.is_cuda()) {
    return row_scale(at::rms_norm(x, {x.size(-1)}, std::nullopt, config_.rms_norm_eps), w, fused_kernels_);
  }
  at::Tensor xf = x.to(at::kFloat);
  at::Tensor var = xf.pow(2).mean(-1, /*keepdim=*/true);
  return w * (xf * at::rsqrt(var + config_.rms_norm_eps)).to(x.scalar_type());
}

at::Tensor CausalLM::attention(const DecoderLayer& l, std::size_t index, const at::Tensor& x, const at::Tensor& cos,
                               const at::Tensor& sin, const at::Tensor& mask, KVCache* cache) const {
  const std::int64_t B = x.size(0), T = x.size(1), H = config_.num_heads, KV = config_.num_kv_heads,
                     D = config_.head_dim;
  const std::vector<at::Tensor> qkv = linear_group({l.q.get(), l.k.get(), l.v.get()}, x, fused_kernels_);
  at::Tensor q = qkv[0].view({B, T, H, D}).transpose(1, 2);
  at::Tensor k = qkv[1].view({B, T, KV, D}).transpose(1, 2);
  at::Tensor v = qkv[2].view({B, T, KV, D}).transpose(1, 2);
  q = apply_rope(q, cos, sin, fused_kernels_);
  k = apply_rope(k, cos, sin, fused_kernels_);
  if (cache) {
    const std::int64_t start = cache->length;
    if (start + T > cache->capacity()) {
      throw Error("KV cache overflow: " + std::to_string(start + T) + " positions, capacity " +
                  std::to_string(cache->capacity()));
    }
    cache->k[index].narrow(2, start, T).copy_(k);
    cache->v[index].narrow(2, start, T).copy_(v);
    k = cache->k[index].narrow(2, 0, start + T);
    v = cache->v[index].narrow(2, 0, start + T);
  }
  const bool causal = !mask.defined() && T > 1;
  std::optional<at::Tensor> attn_mask;
  if (mask.defined()) attn_mask = mask;
  at::Tensor out =
      at::scaled_dot_product_attention(q, k, v, attn_mask, 0.0, causal, std::nullopt, /*enable_gqa=*/KV != H);
  return linear_group({l.o.get()}, out.transpose(1, 2).reshape({B, T, H * D}), fused_kernels_)[0];
}

at::Tensor CausalLM::layer_forward(std::size_t i, const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin,
                                   const at::Tensor& mask, KVCache* cache) const {
  const DecoderLayer& l = layers_[i];
  at::Tensor h = x + attention(l, i, rms_norm(x, l.input_norm), cos, sin, mask, cache);
  at::Tensor n = rms_norm(h, l.post_norm);
  const std::vector<at::Tensor> gate_up = linear_group({l.gate.get(), l.up.get()}, n, fused_kernels_);
  return h + linear_group({l.down.get()}, swiglu(gate_up[0], gate_up[1], fused_kernels_), fused_kernels_)[0];
}

at::Tensor CausalLM::forward(const at::Tensor& input_ids, const ForwardOptions& opts) const {
  const std::int64_t B = input_ids.size(0), T = input_ids.size(1);
  const std::int64_t past = opts.cache ? opts.cache->length : 0;
  at::Tensor ids = to_device_async(input_ids, device_);
  at::Tensor positions = opts.positions.defined()
                             ? opts.positions.to(device_)
                             : at::arange(past, past + T, at::TensorOptions().dtype(at::kLong).device(device_))
                                   .unsqueeze(0)
                                   .expand({B, T});
  auto [cos, sin] = rope_cos_sin(inv_freq_, positions, dtype_);

  // With padding, an explicit boolean mask [B, 1, T, S]: causal over absolute key
  // positions, valid keys only; each query also sees itself so no row is empty.
  at::Tensor mask;
  if (opts.attn_mask.defined()) {
    mask = opts.attn_mask.to(device_);
  } else if (opts.key_valid.defined()) {
    const std::int64_t S = past + T;
    auto lopts = at::TensorOptions().dtype(at::kLong).device(device_);
    at::Tensor qpos = at::arange(past, past + T, lopts).view({T, 1});
    at::Tensor kpos = at::arange(0, S, lopts).view({1, S});
    at::Tensor allowed = (kpos <= qpos).unsqueeze(0) & opts.key_valid.to(device_).narrow(1, 0, S).view({B, 1, S});
    mask = (allowed | (kpos == qpos).unsqueeze(0)).unsqueeze(1);
  } else if (past > 0 && T > 1) {
    // Chunked prefill on top of a cache: causal with an offset.
    auto lopts = at::TensorOptions().dtype(at::kLong).device(device_);
    mask = (at::arange(0, past + T, lopts).view({1, -1}) <= at::arange(past, past + T, lopts).view({-1, 1}))
               .view({1, 1, T, past + T});
  }

  at::Tensor x = at::embedding(embed_, ids);
  const bool recompute = checkpointing_ && at::GradMode::is_enabled() && !opts.cache;
  // Checkpointed layers only get a backward call if their input requires grad; the
  // frozen embedding's output does not, so make it a leaf that does (cheap).
  if (recompute && !x.requires_grad()) x = x.detach().requires_grad_(true);
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const bool again = recompute && (checkpoint_layers_ < 0 || static_cast<std::int64_t>(i) < checkpoint_layers_);
    x = again ? checkpointed_layer(*this, i, x, cos, sin, mask) : layer_forward(i, x, cos, sin, mask, opts.cache);
  }
  if (opts.cache) opts.cache->length = past + T;
  return rms_norm(x, norm_);
}

at::Tensor CausalLM::logits(const at::Tensor& hidden) const { return at::linear(hidden, lm_head_); }

}  // namespace socrates
