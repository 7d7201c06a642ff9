// Precompiled for every C++ target (see CMakeLists.txt). Heavy, stable headers only.
#pragma once
#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ATen/TensorOperators.h>
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <spdlog/spdlog.h>
