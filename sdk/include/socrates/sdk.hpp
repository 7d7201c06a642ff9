// Everything a plugin may include, in one header.
#pragma once

#include "socrates/adapter.hpp"
#include "socrates/checkpoint_sink.hpp"
#include "socrates/dataset.hpp"
#include "socrates/evaluator.hpp"
#include "socrates/objective.hpp"
#include "socrates/optimizer.hpp"
#include "socrates/parallelism.hpp"
#include "socrates/plugin.hpp"
#include "socrates/prompt_format.hpp"
