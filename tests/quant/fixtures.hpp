// Test support: fixture locations, a small safetensors reader, bitwise tensor comparison.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

namespace quant_test {

namespace fs = std::filesystem;

/// <fixtures>/quant.
fs::path quant_dir();
/// Every folder under <fixtures>/quant/models plus those in SOCRATES_EXTRA_QUANT_FIXTURES
/// (colon-separated), sorted.
std::vector<fs::path> model_fixture_dirs();
nlohmann::json read_json(const fs::path& path);
/// The dense model a quantised fixture was made from: <name>-nf4 -> ../../models/<name>/model
/// (the layout the fixtures' README describes).
fs::path dense_model_dir(const fs::path& quantised_fixture);

/// All tensors of a .safetensors file, as CPU tensors of their own.
std::map<std::string, at::Tensor> load_safetensors(const fs::path& path);
/// All tensors of all .safetensors files in a folder (sharded checkpoints).
std::map<std::string, at::Tensor> load_safetensors_dir(const fs::path& dir);

/// Same dtype, shape and bytes (so -0.0 != 0.0 and NaN == NaN).
bool bitwise_equal(const at::Tensor& a, const at::Tensor& b);
/// A short description of how a and b differ, for failure messages.
std::string describe_difference(const at::Tensor& a, const at::Tensor& b);
/// The UTF-8 text of a uint8 tensor.
std::string bytes_to_string(const at::Tensor& t);

}  // namespace quant_test
