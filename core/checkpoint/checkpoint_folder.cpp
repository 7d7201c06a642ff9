#include "checkpoint/checkpoint_folder.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "checkpoint/durable.hpp"
#include "checkpoint/layout.hpp"
#include "io/manifest.hpp"
#include "checkpoint/rng_state.hpp"
#include "plugin/host_services.hpp"
#include "io/atomic_file.hpp"
#include "socrates/error.hpp"

namespace fs = std::filesystem;

namespace socrates {

namespace {

std::string read_text(const fs::path& file, bool missing_ok = false) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    if (missing_ok && !fs::exists(file)) return "";
    throw Error("cannot read " + file.string());
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void make_dirs(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("cannot create " + dir.string() + ": " + ec.message());
}

}  // namespace

std::vector<fs::path> optimizer_files(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir / "optimizer", ec))
    if (e.path().extension() == ".safetensors") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string verify_rank_files(const fs::path& dir, const TrainingParts& parts) {
  const HostServices& host = host_services();
  for (const fs::path& f : {dir / ckpt::optimizer_file(parts.rank, parts.world_size), dir / ckpt::rng_file(parts.rank)}) {
    try {
      host.load_tensors(f);
    } catch (const std::exception& e) {
      return f.string() + ": " + e.what();
    }
  }
  return "";
}

void write_rank_files(const fs::path& dir, const TrainingParts& parts) {
  const HostServices& host = host_services();
  const fs::path opt = dir / ckpt::optimizer_file(parts.rank, parts.world_size);
  make_dirs(opt.parent_path());
  host.save_tensors(opt, parts.optimizer->state());
  const fs::path rng = dir / ckpt::rng_file(parts.rank);
  make_dirs(rng.parent_path());
  host.save_tensors(rng, capture_rng_state(parts.device));
}

void write_shared_files(const fs::path& dir, const TrainingParts& parts, const TrainerState& state,
                        const std::string& config_toml, const fs::path& run_dir) {
  make_dirs(dir / ckpt::kAdapterDir);
  parts.adapter->save(dir / ckpt::kAdapterDir);
  write_file_atomic(dir / ckpt::kTrainerState, trainer_state_json(state));
  write_file_atomic(dir / ckpt::kConfig, config_toml);
  write_file_atomic(dir / ckpt::kMetrics, read_text(run_dir / ckpt::kMetrics, /*missing_ok=*/true));
}

std::map<std::string, double> step_metrics(const fs::path& metrics_file, std::int64_t step, double loss) {
  std::map<std::string, double> out;
  std::ifstream in(metrics_file);
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("step") || !j["step"].is_number_integer() || j["step"].get<std::int64_t>() != step)
      continue;
    const std::string kind = j.value("kind", "metric");
    for (const auto& [k, v] : j.items())
      if (k != "step" && k != "time" && k != "kind" && v.is_number()) out[kind + "." + k] = v.get<double>();
  }
  out["train.loss"] = loss;
  return out;
}

void seal_checkpoint(const fs::path& dir, std::int64_t step, const std::map<std::string, double>& metrics) {
  fsync_tree(dir);
  write_manifest(dir, step, metrics);
  const std::string problem = verify_checkpoint(dir);
  if (!problem.empty()) throw Error("the checkpoint just written does not verify: " + problem);
}

TrainerState read_trainer_state(const fs::path& dir) {
  const fs::path file = dir / ckpt::kTrainerState;
  return parse_trainer_state(read_text(file), file);
}

std::vector<std::string> restore_parts(const fs::path& dir, const TrainingParts& parts) {
  const HostServices& host = host_services();
  try {
    parts.adapter->load(dir / ckpt::kAdapterDir);
  } catch (const Error& e) {
    throw Error((dir / ckpt::kAdapterDir).string() + ": the adapter does not load into this run's model (" + e.what() + ")");
  }
  // Every rank's optimizer file, merged by name: each optimizer takes the tensors it updates
  // (all of them, or its ZeRO-2 shard), whatever the number of ranks that saved them.
  const std::vector<fs::path> files = optimizer_files(dir);
  if (files.empty()) throw Error((dir / "optimizer").string() + ": no optimizer state in the checkpoint");
  StateDict merged;
  for (const fs::path& f : files) {
    StateDict one = host.load_tensors(f);
    merged.tensors.merge(one.tensors);
    merged.meta.merge(one.meta);
  }
  try {
    parts.optimizer->load_state(merged);
  } catch (const Error& e) {
    throw Error((dir / "optimizer").string() + ": the optimizer state (" + std::to_string(files.size()) +
                " rank file" + (files.size() == 1 ? "" : "s") + ") does not load (" + e.what() + ")");
  }
  // Training randomness does not depend on it (dropout is seeded per micro-batch); a rank the
  // checkpoint had no file for keeps its own state.
  const fs::path rng = dir / ckpt::rng_file(parts.rank);
  if (!fs::exists(rng)) return {};
  return restore_rng_state(host.load_tensors(rng), parts.device, rng);
}

}  // namespace socrates
