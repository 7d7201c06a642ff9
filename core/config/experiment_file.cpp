#include "config/experiment_file.hpp"

#include <toml++/toml.h>

#include "config/schema.hpp"
#include "config/toml_value.hpp"
#include "socrates/error.hpp"

namespace fs = std::filesystem;

namespace socrates {

namespace {
std::string where(const toml::source_region& src, const std::string& display) {
  return display + ":" + std::to_string(src.begin.line) + ":" + std::to_string(src.begin.column);
}

/// Drops recorded origins at and below `dotted`.
void erase_below(std::map<std::string, std::string>& m, const std::string& dotted) {
  for (auto it = m.lower_bound(dotted); it != m.end() && it->first.compare(0, dotted.size(), dotted) == 0;) {
    const char next = it->first.size() > dotted.size() ? it->first[dotted.size()] : '\0';
    it = (next == '\0' || next == '.' || next == '[') ? m.erase(it) : std::next(it);
  }
}
}  // namespace

struct ExperimentFileLoader {
  ExperimentFile& out;
  std::vector<fs::path> stack;

  // Origins point at the key ("r = 16" -> the "r"); array elements at the element.
  void record(const toml::node& node, const toml::source_region& at, const std::string& dotted,
              const std::string& display, const fs::path& dir) {
    out.origins_[dotted] = where(at, display);
    out.dirs_[dotted] = dir;
    if (const toml::table* t = node.as_table()) {
      for (const auto& [k, v] : *t) record(v, k.source(), dotted + "." + std::string(k.str()), display, dir);
    } else if (const toml::array* a = node.as_array()) {
      for (std::size_t i = 0; i < a->size(); ++i)
        record((*a)[i], (*a)[i].source(), dotted + "[" + std::to_string(i) + "]", display, dir);
    }
  }

  void merge(Table& dst, const toml::table& src, const std::string& prefix, const std::string& display,
             const fs::path& dir) {
    for (const auto& [k, node] : src) {
      const std::string key(k.str());
      if (prefix.empty() && key == "include") continue;
      const std::string dotted = prefix.empty() ? key : prefix + "." + key;
      auto it = dst.find(key);
      if (node.is_table() && it != dst.end() && it->second.is<Table>()) {
        out.origins_[dotted] = where(k.source(), display);
        merge(it->second.as<Table>(), *node.as_table(), dotted, display, dir);
        continue;
      }
      erase_below(out.origins_, dotted);
      dst[key] = from_toml(node);
      record(node, k.source(), dotted, display, dir);
    }
  }

  void load(const fs::path& display) {
    std::error_code ec;
    const fs::path canonical = fs::weakly_canonical(display, ec);
    for (const fs::path& p : stack) {
      if (p == canonical) {
        std::string chain;
        for (const fs::path& q : stack) chain += q.string() + " -> ";
        throw ConfigError(display.string() + ": include cycle: " + chain + canonical.string());
      }
    }
    if (!fs::is_regular_file(display)) throw ConfigError(display.string() + ": no such experiment file");
    toml::table doc;
    try {
      doc = toml::parse_file(display.string());
    } catch (const toml::parse_error& e) {
      throw ConfigError(where(e.source(), display.string()) + ": malformed TOML: " + std::string(e.description()));
    }
    stack.push_back(canonical);
    const fs::path dir = display.parent_path();
    if (const toml::node* inc = doc.get("include")) {
      std::vector<const toml::node*> items;
      if (inc->is_string()) {
        items.push_back(inc);
      } else if (const toml::array* a = inc->as_array()) {
        for (const toml::node& n : *a) items.push_back(&n);
      }
      if (items.empty() && !inc->is_array()) {
        throw ConfigError(where(inc->source(), display.string()) + ": 'include' must be a string or an array of strings");
      }
      for (const toml::node* n : items) {
        if (!n->is_string()) {
          throw ConfigError(where(n->source(), display.string()) + ": 'include' entries must be strings (paths)");
        }
        const fs::path target = (dir / fs::path(*n->value<std::string>())).lexically_normal();
        if (!fs::is_regular_file(target)) {
          throw ConfigError(where(n->source(), display.string()) + ": included file '" + *n->value<std::string>() +
                            "' not found (looked for " + target.string() + ")");
        }
        load(target);
      }
    }
    merge(out.root_, doc, "", display.string(), fs::absolute(display).parent_path().lexically_normal());
    out.files_.push_back(display);
    stack.pop_back();
  }

  // One --set override (or one with another origin: apply_override).
  void apply(const std::string& text, const std::string& origin = "--set", const fs::path& dir = {}) {
    const std::string lead = origin == "--set" ? "--set '" + text + "'" : origin + ": override '" + text + "'";
    const auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw ConfigError(lead + ": expected section.key=value, e.g. --set adapter.r=32");
    }
    const std::string lhs = text.substr(0, eq);
    const std::string rhs = text.substr(eq + 1);
    std::optional<Value> value = parse_toml_value(rhs);
    if (!value) {
      const bool looks_structured = !rhs.empty() && (rhs.front() == '[' || rhs.front() == '{' || rhs.front() == '"');
      if (looks_structured) {
        throw ConfigError(lead + ": '" + rhs + "' is not a TOML value (arrays need quoted strings: [\"a\", \"b\"])");
      }
      value = Value(rhs);  // bare string
    }
    // Walk "a.b[2].c", creating tables as needed.
    Value* cur = nullptr;
    Table* table = &out.root_;
    std::string dotted;
    std::size_t pos = 0;
    while (pos <= lhs.size()) {
      std::size_t end = lhs.find('.', pos);
      if (end == std::string::npos) end = lhs.size();
      std::string seg = lhs.substr(pos, end - pos);
      std::optional<std::size_t> index;
      if (auto lb = seg.find('['); lb != std::string::npos) {
        if (seg.back() != ']') throw ConfigError(lead + ": malformed index in '" + seg + "'");
        try {
          index = std::stoul(seg.substr(lb + 1, seg.size() - lb - 2));
        } catch (const std::exception&) {
          throw ConfigError(lead + ": malformed index in '" + seg + "'");
        }
        seg = seg.substr(0, lb);
      }
      if (seg.empty()) throw ConfigError(lead + ": empty key in '" + lhs + "'");
      if (table == nullptr) {
        throw ConfigError(lead + ": '" + dotted + "' is not a table");
      }
      if (!dotted.empty()) dotted += '.';
      dotted += seg;
      cur = &(*table)[seg];
      if (index) {
        if (!cur->is<Array>() || *index >= cur->as<Array>().size()) {
          const std::size_t n = cur->is<Array>() ? cur->as<Array>().size() : 0;
          throw ConfigError(lead + ": '" + dotted + "' has " + std::to_string(n) + " entries, so [" +
                            std::to_string(*index) + "] does not exist");
        }
        cur = &cur->as<Array>()[*index];
        dotted.append(1, '[').append(std::to_string(*index)).append(1, ']');
      }
      const bool last = end == lhs.size();
      if (last) break;
      if (cur->empty()) {
        *cur = Value(Table{});
        out.origins_[dotted] = origin;
      }
      table = cur->is<Table>() ? &cur->as<Table>() : nullptr;
      pos = end + 1;
    }
    erase_below(out.origins_, dotted);
    *cur = std::move(*value);
    out.origins_[dotted] = origin;
    out.dirs_[dotted] = dir.empty() ? fs::current_path() : dir;
  }
};

ExperimentFile ExperimentFile::load(const fs::path& file, const std::vector<std::string>& overrides) {
  ExperimentFile f;
  f.file_ = file;
  ExperimentFileLoader loader{f, {}};
  loader.load(file);
  for (const std::string& o : overrides) loader.apply(o);
  return f;
}

ExperimentFile ExperimentFile::from_table(const fs::path& label, Table root, const std::vector<std::string>& overrides) {
  ExperimentFile f;
  f.file_ = label;
  f.root_ = std::move(root);
  f.files_.push_back(label);
  ExperimentFileLoader loader{f, {}};
  for (const std::string& o : overrides) loader.apply(o);
  return f;
}

void ExperimentFile::apply_override(const std::string& text, const std::string& origin, const fs::path& dir) {
  ExperimentFileLoader loader{*this, {}};
  loader.apply(text, origin, dir);
}

std::string ExperimentFile::origin(const std::string& dotted) const {
  auto it = origins_.find(dotted);
  return it == origins_.end() ? std::string() : it->second;
}

fs::path ExperimentFile::base_dir(const std::string& dotted) const {
  auto it = dirs_.find(dotted);
  return it == dirs_.end() ? fs::current_path() : it->second;
}

}  // namespace socrates
