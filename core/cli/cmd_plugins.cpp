// socrates plugins list | plugins describe | version
#include <iostream>

#include <fmt/format.h>
#include <torch/version.h>

#include "cli/cli.hpp"
#include "log/logging.hpp"

namespace socrates::cli {

namespace {
std::string default_text(const OptionSpec& o) {
  return o.default_value ? to_toml_text(*o.default_value) : std::string("(required)");
}

void describe_text(std::ostream& os, const std::string& title, const std::string& about, const Schema& schema) {
  os << title << "\n  " << about << "\n";
  if (schema.empty()) os << "  (no options)\n";
  for (const OptionSpec& o : schema) {
    os << fmt::format("  {:<18} {:<9} default {}\n", o.key, option_type_name(o.type), default_text(o));
    os << "      " << o.doc << (o.choices.empty() ? "" : " [" + fmt::format("{}", fmt::join(o.choices, "|")) + "]")
       << "\n";
  }
}

// Text for a Markdown table cell: '|' would end the cell, '<' and '>' would read as HTML.
std::string md_cell(const std::string& s, bool code = false) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '<' && !code) out += "&lt;";
    else if (c == '>' && !code) out += "&gt;";
    else out += c;
  }
  return out;
}

void describe_markdown(std::ostream& os, const std::string& title, const std::string& about, const Schema& schema) {
  os << "### " << title << "\n\n" << about << "\n\n";
  if (schema.empty()) {
    os << "No options.\n\n";
    return;
  }
  os << "| key | type | default | description |\n|---|---|---|---|\n";
  for (const OptionSpec& o : schema) {
    std::string doc = md_cell(o.doc);
    if (!o.choices.empty() && !doc.empty() && doc.back() != '.') doc += '.';
    if (!o.choices.empty()) doc += " One of: `" + fmt::format("{}", fmt::join(o.choices, "`, `")) + "`.";
    os << "| `" << o.key << "` | " << option_type_name(o.type) << " | `" << md_cell(default_text(o), true) << "` | "
       << doc << " |\n";
  }
  os << "\n";
}
}  // namespace

int cmd_plugins_list(const std::vector<std::string>& args) {
  po::options_description opts("options");
  po::variables_map vm;
  if (!parse(args, opts, {}, vm, "socrates plugins list")) return 0;
  PluginRegistry registry = default_registry();
  std::cout << fmt::format("{:<16} {:<16} {:<9} {:<4} {}\n", "CONCERN", "NAME", "VERSION", "ABI", "PATH");
  for (const auto& lib : registry.list()) {
    const PluginInfo& i = lib->info();
    std::cout << fmt::format("{:<16} {:<16} {:<9} {:<4} {}\n", i.concern, i.name, i.version, i.abi_version,
                             i.path.string());
  }
  for (const std::string& p : registry.problems()) host_logger()->warn("{}", p);
  std::string dirs;
  for (const auto& d : registry.search_path()) {
    if (!dirs.empty()) dirs += ':';
    dirs += d.string();
  }
  std::cout << "search path: " << dirs << "\n";
  return 0;
}

int cmd_plugins_describe(const std::vector<std::string>& args) {
  std::vector<std::string> names;
  std::string concern;
  po::options_description opts("options");
  opts.add_options()("name", po::value<std::vector<std::string>>(&names), "plugin names (none with --all)")(
      "concern", po::value<std::string>(&concern), "only this concern (when a name is used by several)")(
      "all", "describe the host sections and every plugin")("markdown", "write Markdown (the config reference)");
  po::positional_options_description pos;
  pos.add("name", -1);
  po::variables_map vm;
  if (!parse(args, opts, pos, vm, "socrates plugins describe NAME... [--concern C] | --all [--markdown]")) return 0;
  const bool md = vm.count("markdown") > 0;
  const bool all = vm.count("all") > 0;
  if (names.empty() && !all) throw ConfigError("plugins describe: name a plugin, or pass --all");
  auto emit = md ? describe_markdown : describe_text;

  PluginRegistry registry = default_registry();
  if (all) {
    if (md) std::cout << "## Host sections\n\n";
    for (const auto& [name, schema] : host_sections()) emit(std::cout, "[" + name + "]", "Read by the host.", schema);
    if (md) std::cout << "## Plugins\n\n";
  }
  auto describe_one = [&](const PluginInfo& i) {
    std::string slot;
    if (const ConcernSpec* s = find_concern(i.concern)) slot = s->multiple ? "[[" + s->slot + "]]" : "[" + s->slot + "]";
    emit(std::cout, i.name + " (" + i.concern + ")",
         i.description + (md ? "  \nVersion " : ". Version ") + i.version + "; select with `plugin = \"" + i.name +
             "\"` in " + slot + ".",
         i.options);
  };
  for (const auto& lib : registry.list()) {
    const PluginInfo& i = lib->info();
    const bool named = std::find(names.begin(), names.end(), i.name) != names.end();
    if ((all || named) && (concern.empty() || concern == i.concern)) describe_one(i);
  }
  for (const std::string& n : names) {
    bool found = false;
    for (const auto& lib : registry.list()) found |= lib->info().name == n;
    if (!found) {
      std::vector<std::string> known;
      for (const auto& lib : registry.list()) known.push_back(lib->info().name);
      std::string m = did_you_mean(n, known);
      throw PluginError("unknown plugin '" + n + "'." + (m.empty() ? "" : " Did you mean '" + m + "'?") +
                        " Run `socrates plugins list` to see them all.");
    }
  }
  return 0;
}

int cmd_version(const std::vector<std::string>& args) {
  po::options_description opts("options");
  po::variables_map vm;
  if (!parse(args, opts, {}, vm, "socrates version")) return 0;
  std::cout << "socrates " << SOCRATES_VERSION << "\nsdk " << SOCRATES_SDK_VERSION << " (plugin ABI "
            << SOCRATES_ABI_VERSION << ")\nlibtorch " << TORCH_VERSION << "\n";
  return 0;
}

}  // namespace socrates::cli
