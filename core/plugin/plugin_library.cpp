#include "plugin/plugin_library.hpp"

#include "config/concerns.hpp"
#include "plugin/plugin_path_safety.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <system_error>

#include <boost/dll/shared_library.hpp>
#include <fmt/format.h>
#include <torch/version.h>

#include "socrates/error.hpp"

namespace socrates {

namespace {

// The value after "<field> " in a build_info string ("cxx11-abi 1; spdlog 1.10.0; ..."), or "".
std::string build_field(std::string_view info, std::string_view field) {
  const std::string tag = std::string(field) + " ";
  for (std::size_t at = info.find(tag); at != std::string_view::npos; at = info.find(tag, at + 1)) {
    if (at > 0 && info[at - 1] != ' ') continue;
    const std::size_t begin = at + tag.size();
    return std::string(info.substr(begin, info.find(';', begin) - begin));
  }
  return "";
}

// std::string and spdlog::logger cross the boundary in PluginContext: both sides must agree.
template <class Fail>
void check_build_info(std::string_view info, const std::string& name, Fail fail) {
  const std::string host = SOCRATES_BUILD_INFO;
  for (const char* field : {"cxx11-abi", "spdlog"}) {
    const std::string mine = build_field(host, field), theirs = build_field(info, field);
    if (theirs != mine) {
      throw fail("plugin '" + name + "' was built with " + field + " " + (theirs.empty() ? "(not recorded)" : theirs) +
                 ", but this socrates uses " + field + " " + mine +
                 "; they must match. Rebuild the plugin with the same compiler settings and spdlog as the host (build "
                 "info: \"" + std::string(info) + "\").");
    }
  }
}

// The dlerror() text Boost.DLL wraps into its exception message, without the leading "<path>: ".
std::string dlerror_text(const std::string& what, const std::filesystem::path& path) {
  static constexpr std::string_view kTag = "(dlerror system message: ";
  auto begin = what.find(kTag);
  if (begin == std::string::npos) return what;
  begin += kTag.size();
  auto end = what.rfind(')');
  std::string text = what.substr(begin, end == std::string::npos || end < begin ? std::string::npos : end - begin);
  const std::string prefix = path.string() + ": ";
  return text.rfind(prefix, 0) == 0 ? text.substr(prefix.size()) : text;
}

// "2.11.0" -> "2.11".
std::string major_minor(const std::string& version) {
  auto dot = version.find('.');
  return dot == std::string::npos ? version : version.substr(0, version.find('.', dot + 1));
}

}  // namespace

PluginLibrary::~PluginLibrary() = default;

std::shared_ptr<PluginLibrary> PluginLibrary::load(const std::filesystem::path& path) {
  const std::string where = path.string() + ": ";
  auto fail = [&](const std::string& what) { return PluginError(where + what); };

  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw fail("no such file");
  if (!std::filesystem::is_regular_file(path, ec)) throw fail("not a regular file");
  if (!unsafe_plugins_allowed()) {
    if (const std::string why = unsafe_plugin_path(path); !why.empty()) throw fail(why);
  }

  std::shared_ptr<PluginLibrary> self(new PluginLibrary());
  try {
    namespace mode = boost::dll::load_mode;
    self->lib_ = std::make_unique<boost::dll::shared_library>(path, mode::rtld_now | mode::rtld_local);
  } catch (const std::exception& e) {
    const std::string text = dlerror_text(e.what(), path);
    if (text.find("undefined symbol") != std::string::npos) {
      throw fail("missing symbol: " + text +
                 ". The plugin was built against another version of Socrates or a library it needs is not "
                 "loaded; rebuild it.");
    }
    throw fail("not a loadable plugin library (" + text + "). Remove it from the plugin path or rebuild it.");
  }
  if (!self->lib_->has(SOCRATES_PLUGIN_SYMBOL)) {
    throw fail("exports no `" SOCRATES_PLUGIN_SYMBOL
               "` descriptor, so it is not a Socrates plugin (build it with SOCRATES_PLUGIN(...))");
  }

  // abi_version first: nothing else of the descriptor is trusted until it matches.
  const auto& abi = self->lib_->get<const std::uint32_t>(SOCRATES_PLUGIN_SYMBOL);
  if (abi != SOCRATES_ABI_VERSION) {
    throw fail("plugin ABI version " + std::to_string(abi) + ", but this socrates expects " +
               std::to_string(SOCRATES_ABI_VERSION) + ". Rebuild the plugin against Socrates SDK " +
               SOCRATES_SDK_VERSION + ".");
  }
  const auto* d = reinterpret_cast<const socrates_plugin_descriptor*>(&abi);
  if (d->descriptor_size != sizeof(socrates_plugin_descriptor)) {
    throw fail("descriptor is " + std::to_string(d->descriptor_size) + " bytes, but ABI version " +
               std::to_string(SOCRATES_ABI_VERSION) + " has " + std::to_string(sizeof(socrates_plugin_descriptor)) +
               ". Rebuild the plugin against Socrates SDK " SOCRATES_SDK_VERSION ".");
  }
  const std::pair<const char*, bool> fields[] = {
      {"name", !d->name}, {"concern", !d->concern}, {"create", !d->create}, {"destroy", !d->destroy}};
  for (auto [field, missing] : fields) {
    if (missing) throw fail(std::string("descriptor has no `") + field + "`; build the plugin with SOCRATES_PLUGIN(...)");
  }
  const std::string name = d->name;
  const std::vector<std::string> concerns = concern_names();
  if (std::find(concerns.begin(), concerns.end(), d->concern) == concerns.end()) {
    throw fail("plugin '" + name + "' has unknown concern '" + d->concern + "'. Known concerns: " + fmt::format("{}", fmt::join(concerns, ", ")));
  }
  const std::string torch = d->torch_version ? d->torch_version : "(unknown)";
  if (major_minor(torch) != major_minor(TORCH_VERSION)) {
    throw fail("plugin '" + name + "' was built against LibTorch " + torch + ", but this socrates uses LibTorch " +
               TORCH_VERSION + " (major.minor must match). Rebuild the plugin against LibTorch " +
               major_minor(TORCH_VERSION) + ".");
  }
  check_build_info(d->build_info ? d->build_info : "", name, fail);
  if (d->option_count > 0 && !d->options) {
    throw fail("plugin '" + name + "' declares " + std::to_string(d->option_count) + " options but no option table");
  }

  PluginInfo& info = self->info_;
  info.name = name;
  info.concern = d->concern;
  info.version = d->version ? d->version : "";
  info.description = d->description ? d->description : "";
  info.abi_version = abi;
  info.torch_version = torch;
  info.build_info = d->build_info ? d->build_info : "";
  info.path = path;
  info.options = schema_from_descriptor(d->options, d->option_count, "plugin '" + name + "' (" + path.string() + ")");
  self->desc_ = d;
  return self;
}

// RTLD_NOLOAD finds the library already loaded; RTLD_NODELETE marks it to stay mapped after
// the last dlclose. The extra reference is dropped again at once.
void PluginLibrary::pin() {
  if (pinned_) return;
  std::error_code ec;
  const std::filesystem::path file = std::filesystem::absolute(info_.path, ec);  // a bare name would search LD paths
  void* h = ::dlopen((ec ? info_.path : file).c_str(), RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
  if (!h) {
    const char* why = ::dlerror();
    throw PluginError(info_.path.string() + ": cannot pin the loaded plugin library (" + (why ? why : "unknown") +
                      "); its errors could not be reported safely");
  }
  ::dlclose(h);
  pinned_ = true;
}

Component* PluginLibrary::create_component(const char* concern, const PluginContext& ctx) {
  const std::string who = "plugin '" + info_.name + "' (" + info_.path.string() + ")";
  if (info_.concern != concern) {
    throw PluginError(who + " is a plugin for '" + info_.concern + "', not for '" + concern + "'");
  }
  pin();  // before any plugin code runs: what it throws must never outlive its code
  Component* c = nullptr;
  try {
    c = desc_->create(ctx);
  } catch (const ConfigError& e) {
    throw ConfigError(e.what());  // same type and message, but owned by the host
  } catch (const std::exception& e) {
    throw PluginError(who + " failed to create its " + info_.concern + ": " + e.what());
  } catch (...) {
    throw PluginError(who + " failed to create its " + info_.concern + ": unknown exception");
  }
  if (!c) throw PluginError(who + " failed to create its " + info_.concern + ": create returned null");
  return c;
}

void PluginLibrary::destroy_component(Component* c) noexcept {
  if (!c) return;
  try {
    desc_->destroy(c);
  } catch (...) {
  }
}

}  // namespace socrates
