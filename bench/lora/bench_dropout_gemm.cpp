// Times LoRA's dropout GEMMs on one GPU, fused (dropout_gemm_cuda.cu) against the separate path
// (the dropout kernel, then cuBLAS), for the A product and its two gradients, at the shapes of
// a 16 x 256-token micro-batch of Qwen2.5 models. One JSON line per shape and operation:
// microseconds (median of --iters, CUDA events) and the ratio.
//   bench_dropout_gemm [--tokens 4096] [--rank 32] [--p 0.05] [--iters 50] [--k 896,3584,4864,5120,13824,18944]
#include <algorithm>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAStream.h>

#include "dropout_cuda.hpp"
#include "dropout_gemm.hpp"

namespace {

// Median microseconds of f over `iters` runs, after 5 untimed.
double median_us(const std::function<void()>& f, int iters) {
  for (int i = 0; i < 5; ++i) f();
  std::vector<double> t;
  for (int i = 0; i < iters; ++i) {
    at::cuda::CUDAEvent start(cudaEventDefault), stop(cudaEventDefault);
    start.record();
    f();
    stop.record();
    stop.synchronize();
    t.push_back(start.elapsed_time(stop) * 1000.0);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t tokens = 4096, rank = 32;
  double p = 0.05;
  int iters = 50;
  std::vector<std::int64_t> ks{896, 3584, 4864, 5120, 13824, 18944};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "missing value after " << a << "\n";
      return 2;
    }
    const std::string v = argv[++i];
    if (a == "--tokens") tokens = std::stoll(v);
    else if (a == "--rank") rank = std::stoll(v);
    else if (a == "--p") p = std::stod(v);
    else if (a == "--iters") iters = std::stoi(v);
    else if (a == "--k") {
      ks.clear();
      std::stringstream ss(v);
      for (std::string s; std::getline(ss, s, ',');) ks.push_back(std::stoll(s));
    } else {
      std::cerr << "unknown argument " << a << "\n";
      return 2;
    }
  }
  if (!at::hasCUDA()) {
    std::cerr << "bench_dropout_gemm needs a CUDA device\n";
    return 1;
  }
  const auto opts = at::TensorOptions().device(c10::Device(c10::kCUDA, 0)).dtype(at::kBFloat16);
  for (const std::int64_t k : ks) {
    const at::Tensor x = at::randn({tokens, k}, opts), a = at::randn({rank, k}, opts) * 0.02;
    const at::Tensor g = at::randn({tokens, rank}, opts);
    at::Tensor sum = at::randn({tokens, k}, opts);
    const lora::PhiloxSeed s = lora::draw_philox_seed(x.device());
    struct Case {
      const char* op;
      std::function<void()> fused, separate;
    };
    const std::vector<Case> cases{
        {"dropout(x) A^T", [&] { lora::dropped_mm(x, a, p, s); }, [&] { at::mm(lora::dropout_philox(x, p, s), a.t()); }},
        {"g^T dropout(x)", [&] { lora::mm_t_dropped(g, x, p, s); },
         [&] { at::mm(g.t(), lora::dropout_philox(x, p, s)); }},
        {"sum += dropout(g A)", [&] { lora::mm_dropped(g, a, p, s, sum); },
         [&] { lora::dropout_philox_add_(sum, at::mm(g, a), p, s); }},
        {"dropout(x) alone", nullptr, [&] { lora::dropout_philox(x, p, s); }},
    };
    for (const Case& c : cases) {
      const double sep = median_us(c.separate, iters);
      const double fus = c.fused ? median_us(c.fused, iters) : 0.0;
      std::cout << "{\"op\": \"" << c.op << "\", \"tokens\": " << tokens << ", \"k\": " << k << ", \"rank\": " << rank
                << ", \"separate_us\": " << sep;
      if (c.fused) std::cout << ", \"fused_us\": " << fus << ", \"speedup\": " << sep / fus;
      // Bytes of x (or of the sum, read and written) once: the memory floor of the fused op.
      const double bytes = static_cast<double>(tokens * k * 2) * (c.op[0] == 's' ? 2 : 1);
      std::cout << ", \"x_bytes_per_us_fused\": " << (c.fused ? bytes / fus : 0.0) << "}\n";
    }
  }
  return 0;
}
