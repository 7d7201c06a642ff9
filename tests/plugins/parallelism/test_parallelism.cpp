// test-parallelism: one process, or several processes that meet in a folder (`rendezvous`).
// Every collective is a numbered file per rank; a rank waits for every rank's file of the
// same number, checks that all ranks called the same collective, and sums. So a rank that
// skips a hook, or calls them in another order, fails with a message instead of hanging.
// Gradients are summed at after_backward(last = true), as DDP does.
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include <ATen/core/grad_mode.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/zeros.h>

#include "socrates/parallelism.hpp"

namespace fs = std::filesystem;

namespace {

const socrates_option kOptions[] = {
    {"clip_eps", SOCRATES_FLOAT, "1e-6", "added to the norm when clipping", nullptr},
    {"rendezvous", SOCRATES_PATH, "\"\"", "folder where the ranks of a multi-process test meet (WORLD_SIZE > 1)",
     nullptr},
    {"timeout_s", SOCRATES_FLOAT, "120", "how long a rank waits for the others at a collective", nullptr},
};

class FileGroup {
 public:
  FileGroup(fs::path dir, int rank, int world, double timeout)
      : dir_(std::move(dir)), rank_(rank), world_(world), timeout_(timeout) {
    fs::create_directories(dir_);
  }

  // Sums `values` over the ranks; every rank must call `op` as its collective number seq_.
  std::vector<double> all_reduce(const std::string& op, std::vector<double> values) {
    const std::int64_t seq = seq_++;
    write(seq, op, values);
    std::vector<double> sum(values.size(), 0.0);
    for (int r = 0; r < world_; ++r) {
      const auto [their_op, theirs] = read(seq, r, op);
      if (their_op != op)
        throw socrates::Error("collective #" + std::to_string(seq) + ": rank " + std::to_string(rank_) + " called " +
                              op + " but rank " + std::to_string(r) + " called " + their_op);
      if (theirs.size() != values.size())
        throw socrates::Error("collective #" + std::to_string(seq) + " (" + op + "): rank " + std::to_string(r) +
                              " sent " + std::to_string(theirs.size()) + " values, rank " + std::to_string(rank_) +
                              " " + std::to_string(values.size()));
      for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += theirs[i];
    }
    // Every rank has finished collective seq - 1, so its files of seq - 2 were read by all.
    std::error_code ec;
    if (seq >= 2) fs::remove(file(seq - 2, rank_), ec);
    return sum;
  }
  std::int64_t collectives() const { return seq_; }

 private:
  fs::path file(std::int64_t seq, int r) const {
    return dir_ / (std::to_string(seq) + ".rank" + std::to_string(r));
  }
  void write(std::int64_t seq, const std::string& op, const std::vector<double>& v) {
    const fs::path f = file(seq, rank_), tmp = f.string() + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary);
      const std::uint64_t n = v.size();
      out << op << '\n';
      out.write(reinterpret_cast<const char*>(&n), sizeof n);
      out.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(n * sizeof(double)));
      if (!out) throw socrates::Error("cannot write " + tmp.string());
    }
    fs::rename(tmp, f);  // atomic: readers see all of it or nothing
  }
  std::pair<std::string, std::vector<double>> read(std::int64_t seq, int r, const std::string& op) {
    const fs::path f = file(seq, r);
    const auto start = std::chrono::steady_clock::now();
    while (!fs::exists(f)) {
      if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > timeout_)
        throw socrates::Error("rank " + std::to_string(rank_) + " waited " + std::to_string(timeout_) +
                              " s for rank " + std::to_string(r) + " at collective #" + std::to_string(seq) + " (" +
                              op + "): that rank skipped or reordered a collective, or died");
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    std::ifstream in(f, std::ios::binary);
    std::string their_op;
    std::getline(in, their_op);
    std::uint64_t n = 0;
    in.read(reinterpret_cast<char*>(&n), sizeof n);
    std::vector<double> v(n);
    in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(n * sizeof(double)));
    return {their_op, v};
  }

  fs::path dir_;
  int rank_, world_;
  double timeout_;
  std::int64_t seq_ = 0;
};

class TestParallelism final : public socrates::Parallelism {
 public:
  explicit TestParallelism(const socrates::PluginContext& ctx)
      : eps_(ctx.config.get<double>("clip_eps")), rank_(ctx.rank), world_(ctx.world_size) {
    const std::string dir = ctx.config.get<std::string>("rendezvous");
    if (ctx.world_size != 1 && dir.empty()) {
      throw socrates::Error("test-parallelism runs one process, but WORLD_SIZE is " + std::to_string(ctx.world_size));
    }
    if (ctx.world_size > 1) group_.emplace(dir, rank_, world_, ctx.config.get<double>("timeout_s"));
  }
  int rank() const override { return rank_; }
  int world_size() const override { return world_; }
  std::vector<socrates::NamedTensor> setup(std::vector<socrates::NamedTensor> params) override {
    params_ = params;
    return params;
  }
  void before_backward(bool) override {}
  void after_backward(bool last) override {
    if (!last || !group_) return;
    std::vector<double> flat;
    for (const auto& [name, p] : params_) {
      at::Tensor g = p.grad().defined() ? p.grad().to(at::kDouble).contiguous() : at::zeros({p.numel()}, at::kDouble);
      flat.insert(flat.end(), g.data_ptr<double>(), g.data_ptr<double>() + g.numel());
    }
    std::vector<double> sum = group_->all_reduce("gradients", std::move(flat));
    std::size_t at = 0;
    for (auto& [name, p] : params_) {
      at::Tensor g = at::from_blob(sum.data() + at, p.sizes(), at::kDouble).to(p.scalar_type());
      p.mutable_grad() = g;
      at += static_cast<std::size_t>(p.numel());
    }
  }
  double clip_grad_norm(double max_norm) override {
    double sq = 0;
    for (const auto& [name, p] : params_) {
      if (p.grad().defined()) sq += p.grad().pow(2).sum().item<double>();
    }
    const double norm = std::sqrt(sq);
    if (max_norm > 0 && norm > max_norm) {
      at::NoGradGuard no_grad;
      for (auto& [name, p] : params_) {
        if (p.grad().defined()) p.mutable_grad().mul_(max_norm / (norm + eps_));
      }
    }
    return norm;
  }
  void after_step() override {}
  void all_reduce_sum(at::Tensor& t) override {
    if (!group_) return;
    at::Tensor d = t.to(at::kDouble).contiguous().cpu();
    std::vector<double> v(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
    std::vector<double> sum = group_->all_reduce("all_reduce_sum", std::move(v));
    t.copy_(at::from_blob(sum.data(), t.sizes(), at::kDouble));
  }
  void barrier() override {
    if (group_) group_->all_reduce("barrier", {});
  }

 private:
  double eps_;
  int rank_, world_;
  std::optional<FileGroup> group_;
  std::vector<socrates::NamedTensor> params_;
};

}  // namespace

SOCRATES_PLUGIN(socrates::Parallelism, TestParallelism, "test-parallelism", "1.0.0",
                "One process, or several meeting in a folder (tests)", kOptions);
