#include "options.hpp"

#include <cmath>
#include <regex>
#include <sstream>

namespace lora {

namespace {
std::string num(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}
}  // namespace

LoraOptions LoraOptions::from(const socrates::ConfigSection& cfg) {
  LoraOptions o;
  o.r = cfg.get<std::int64_t>("r");
  if (o.r <= 0) throw cfg.error("r", "must be a positive integer, got " + std::to_string(o.r));
  o.alpha = cfg.get<double>("alpha");
  if (!std::isfinite(o.alpha)) throw cfg.error("alpha", "must be a finite number");
  o.dropout = cfg.get<double>("dropout");
  if (!(o.dropout >= 0.0 && o.dropout < 1.0)) {
    throw cfg.error("dropout", "must be in [0, 1), got " + num(o.dropout));
  }
  o.target_modules = cfg.get<std::vector<std::string>>("target_modules");
  o.target_regex = cfg.get<std::string>("target_regex");
  if (o.target_regex.empty()) {
    if (o.target_modules.empty()) {
      throw cfg.error("target_modules", "is empty; name the layers to adapt (e.g. [\"q_proj\", \"v_proj\"]), "
                                        "use [\"all-linear\"], or set target_regex");
    }
    for (const std::string& t : o.target_modules) {
      if (t.empty()) throw cfg.error("target_modules", "contains an empty name");
      if (t == kAllLinear && o.target_modules.size() != 1) {
        throw cfg.error("target_modules", "\"all-linear\" must be the only entry (it already selects every linear layer)");
      }
    }
  } else {
    try {
      std::regex re(o.target_regex, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      throw cfg.error("target_regex", "is not a valid regular expression: " + std::string(e.what()));
    }
  }
  o.rslora = cfg.get<bool>("rslora");
  const std::string dt = cfg.get<std::string>("dtype");
  if (dt == "float32") {
    o.dtype = c10::kFloat;
  } else if (dt == "bfloat16") {
    o.dtype = c10::kBFloat16;
  } else {
    throw cfg.error("dtype", "must be \"float32\" or \"bfloat16\", got \"" + dt + "\"");
  }
  const std::string compute = cfg.get<std::string>("compute");
  if (compute != "adapter" && compute != "input") {
    throw cfg.error("compute", "must be \"adapter\" or \"input\", got \"" + compute + "\"");
  }
  o.compute_in_input_dtype = compute == "input";
  const std::string mask = cfg.get<std::string>("dropout_mask");
  if (mask != "redraw" && mask != "keep") {
    throw cfg.error("dropout_mask", "must be \"redraw\" or \"keep\", got \"" + mask + "\"");
  }
  o.redraw_dropout_mask = mask == "redraw";
  o.fused_dropout = cfg.get<bool>("fused_dropout");
  o.base_model = cfg.get<std::string>("base_model");
  return o;
}

double LoraOptions::scaling() const {
  const double r_ = static_cast<double>(r);
  return rslora ? alpha / std::sqrt(r_) : alpha / r_;
}

}  // namespace lora
