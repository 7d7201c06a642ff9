#include "train/step_profiler.hpp"

#include <fmt/format.h>
#include <kineto/ActivityType.h>
#include <nlohmann/json.hpp>
#include <torch/csrc/autograd/profiler_kineto.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <tuple>

#include "io/atomic_file.hpp"
#include "log/logging.hpp"
#include "train/device_stats.hpp"

namespace fs = std::filesystem;
namespace prof = torch::autograd::profiler;
namespace impl = torch::profiler::impl;

namespace socrates {
namespace {

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

bool contains_any(const std::string& s, std::initializer_list<const char*> parts) {
  return std::any_of(parts.begin(), parts.end(), [&](const char* p) { return s.find(p) != std::string::npos; });
}

// Host events of one thread, nested by time: self time is the duration minus the children's.
struct HostEvent {
  std::uint64_t thread, start, end;
  std::string name;
};

std::vector<ProfileRow> host_self_times(std::vector<HostEvent> ev) {
  std::sort(ev.begin(), ev.end(), [](const HostEvent& a, const HostEvent& b) {
    return std::tie(a.thread, a.start, b.end) < std::tie(b.thread, b.start, a.end);  // parents first
  });
  std::vector<ProfileRow> rows;
  std::vector<std::size_t> stack;  // indices into rows / ev
  for (std::size_t i = 0; i < ev.size(); ++i) {
    while (!stack.empty() && (ev[stack.back()].thread != ev[i].thread || ev[stack.back()].end <= ev[i].start))
      stack.pop_back();
    const double ms = static_cast<double>(ev[i].end - ev[i].start) / 1e6;
    if (!stack.empty()) rows[stack.back()].total_ms -= ms;
    rows.push_back({ev[i].name, "host", false, 1, ms});
    stack.push_back(i);
  }
  return rows;
}

std::string table(const std::vector<ProfileRow>& rows, double per, double denom_ms) {
  std::string out = "| name | group | calls/step | ms/step | share |\n|---|---|---|---|---|\n";
  for (const ProfileRow& r : rows) {
    std::string name = r.name.size() > 90 ? r.name.substr(0, 87) + "..." : r.name;
    std::replace(name.begin(), name.end(), '|', '/');
    out += fmt::format("| `{}` | {} | {:.1f} | {:.3f} | {:.1f}% |\n", name, r.group, static_cast<double>(r.calls) / per,
                       r.total_ms / per, denom_ms > 0 ? 100.0 * r.total_ms / denom_ms : 0.0);
  }
  return out;
}

nlohmann::json rows_json(const std::vector<ProfileRow>& rows, double per) {
  nlohmann::json a = nlohmann::json::array();
  for (const ProfileRow& r : rows)
    a.push_back({{"name", r.name}, {"group", r.group}, {"calls_per_step", static_cast<double>(r.calls) / per},
                 {"ms_per_step", r.total_ms / per}});
  return a;
}

}  // namespace

std::string kernel_group(const std::string& kernel) {
  std::string k = kernel;
  std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (contains_any(k, {"nccl"})) return "comm";
  if (contains_any(k, {"flash", "fmha", "attention", "sdpa"})) return "attention";
  if (contains_any(k, {"nf4", "dequant", "quantize", "4bit"})) return "quant";
  if (contains_any(k, {"adam", "multi_tensor", "foreach"})) return "optimizer";
  if (contains_any(k, {"gemm", "cutlass", "xmma", "cublas", "gemv", "splitk", "sm90_", "sm80_", "nvjet"})) return "gemm";
  if (contains_any(k, {"memcpy", "memset", "copy", "cat_", "catarray", "fill"})) return "copy";
  if (contains_any(k, {"softmax", "nll", "cross_entropy"})) return "loss";
  if (contains_any(k, {"norm", "rope", "rotary", "silu", "swiglu", "gelu"})) return "norm/rope/act";
  if (contains_any(k, {"reduce"})) return "reduce";
  if (contains_any(k, {"elementwise", "vectorized", "unrolled"})) return "elementwise";
  return "other";
}

std::vector<ProfileRow> top_rows(std::vector<ProfileRow> rows, std::size_t limit) {
  std::map<std::pair<bool, std::string>, ProfileRow> by;
  for (ProfileRow& r : rows) {
    ProfileRow& s = by.try_emplace({r.device, r.name}, ProfileRow{r.name, r.group, r.device, 0, 0}).first->second;
    s.calls += r.calls;
    s.total_ms += r.total_ms;
  }
  std::vector<ProfileRow> out;
  for (auto& [k, r] : by) out.push_back(std::move(r));
  std::sort(out.begin(), out.end(), [](const ProfileRow& a, const ProfileRow& b) { return a.total_ms > b.total_ms; });
  if (out.size() > limit) out.resize(limit);
  return out;
}

StepProfiler::StepProfiler(std::int64_t start, std::int64_t steps, fs::path dir, c10::Device device)
    : start_(start), steps_(steps), dir_(std::move(dir)), device_(device) {}

StepProfiler::~StepProfiler() {
  if (!active_) return;
  try {
    prof::disableProfiler();  // the run stopped early (a signal, an error): nothing is written
  } catch (...) {
  }
}

void StepProfiler::before_step(std::int64_t step) {
  if (steps_ <= 0 || step != start_ || active_) return;
  std::set<impl::ActivityType> acts{impl::ActivityType::CPU};
  if (device_.is_cuda()) acts.insert(impl::ActivityType::CUDA);
  synchronize(device_);  // only this step's work is in the window
  prof::prepareProfiler(impl::ProfilerConfig(impl::ProfilerState::KINETO), acts);
  prof::enableProfiler(impl::ProfilerConfig(impl::ProfilerState::KINETO), acts);
  active_ = true;
  started_ms_ = now_ms();
  host_logger()->info("profiling steps {}..{} (training.profile_steps)", start_ + 1, start_ + steps_);
}

void StepProfiler::after_step(std::int64_t step) {
  if (!active_ || step + 1 != start_ + steps_) return;
  synchronize(device_);
  const double wall = now_ms() - started_ms_;
  write(wall);
}

void StepProfiler::write(double wall_ms) {
  std::unique_ptr<prof::ProfilerResult> result = prof::disableProfiler();
  active_ = false;
  fs::create_directories(dir_);
  const fs::path trace = dir_ / "trace.json";
  result->save(trace.string());

  std::vector<ProfileRow> kernels;
  std::vector<HostEvent> host;
  for (const prof::KinetoEvent& e : result->events()) {
    const auto type = static_cast<libkineto::ActivityType>(e.activityType());
    if (type == libkineto::ActivityType::CONCURRENT_KERNEL || type == libkineto::ActivityType::GPU_MEMCPY ||
        type == libkineto::ActivityType::GPU_MEMSET) {
      const std::string name = e.name();
      kernels.push_back({name, type == libkineto::ActivityType::CONCURRENT_KERNEL ? kernel_group(name) : "copy", true, 1,
                         static_cast<double>(e.durationNs()) / 1e6});
    } else if (type == libkineto::ActivityType::CPU_OP || type == libkineto::ActivityType::CUDA_RUNTIME) {
      host.push_back({e.startThreadId(), e.startNs(), e.endNs(), e.name()});
    }
  }
  const double per = static_cast<double>(steps_);
  double device_ms = 0;
  std::map<std::string, double> groups;
  for (const ProfileRow& k : kernels) device_ms += k.total_ms, groups[k.group] += k.total_ms;
  std::vector<std::pair<std::string, double>> by_group(groups.begin(), groups.end());
  std::sort(by_group.begin(), by_group.end(), [](auto& a, auto& b) { return a.second > b.second; });
  const std::vector<ProfileRow> top_kernels = top_rows(kernels, 40), top_host = top_rows(host_self_times(host), 40);

  std::string md = fmt::format("# Profile of training steps {}..{}\n\nWall time per step: {:.2f} ms.", start_ + 1,
                               start_ + steps_, wall_ms / per);
  if (device_.is_cuda())
    md += fmt::format(" Device kernel time per step: {:.2f} ms ({:.0f}% of the wall time; in the rest the device "
                      "waits for the host).",
                      device_ms / per, wall_ms > 0 ? 100.0 * device_ms / wall_ms : 0.0);
  md += "\n\n";
  nlohmann::json j = {{"first_step", start_ + 1}, {"steps", steps_}, {"wall_ms_per_step", wall_ms / per},
                      {"device_ms_per_step", device_ms / per}};
  if (!kernels.empty()) {
    md += "## Device time by kernel group\n\n| group | ms/step | share |\n|---|---|---|\n";
    nlohmann::json g = nlohmann::json::object();
    for (auto& [name, ms] : by_group) {
      md += fmt::format("| {} | {:.3f} | {:.1f}% |\n", name, ms / per, 100.0 * ms / device_ms);
      g[name] = ms / per;
    }
    j["device_groups_ms_per_step"] = g;
    md += "\n## Device kernels\n\n" + table(top_kernels, per, device_ms) + "\n";
  }
  md += "## Host operators, self time\n\n" + table(top_host, per, wall_ms) +
        "\nThe whole timeline: trace.json (chrome://tracing or https://ui.perfetto.dev).\n";
  j["kernels"] = rows_json(top_kernels, per);
  j["host"] = rows_json(top_host, per);
  write_file_atomic(dir_ / "summary.md", md);
  write_file_atomic(dir_ / "summary.json", j.dump(1) + "\n");

  auto log = host_logger();
  if (device_.is_cuda())
    log->info("profile: {:.2f} ms/step wall, {:.2f} ms/step on the device -> {}", wall_ms / per, device_ms / per,
              (dir_ / "summary.md").string());
  else
    log->info("profile: {:.2f} ms/step -> {}", wall_ms / per, (dir_ / "summary.md").string());
  for (std::size_t i = 0; i < by_group.size() && i < 6; ++i)
    log->info("profile:   {:<14} {:8.3f} ms/step ({:.0f}%)", by_group[i].first, by_group[i].second / per,
              100.0 * by_group[i].second / device_ms);
}

}  // namespace socrates
