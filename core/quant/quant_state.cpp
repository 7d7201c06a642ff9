// The quant_state JSON blob and the transformers/bitsandbytes tensor layout of a 4-bit weight.
#include <charconv>
#include <cmath>
#include <cstring>
#include <set>

#include <ATen/ops/empty.h>
#include <ATen/ops/from_blob.h>
#include <nlohmann/json.hpp>

#include "quant/nf4.hpp"
#include "socrates/error.hpp"

namespace socrates::quant {

namespace {

std::string dtype_name(c10::ScalarType t) {
  switch (t) {
    case c10::kFloat: return "float32";
    case c10::kBFloat16: return "bfloat16";
    case c10::kHalf: return "float16";
    default: throw Error(std::string("4-bit quantisation: unsupported dtype ") + c10::toString(t));
  }
}

std::optional<c10::ScalarType> parse_dtype(std::string_view s) {
  if (s == "float32") return c10::kFloat;
  if (s == "bfloat16") return c10::kBFloat16;
  if (s == "float16") return c10::kHalf;
  return std::nullopt;
}

// Python repr() of a float: the shortest round-trip digits, exponent form when the decimal
// point position is <= -4 or > 16, otherwise positional with at least one fractional digit.
std::string python_repr(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::scientific);
  const std::string sci(buf, r.ptr);
  const auto e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e))
    if (c != '.') digits += c;
  const int exp10 = std::stoi(sci.substr(e + 1));
  const int decpt = exp10 + 1;
  std::string out = v < 0 ? "-" : "";
  const int nd = static_cast<int>(digits.size());
  if (decpt <= -4 || decpt > 16) {
    out += digits.substr(0, 1);
    if (nd > 1) out += "." + digits.substr(1);
    const int x = decpt - 1;
    out += x < 0 ? "e-" : "e+";
    const std::string xs = std::to_string(std::abs(x));
    out += (xs.size() < 2 ? "0" : "") + xs;
  } else if (decpt <= 0) {
    out += "0." + std::string(static_cast<std::size_t>(-decpt), '0') + digits;
  } else if (decpt >= nd) {
    out += digits + std::string(static_cast<std::size_t>(decpt - nd), '0') + ".0";
  } else {
    out += digits.substr(0, decpt) + "." + digits.substr(decpt);
  }
  return out;
}

[[noreturn]] void fail(std::string_view tensor, std::string_view source, const std::string& what) {
  std::string where = "quantised weight '" + std::string(tensor) + "'";
  if (!source.empty()) where += " in " + std::string(source);
  throw Error(where + ": " + what);
}

std::string shape_str(const std::vector<std::int64_t>& s) {
  std::string o = "[";
  for (std::size_t i = 0; i < s.size(); ++i) o += (i ? ", " : "") + std::to_string(s[i]);
  return o + "]";
}

}  // namespace

namespace detail {
struct SavedPieces {
  at::Tensor packed, absmax, quant_map, nested_absmax, nested_quant_map, quant_state;
  std::string quant_state_key;
};
Nf4Tensor assemble(const std::string& name, SavedPieces p, std::string_view source);
}  // namespace detail

std::string quant_state_suffix(QuantType t) { return "quant_state.bitsandbytes__" + std::string(to_string(t)); }

QuantStateInfo parse_quant_state(std::string_view text, std::string_view tensor) {
  using nlohmann::json;
  json j;
  try {
    j = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    fail(tensor, {}, std::string("corrupt quant_state JSON (") + e.what() + ")");
  }
  if (!j.is_object()) fail(tensor, {}, "quant_state JSON is not an object");
  static const std::set<std::string> known = {"quant_type", "blocksize", "dtype", "shape", "nested_blocksize",
                                              "nested_dtype", "nested_offset"};
  for (const auto& [k, _] : j.items())
    if (!known.count(k)) fail(tensor, {}, "quant_state has an unknown key '" + k + "'");
  auto need = [&](const char* key) -> const json& {
    if (!j.contains(key)) fail(tensor, {}, std::string("quant_state lacks '") + key + "'");
    return j.at(key);
  };
  QuantStateInfo info;
  const json& qt = need("quant_type");
  if (!qt.is_string()) fail(tensor, {}, "quant_state 'quant_type' is not a string");
  info.quant_type = parse_quant_type(qt.get<std::string>(), tensor);
  const json& bs = need("blocksize");
  if (!bs.is_number_integer()) fail(tensor, {}, "quant_state 'blocksize' is not an integer");
  info.blocksize = bs.get<std::int64_t>();
  if (!is_supported_blocksize(info.blocksize))
    fail(tensor, {}, "unsupported blocksize " + std::to_string(info.blocksize) + " (supported: 64 to 4096, powers of two)");
  const json& dt = need("dtype");
  if (!dt.is_string() || !parse_dtype(dt.get<std::string>()))
    fail(tensor, {}, "unsupported dtype " + dt.dump() + " (supported: float32, bfloat16, float16)");
  info.dtype = *parse_dtype(dt.get<std::string>());
  const json& sh = need("shape");
  if (!sh.is_array()) fail(tensor, {}, "quant_state 'shape' is not a list");
  for (const json& d : sh) {
    if (!d.is_number_integer() || d.get<std::int64_t>() < 0) fail(tensor, {}, "quant_state 'shape' has a bad entry " + d.dump());
    info.shape.push_back(d.get<std::int64_t>());
  }
  const bool any_nested = j.contains("nested_blocksize") || j.contains("nested_dtype") || j.contains("nested_offset");
  if (any_nested) {
    info.nested = true;
    const json& nb = need("nested_blocksize");
    if (!nb.is_number_integer() || !is_supported_blocksize(nb.get<std::int64_t>()))
      fail(tensor, {}, "unsupported nested_blocksize " + nb.dump());
    info.nested_blocksize = nb.get<std::int64_t>();
    const json& nd = need("nested_dtype");
    if (!nd.is_string() || nd.get<std::string>() != "float32")
      fail(tensor, {}, "unsupported nested_dtype " + nd.dump() + " (bitsandbytes writes float32)");
    const json& no = need("nested_offset");
    if (!no.is_number()) fail(tensor, {}, "quant_state 'nested_offset' is not a number");
    info.nested_offset = no.get<double>();
  }
  return info;
}

std::string emit_quant_state(const QuantStateInfo& info) {
  std::string s = "{\"quant_type\": \"" + std::string(to_string(info.quant_type)) + "\", \"blocksize\": " +
                  std::to_string(info.blocksize) + ", \"dtype\": \"" + dtype_name(info.dtype) +
                  "\", \"shape\": " + shape_str(info.shape);
  if (info.nested) {
    s += ", \"nested_blocksize\": " + std::to_string(info.nested_blocksize) + ", \"nested_dtype\": \"" +
         dtype_name(info.nested_dtype) + "\", \"nested_offset\": " +
         python_repr(static_cast<double>(static_cast<float>(info.nested_offset)));
  }
  return s + "}";
}

QuantStateInfo quant_state_info(const Nf4Tensor& q) {
  QuantStateInfo info;
  info.quant_type = q.quant_type;
  info.blocksize = q.blocksize;
  info.dtype = q.dtype;
  info.shape = q.shape;
  info.nested = q.nested();
  if (info.nested) {
    info.nested_blocksize = q.nested_blocksize;
    info.nested_offset = q.offset_value();
  }
  return info;
}

std::map<std::string, at::Tensor> to_state_dict(const Nf4Tensor& q, const std::string& name) {
  const c10::Device cpu(c10::kCPU);
  std::map<std::string, at::Tensor> out;
  out[name] = q.packed.to(cpu).contiguous();
  out[name + ".absmax"] = q.absmax.to(cpu).contiguous();
  out[name + ".quant_map"] = q.quant_map.to(cpu).contiguous();
  if (q.nested()) {
    out[name + ".nested_absmax"] = q.nested_absmax.to(cpu).contiguous();
    out[name + ".nested_quant_map"] = q.nested_quant_map.to(cpu).contiguous();
  }
  const std::string blob = emit_quant_state(quant_state_info(q));
  at::Tensor t = at::empty({static_cast<std::int64_t>(blob.size())}, at::TensorOptions().dtype(at::kByte));
  std::memcpy(t.data_ptr<std::uint8_t>(), blob.data(), blob.size());
  out[name + "." + quant_state_suffix(q.quant_type)] = t;
  return out;
}

bool is_saved_4bit(const std::string& name, const std::map<std::string, at::Tensor>& tensors) {
  const std::string prefix = name + ".quant_state.";
  auto it = tensors.lower_bound(prefix);
  return it != tensors.end() && it->first.compare(0, prefix.size(), prefix) == 0;
}

Nf4Tensor from_state_dict(const std::string& name, const std::map<std::string, at::Tensor>& tensors,
                          std::string_view source) {
  auto get = [&](const std::string& k) {
    auto it = tensors.find(k);
    return it == tensors.end() ? at::Tensor() : it->second;
  };
  detail::SavedPieces p{get(name), get(name + ".absmax"), get(name + ".quant_map"), get(name + ".nested_absmax"),
                        get(name + ".nested_quant_map"), at::Tensor(), std::string()};
  const std::string prefix = name + ".quant_state.";
  for (auto it = tensors.lower_bound(prefix); it != tensors.end() && it->first.compare(0, prefix.size(), prefix) == 0;
       ++it) {
    const std::string kind = it->first.substr(prefix.size());
    if (kind != "bitsandbytes__nf4" && kind != "bitsandbytes__fp4")
      fail(name, source, "unsupported quantisation '" + kind + "' (supported: bitsandbytes__nf4, bitsandbytes__fp4)");
    if (p.quant_state.defined()) fail(name, source, "has more than one quant_state tensor");
    p.quant_state = it->second;
    p.quant_state_key = it->first;
  }
  return detail::assemble(name, std::move(p), source);
}

namespace detail {

Nf4Tensor assemble(const std::string& name, SavedPieces p, std::string_view source) {
  if (!p.quant_state.defined()) fail(name, source, "no quant_state tensor (" + name + ".quant_state.bitsandbytes__nf4)");
  if (!p.packed.defined()) fail(name, source, "the packed weight itself is missing");
  if (p.quant_state.scalar_type() != at::kByte || p.quant_state.dim() != 1)
    fail(name, source, "quant_state must be a 1-D uint8 tensor (UTF-8 JSON)");
  const at::Tensor qs = p.quant_state.to(c10::kCPU).contiguous();
  const std::string json(reinterpret_cast<const char*>(qs.data_ptr<std::uint8_t>()), static_cast<std::size_t>(qs.numel()));
  QuantStateInfo info;
  try {
    info = parse_quant_state(json, name);
  } catch (const Error& e) {
    if (source.empty()) throw;
    throw Error(std::string(e.what()) + " (in " + std::string(source) + ")");
  }
  const std::string suffix_type = p.quant_state_key.substr(p.quant_state_key.rfind("__") + 2);
  if (suffix_type != to_string(info.quant_type))
    fail(name, source, "quant_state key says '" + suffix_type + "' but its JSON says '" +
                           std::string(to_string(info.quant_type)) + "'");

  Nf4Tensor q;
  q.quant_type = info.quant_type;
  q.blocksize = info.blocksize;
  q.dtype = info.dtype;
  q.shape = info.shape;
  const std::int64_t n = q.numel(), blocks = q.num_blocks();
  if (p.packed.scalar_type() != at::kByte) fail(name, source, "packed weight must be uint8");
  if (p.packed.numel() != (n + 1) / 2)
    fail(name, source, "packed weight has " + std::to_string(p.packed.numel()) + " bytes, expected " +
                           std::to_string((n + 1) / 2) + " for shape " + shape_str(info.shape));
  if (!p.quant_map.defined()) fail(name, source, "quant_map is missing");
  if (p.quant_map.scalar_type() != at::kFloat || p.quant_map.numel() != 16)
    fail(name, source, "quant_map must be 16 float32 values");
  if (!p.absmax.defined()) fail(name, source, "absmax is missing");
  const auto want_absmax = info.nested ? at::kByte : at::kFloat;
  if (p.absmax.scalar_type() != want_absmax)
    fail(name, source, std::string("absmax must be ") + (info.nested ? "uint8 (double quantisation)" : "float32") +
                           ", got " + c10::toString(p.absmax.scalar_type()));
  if (p.absmax.numel() != blocks)
    fail(name, source, "absmax has " + std::to_string(p.absmax.numel()) + " values, expected " + std::to_string(blocks) +
                           " (" + std::to_string(n) + " elements / blocksize " + std::to_string(info.blocksize) + ")");
  q.packed = p.packed.contiguous().view({(n + 1) / 2, 1});
  q.absmax = p.absmax.contiguous().view({blocks});
  q.quant_map = p.quant_map.contiguous().view({16});
  if (info.nested) {
    if (!p.nested_absmax.defined() || !p.nested_quant_map.defined())
      fail(name, source, "quant_state is double-quantised but nested_absmax or nested_quant_map is missing");
    const std::int64_t nblocks = (blocks + info.nested_blocksize - 1) / info.nested_blocksize;
    if (p.nested_absmax.scalar_type() != at::kFloat || p.nested_absmax.numel() != nblocks)
      fail(name, source, "nested_absmax has " + std::to_string(p.nested_absmax.numel()) + " values, expected " +
                             std::to_string(nblocks) + " float32");
    if (p.nested_quant_map.scalar_type() != at::kFloat || p.nested_quant_map.numel() != 256)
      fail(name, source, "nested_quant_map must be 256 float32 values");
    q.nested_absmax = p.nested_absmax.contiguous().view({nblocks});
    q.nested_quant_map = p.nested_quant_map.contiguous().view({256});
    q.nested_blocksize = info.nested_blocksize;
    const float off = static_cast<float>(info.nested_offset);
    q.nested_offset = at::from_blob(const_cast<float*>(&off), {}, at::TensorOptions().dtype(at::kFloat))
                          .clone()
                          .to(q.packed.device());
  } else if (p.nested_absmax.defined() || p.nested_quant_map.defined()) {
    fail(name, source, "has nested_absmax/nested_quant_map but its quant_state is not double-quantised");
  }
  return q;
}

}  // namespace detail
}  // namespace socrates::quant
