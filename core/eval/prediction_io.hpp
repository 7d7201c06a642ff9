// Predictions as JSON lines, the format `socrates score` reads and evaluations write:
// {study_id, condition_num, task_num, participant, response?, prediction?, distribution?,
//  scale_min?, scale_max?, demographic?, text?}
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "socrates/evaluator.hpp"

namespace socrates {

/// Reads a predictions file. A row may carry only `response` (a human), only `prediction`
/// (a model), or both. `prediction` is a number, or a string holding the model's raw answer
/// (parsed like sampled answers; an unparsable one is a parse failure, kept and counted), or
/// null (a parse failure). `distribution` is {"answer": probability, ...} or [[answer, p], ...].
/// `demographic` is {"attr": "value", ...} or "Attr: value; Attr: value". Throws
/// socrates::Error naming the file and line.
std::vector<PredictionRow> read_predictions(const std::filesystem::path& file);

/// Writes `rows` (and the raw texts, when given: same length) atomically.
void write_predictions(const std::filesystem::path& file, const std::vector<PredictionRow>& rows,
                       const std::vector<std::string>& texts = {});

}  // namespace socrates
