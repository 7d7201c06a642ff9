// CausalLM::export_tensors: the weights as a checkpoint stores them, dense or 4-bit.
#include "model/causal_lm.hpp"

namespace socrates {

std::vector<std::pair<std::string, at::Tensor>> CausalLM::export_tensors(
    c10::ScalarType dtype, const std::optional<quant::QuantOptions>& quantize) const {
  std::vector<std::pair<std::string, at::Tensor>> out;
  auto dense = [&](const std::string& name, const at::Tensor& t) {
    out.emplace_back(name, t.detach().to(c10::kCPU, dtype).contiguous());
  };
  auto linear = [&](const Linear& s) {
    const std::string w = "model." + s.name() + ".weight";
    const auto* q4 = dynamic_cast<const Linear4bit*>(s.base().get());
    if (!quantize) {
      dense(w, q4 ? q4->dense_weight(dtype) : s.weight());
    } else if (q4 && quant::has_format(q4->quantized(), *quantize) && q4->quantized().dtype == dtype) {
      for (auto& kv : quant::to_state_dict(q4->quantized(), w)) out.emplace_back(kv);  // as stored: no second rounding
    } else {
      const at::Tensor d = q4 ? q4->dense_weight(dtype) : s.weight().detach().to(dtype);
      for (auto& kv : quant::to_state_dict(quant::quantize_4bit(d, *quantize), w)) out.emplace_back(kv);
    }
    if (s.bias().defined()) dense("model." + s.name() + ".bias", s.bias());
  };
  dense("model.embed_tokens.weight", embed_);
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const DecoderLayer& l = layers_[i];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    dense(p + "input_layernorm.weight", l.input_norm);
    dense(p + "post_attention_layernorm.weight", l.post_norm);
    for (const Linear* s : {l.q.get(), l.k.get(), l.v.get(), l.o.get(), l.gate.get(), l.up.get(), l.down.get()})
      linear(*s);
  }
  dense("model.norm.weight", norm_);
  if (!config_.tie_word_embeddings) dense("lm_head.weight", lm_head_);
  return out;
}

bool CausalLM::quantized() const {
  for (const DecoderLayer& l : layers_)
    for (const Linear* s : {l.q.get(), l.k.get(), l.v.get(), l.o.get(), l.gate.get(), l.up.get(), l.down.get()})
      if (dynamic_cast<const Linear4bit*>(s->base().get())) return true;
  return false;
}

}  // namespace socrates
