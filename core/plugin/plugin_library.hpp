// One loaded plugin library: the shared object, its checked descriptor and its schema.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "config/schema.hpp"
#include "socrates/plugin.hpp"

namespace boost::dll {
class shared_library;
}

namespace socrates {

struct PluginInfo {
  std::string name;
  std::string concern;
  std::string version;
  std::string description;
  std::uint32_t abi_version = 0;
  std::string torch_version;
  std::string build_info;
  std::filesystem::path path;
  Schema options;
};

/// A loaded, checked plugin. Shared: every component it creates holds a reference, so the
/// library stays mapped while anything it made is alive.
///
/// Once its code has run (the first `create`), the library is pinned: it stays mapped until
/// the process exits, even after the last reference is gone. An exception a plugin throws
/// carries its vtable, destructor and type_info in the plugin's code, and it may still be
/// alive (unwinding, in a catch block, in a std::exception_ptr) when the components and the
/// registry that held the library are released; unmapping then would turn the error into a
/// SIGSEGV. A library that was only scanned and never created anything is unloaded as before.
class PluginLibrary : public std::enable_shared_from_this<PluginLibrary> {
 public:
  /// Loads `path` with RTLD_NOW and checks, in order: that it is a loadable shared object,
  /// that it exports `socrates_plugin`, its ABI version (before reading anything else),
  /// the descriptor size, the concern, the LibTorch major.minor and the option table.
  /// Throws PluginError naming the file and saying what to do.
  static std::shared_ptr<PluginLibrary> load(const std::filesystem::path& path);
  ~PluginLibrary();

  const PluginInfo& info() const { return info_; }
  /// Whether the library is pinned (it has created a component, so it stays mapped until exit).
  bool pinned() const { return pinned_; }

  /// Creates a component. Throws PluginError if `Interface::kConcern` is not this
  /// plugin's concern; rethrows the plugin's ConfigError unchanged and wraps other
  /// exceptions with the plugin's name.
  template <class Interface>
  std::shared_ptr<Interface> create(const PluginContext& ctx) {
    Component* c = create_component(Interface::kConcern, ctx);
    auto self = shared_from_this();
    return std::shared_ptr<Interface>(static_cast<Interface*>(c), [self](Interface* p) {
      self->destroy_component(static_cast<Component*>(p));
    });
  }
  /// Creates a component of this plugin's own concern, as its Component base.
  std::shared_ptr<Component> create_any(const PluginContext& ctx) {
    Component* c = create_component(info_.concern.c_str(), ctx);
    auto self = shared_from_this();
    return std::shared_ptr<Component>(c, [self](Component* p) { self->destroy_component(p); });
  }

 private:
  PluginLibrary() = default;
  Component* create_component(const char* concern, const PluginContext& ctx);
  void destroy_component(Component* c) noexcept;
  void pin();

  std::unique_ptr<boost::dll::shared_library> lib_;
  const socrates_plugin_descriptor* desc_ = nullptr;
  PluginInfo info_;
  bool pinned_ = false;
};

}  // namespace socrates
