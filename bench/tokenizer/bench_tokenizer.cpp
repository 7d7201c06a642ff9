// bench_tokenizer: times socrates::BpeTokenizer::encode over a JSONL corpus ({"text": ...}
// per line) on the calling thread. Prints one JSON summary line; --ids-out writes the ids
// (one line per document, space-separated) for comparison with the HF run (see run.sh).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "socrates/error.hpp"
#include "tokenizer/bpe_tokenizer.hpp"

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int usage() {
  std::cerr << "usage: bench_tokenizer --tokenizer PATH --corpus FILE.jsonl [--warmup N] [--iters N] [--ids-out FILE]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string tokenizer_path, corpus_path, ids_out;
  int warmup = 1, iters = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return usage();
    const std::string v = argv[++i];
    if (a == "--tokenizer") tokenizer_path = v;
    else if (a == "--corpus") corpus_path = v;
    else if (a == "--ids-out") ids_out = v;
    else if (a == "--warmup") warmup = std::stoi(v);
    else if (a == "--iters") iters = std::stoi(v);
    else return usage();
  }
  if (tokenizer_path.empty() || corpus_path.empty() || iters < 1) return usage();

  try {
    std::vector<std::string> docs;
    std::size_t bytes = 0;
    {
      std::ifstream in(corpus_path, std::ios::binary);
      if (!in) throw socrates::Error("cannot open corpus " + corpus_path);
      std::string line;
      while (std::getline(in, line)) {
        if (line.empty()) continue;
        docs.push_back(nlohmann::json::parse(line).at("text").get<std::string>());
        bytes += docs.back().size();
      }
    }

    auto t0 = std::chrono::steady_clock::now();
    const auto tok = socrates::BpeTokenizer::from_file(tokenizer_path);
    const double load_s = seconds_since(t0);

    std::vector<std::vector<std::int32_t>> ids(docs.size());
    auto pass = [&] {
      const auto start = std::chrono::steady_clock::now();
      for (std::size_t d = 0; d < docs.size(); ++d) {
        ids[d].clear();
        tok->encode_into(docs[d], ids[d]);
      }
      return seconds_since(start);
    };
    double first_pass_s = 0;
    for (int w = 0; w < warmup; ++w) {
      const double s = pass();
      if (w == 0) first_pass_s = s;
    }
    std::vector<double> times;
    for (int it = 0; it < iters; ++it) times.push_back(pass());
    std::sort(times.begin(), times.end());
    const double median = times[times.size() / 2];
    std::size_t tokens = 0;
    for (const auto& v : ids) tokens += v.size();

    if (!ids_out.empty()) {
      std::ofstream out(ids_out, std::ios::binary);
      std::string line;
      for (const auto& v : ids) {
        line.clear();
        for (std::size_t k = 0; k < v.size(); ++k) {
          if (k) line += ' ';
          line += std::to_string(v[k]);
        }
        line += '\n';
        out << line;
      }
      if (!out) throw socrates::Error("cannot write " + ids_out);
    }

    nlohmann::json summary = {
        {"impl", "socrates"},          {"docs", docs.size()},
        {"bytes", bytes},              {"tokens", tokens},
        {"load_s", load_s},            {"first_pass_s", first_pass_s},
        {"median_s", median},          {"best_s", times.front()},
        {"mb_per_s", bytes / median / 1e6}, {"tokens_per_s", tokens / median},
        {"first_pass_mb_per_s", warmup > 0 ? bytes / first_pass_s / 1e6 : 0.0},
    };
    std::cout << summary.dump() << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bench_tokenizer: " << e.what() << "\n";
    return 1;
  }
}
