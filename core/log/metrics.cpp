#include "log/metrics.hpp"

#include <chrono>

#include <nlohmann/json.hpp>

#include "socrates/error.hpp"

namespace socrates {

MetricsWriter::MetricsWriter(const std::filesystem::path& run_dir) : file_(run_dir / "metrics.jsonl") {
  out_.open(file_, std::ios::app);
  if (!out_) throw Error("cannot open " + file_.string() + " for writing");
  std::filesystem::create_directories(run_dir / "tensorboard");
  tb_ = std::make_unique<TensorBoardWriter>(run_dir / "tensorboard");
}

void MetricsWriter::write(const std::string& kind, std::int64_t step, const std::map<std::string, double>& values) {
  nlohmann::json j;
  j["kind"] = kind;
  j["step"] = step;
  j["time"] = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  for (const auto& [k, v] : values) {
    j[k] = v;
    tb_->scalar(kind + "/" + k, v, step);
  }
  out_ << j.dump() << "\n";
  out_.flush();
  if (!out_) throw Error("cannot write " + file_.string() + " (disk full?)");
  tb_->flush();
}

}  // namespace socrates
