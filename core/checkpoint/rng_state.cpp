#include "checkpoint/rng_state.hpp"

#include <ATen/Context.h>
#include <ATen/core/Generator.h>

#include <mutex>

#include "socrates/error.hpp"

namespace fs = std::filesystem;

namespace socrates {

namespace {

c10::Device cuda_device(c10::Device device) {
  return c10::Device(c10::kCUDA, device.has_index() ? device.index() : static_cast<c10::DeviceIndex>(0));
}

at::Tensor state_of(at::Generator gen) {
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state().contiguous().clone();
}

void set_state(at::Generator gen, const at::Tensor& t) {
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(t);
}

}  // namespace

StateDict capture_rng_state(c10::Device device) {
  StateDict sd;
  sd.tensors["cpu"] = state_of(at::globalContext().defaultGenerator(c10::kCPU));
  if (device.is_cuda()) {
    const c10::Device d = cuda_device(device);
    sd.tensors[d.str()] = state_of(at::globalContext().defaultGenerator(d));
  }
  sd.meta["format"] = "socrates-rng-1";
  return sd;
}

std::vector<std::string> restore_rng_state(const StateDict& state, c10::Device device, const fs::path& file) {
  std::vector<std::string> warnings;
  auto cpu = state.tensors.find("cpu");
  if (cpu == state.tensors.end()) throw Error(file.string() + ": no \"cpu\" generator state; the checkpoint is damaged");
  try {
    set_state(at::globalContext().defaultGenerator(c10::kCPU), cpu->second);
  } catch (const c10::Error& e) {
    throw Error(file.string() + ": the CPU generator state does not load (" + e.what_without_backtrace() + ")");
  }
  std::string saved_cuda;
  for (const auto& [name, t] : state.tensors)
    if (name.rfind("cuda", 0) == 0) saved_cuda = name;
  if (device.is_cuda()) {
    const c10::Device d = cuda_device(device);
    auto it = state.tensors.find(d.str());
    if (it == state.tensors.end()) {
      warnings.push_back(file.string() + " has no state for " + d.str() + (saved_cuda.empty() ? "" : " (only " + saved_cuda + ")") +
                         "; its generator keeps its seed, so dropout differs from an uninterrupted run");
    } else {
      set_state(at::globalContext().defaultGenerator(d), it->second);
    }
  } else if (!saved_cuda.empty()) {
    warnings.push_back(file.string() + " was saved on " + saved_cuda + " and is resumed on the CPU; the loss curve "
                       "will not match an uninterrupted run bit for bit");
  }
  return warnings;
}

}  // namespace socrates
