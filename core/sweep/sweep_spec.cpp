#include "sweep/sweep_spec.hpp"

#include <algorithm>
#include <map>
#include <regex>

#include <toml++/toml.h>

#include "config/schema.hpp"
#include "config/toml_value.hpp"
#include "io/close_names.hpp"
#include "socrates/error.hpp"

namespace fs = std::filesystem;

namespace socrates::sweep {

namespace {

const std::vector<std::string> kSweepKeys = {"name", "base", "output_dir", "seeds", "set", "grid", "zip", "variants"};

struct Reader {
  fs::path file;
  fs::path dir;

  std::string at(const toml::source_region& r) const {
    return file.string() + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
  }

  [[noreturn]] void fail(const toml::source_region& r, const std::string& what) const {
    throw ConfigError(at(r) + ": " + what);
  }

  // Calls `leaf(dotted key, node, key source)` for every non-table value below `t`;
  // nested tables ([sweep.grid.adapter] r = ...) extend the key.
  template <class F>
  void flatten(const toml::table& t, const std::string& prefix, F&& leaf) const {
    for (const auto& [k, node] : t) {
      const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
      if (const toml::table* sub = node.as_table()) {
        flatten(*sub, key, leaf);
      } else {
        leaf(key, node, k.source());
      }
    }
  }
};

// Table entries come back sorted by key; the file's order is the order of their lines.
template <class T>
void sort_by_origin(std::vector<T>& v, std::vector<std::pair<std::uint32_t, std::uint32_t>>& pos) {
  std::vector<std::size_t> idx(v.size());
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return pos[a] < pos[b]; });
  std::vector<T> out;
  for (std::size_t i : idx) out.push_back(std::move(v[i]));
  v = std::move(out);
}

void check_key(const std::string& key, const std::string& origin) {
  static const std::regex whole("[A-Za-z_][A-Za-z0-9_-]*(\\[[0-9]+\\])?(\\.[A-Za-z_][A-Za-z0-9_-]*(\\[[0-9]+\\])?)+");
  if (!std::regex_match(key, whole)) {
    throw ConfigError(origin + ": '" + key + "' is not a section.key name (write it as \"adapter.r\" or "
                      "\"evaluators[1].min_humans\")");
  }
}

std::vector<Axis> read_axes(const Reader& r, const toml::table& t, const std::string& what) {
  std::vector<Axis> axes;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pos;
  r.flatten(t, "", [&](const std::string& key, const toml::node& node, const toml::source_region& src) {
    const std::string origin = r.at(src);
    check_key(key, origin);
    const toml::array* a = node.as_array();
    if (!a) {
      r.fail(src, "[sweep." + what + "] '" + key + "' must be an array of the values to try, e.g. \"" + key +
                      "\" = [16, 32]; got " + std::string(from_toml(node).type_name()) +
                      " (a value for every variant belongs in [sweep.set])");
    }
    if (a->empty()) r.fail(src, "[sweep." + what + "] '" + key + "' has no values");
    Axis axis{key, {}, origin, r.dir};
    for (const toml::node& v : *a) axis.values.push_back(from_toml(v));
    axes.push_back(std::move(axis));
    pos.emplace_back(src.begin.line, src.begin.column);
  });
  sort_by_origin(axes, pos);
  return axes;
}

std::vector<Override> read_overrides(const Reader& r, const toml::table& t, const std::vector<std::string>& skip) {
  std::vector<Override> out;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pos;
  r.flatten(t, "", [&](const std::string& key, const toml::node& node, const toml::source_region& src) {
    if (std::find(skip.begin(), skip.end(), key) != skip.end()) return;
    const std::string origin = r.at(src);
    check_key(key, origin);
    out.push_back(Override{key, from_toml(node), origin, r.dir});
    pos.emplace_back(src.begin.line, src.begin.column);
  });
  sort_by_origin(out, pos);
  return out;
}

void check_name(const std::string& name, const std::string& origin, const std::string& what) {
  static const std::regex ok("[A-Za-z0-9][A-Za-z0-9._+=-]*");
  if (!std::regex_match(name, ok) || name.size() > 120) {
    throw ConfigError(origin + ": " + what + " '" + name + "' cannot name a directory: use letters, digits and "
                      "._+=- (at most 120 characters, starting with a letter or digit)");
  }
}

}  // namespace

bool has_sweep_section(const fs::path& file) {
  try {
    const toml::table doc = toml::parse_file(file.string());
    return doc.get("sweep") != nullptr;
  } catch (const toml::parse_error&) {
    return false;
  }
}

SweepSpec read_sweep_file(const fs::path& file) {
  if (!fs::is_regular_file(file)) throw ConfigError(file.string() + ": no such sweep file");
  Reader r{file, fs::absolute(file).parent_path().lexically_normal()};
  toml::table doc;
  try {
    doc = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    throw ConfigError(r.at(e.source()) + ": malformed TOML: " + std::string(e.description()));
  }
  const toml::table* sw = doc["sweep"].as_table();
  if (!sw) throw ConfigError(file.string() + ": not a sweep file: it has no [sweep] table");
  for (const auto& [k, node] : doc) {
    if (k.str() != "sweep") {
      r.fail(k.source(), "unknown top-level key '" + std::string(k.str()) + "' in a sweep file: everything goes "
                         "into [sweep] (base, set, grid, zip, variants); the experiment itself is the base file");
    }
  }
  SweepSpec spec;
  spec.file = file;
  spec.name = file.stem().string();
  for (const auto& [k, node] : *sw) {
    const std::string key(k.str());
    if (std::find(kSweepKeys.begin(), kSweepKeys.end(), key) == kSweepKeys.end()) {
      const auto close = close_names(key, kSweepKeys, 1);
      r.fail(k.source(), "unknown key '" + key + "' in [sweep]." +
                             (close.empty() ? std::string() : " Did you mean '" + close.front() + "'?") +
                             " Valid keys: " + quoted_list(kSweepKeys) + ".");
    }
    auto want = [&](bool ok, const std::string& type) {
      if (!ok) r.fail(k.source(), "[sweep] '" + key + "' must be " + type + ", got " + from_toml(node).type_name());
    };
    if (key == "name") {
      want(node.is_string(), "a string");
      spec.name = *node.value<std::string>();
      check_name(spec.name, r.at(k.source()), "sweep name");
    } else if (key == "base") {
      want(node.is_string(), "a string (the experiment file, relative to this file)");
      spec.base = (r.dir / *node.value<std::string>()).lexically_normal();
      spec.base_origin = r.at(k.source());
    } else if (key == "output_dir") {
      want(node.is_string(), "a string (a directory, relative to this file)");
      spec.output_dir = (r.dir / *node.value<std::string>()).lexically_normal();
    } else if (key == "seeds") {
      want(node.is_integer(), "an integer");
      const auto n = *node.value<std::int64_t>();
      if (n < 1 || n > 1000) r.fail(k.source(), "[sweep] 'seeds' must be between 1 and 1000, got " + std::to_string(n));
      spec.seeds = static_cast<int>(n);
    } else if (key == "set") {
      want(node.is_table(), "a table ([sweep.set] with \"section.key\" = value)");
      spec.common = read_overrides(r, *node.as_table(), {});
    } else if (key == "grid" || key == "zip") {
      want(node.is_table(), "a table ([sweep." + key + "] with \"section.key\" = [values])");
      (key == "grid" ? spec.grid : spec.zip) = read_axes(r, *node.as_table(), key);
    } else if (key == "variants") {
      want(node.is_array_of_tables(), "an array of tables ([[sweep.variants]])");
      for (const toml::node& v : *node.as_array()) {
        const toml::table& t = *v.as_table();
        ExplicitVariant ev;
        ev.origin = r.at(v.source());
        if (const toml::node* n = t.get("name")) {
          if (!n->is_string()) r.fail(n->source(), "a variant's 'name' must be a string");
          ev.name = *n->value<std::string>();
          check_name(ev.name, r.at(n->source()), "variant name");
        }
        ev.overrides = read_overrides(r, t, {"name"});
        spec.variants.push_back(std::move(ev));
      }
    }
  }
  spec.base_origin = spec.base_origin.empty() ? file.string() : spec.base_origin;
  return spec;
}

SweepSpec sweep_of_experiment(const fs::path& experiment) {
  SweepSpec spec;
  spec.file = experiment;
  spec.base = experiment;
  spec.base_origin = experiment.string();
  spec.name = experiment.stem().string();
  return spec;
}

Axis parse_axis_argument(const std::string& flag, const std::string& text) {
  const std::string origin = flag + " '" + text + "'";
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw ConfigError(origin + ": expected section.key=[values], e.g. " + flag + " 'adapter.r=[16,32]'");
  }
  const std::string key = text.substr(0, eq);
  check_key(key, origin);
  const std::optional<Value> v = parse_toml_value(text.substr(eq + 1));
  if (!v || !v->is<Array>()) {
    throw ConfigError(origin + ": the values must be a TOML array, e.g. [16, 32] or [\"alpaca\", \"socsci-chat\"] "
                      "(quote the whole argument for the shell)");
  }
  if (v->as<Array>().empty()) throw ConfigError(origin + ": the array has no values");
  return Axis{key, v->as<Array>(), origin, fs::current_path()};
}

Override parse_set_argument(const std::string& text) {
  const std::string origin = "--set '" + text + "'";
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw ConfigError(origin + ": expected section.key=value, e.g. --set training.max_steps=20");
  }
  const std::string key = text.substr(0, eq);
  check_key(key, origin);
  std::optional<Value> v = parse_toml_value(text.substr(eq + 1));
  if (!v) v = Value(text.substr(eq + 1));
  return Override{key, *v, "--set", fs::current_path()};
}

namespace {
// Keys the sweep sets itself. A common run.seed is fine: the seeds start from it.
void check_reserved(const std::string& key, const std::string& origin, int seeds, bool common) {
  if (key == "run.name" || key == "run.output_dir") {
    throw ConfigError(origin + ": '" + key + "' is set by the sweep for each variant (<output_dir>/<sweep>-<time>/"
                      "<variant>/); use [sweep] name and output_dir (--name, --output-dir), or a variant's 'name'");
  }
  if (key == "run.seed" && seeds > 1 && !common) {
    throw ConfigError(origin + ": 'run.seed' varies here and the sweep repeats each variant over seeds = " +
                      std::to_string(seeds) + " too; use one or the other");
  }
}
}  // namespace

void check_spec(const SweepSpec& spec) {
  check_name(spec.name, spec.file.string(), "sweep name");
  std::map<std::string, std::string> swept;  // key -> origin
  for (const auto* axes : {&spec.grid, &spec.zip}) {
    for (const Axis& a : *axes) {
      check_reserved(a.key, a.origin, spec.seeds, false);
      if (auto [it, fresh] = swept.emplace(a.key, a.origin); !fresh) {
        throw ConfigError(a.origin + ": '" + a.key + "' is swept twice (also at " + it->second + ")");
      }
    }
  }
  for (const Axis& a : spec.zip) {
    if (a.values.size() != spec.zip.front().values.size()) {
      throw ConfigError(a.origin + ": zipped axes vary together, so they need the same number of values: '" + a.key +
                        "' has " + std::to_string(a.values.size()) + ", '" + spec.zip.front().key + "' (" +
                        spec.zip.front().origin + ") has " + std::to_string(spec.zip.front().values.size()));
    }
  }
  for (const Override& o : spec.common) {
    check_reserved(o.key, o.origin, spec.seeds, true);
    if (auto it = swept.find(o.key); it != swept.end()) {
      throw ConfigError(o.origin + ": '" + o.key + "' is set for every variant here but also swept at " + it->second +
                        "; remove one of them");
    }
  }
  for (const ExplicitVariant& v : spec.variants)
    for (const Override& o : v.overrides) check_reserved(o.key, o.origin, spec.seeds, false);
  if (spec.grid.empty() && spec.zip.empty() && spec.variants.empty()) {
    throw ConfigError(spec.file.string() + ": the sweep has no variants: add [sweep.grid] or [sweep.zip] axes, "
                      "[[sweep.variants]], or --grid/--zip 'section.key=[values]'");
  }
}

}  // namespace socrates::sweep
