// The host's implementation of socrates::HostServices, handed to plugins in PluginContext.
#pragma once

#include "socrates/host.hpp"

namespace socrates {

/// The one instance (stateless, thread-safe).
const HostServices& host_services();

}  // namespace socrates
