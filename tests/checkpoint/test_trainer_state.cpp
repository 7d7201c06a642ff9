// trainer_state.json round trip, the resume compatibility check, the metrics a manifest
// records, and how --resume auto picks a run directory.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "checkpoint/checkpoint_folder.hpp"
#include "checkpoint/latest_run.hpp"
#include "checkpoint/trainer_state.hpp"
#include "checkpoint_test_util.hpp"
#include "socrates/error.hpp"

using namespace socrates;
using namespace ckpt_test;
using testing::HasSubstr;

namespace {

TrainerState sample() {
  TrainerState s;
  s.step = 3;
  s.epoch = 0.75;
  s.data_position = 3;
  s.total_steps = 8;
  s.steps_per_epoch = 4;
  s.world_size = 1;
  s.schedule = "cosine";
  s.lr = 1e-2;
  s.warmup_steps = 1;
  s.min_lr_ratio = 0.0;
  s.next_lr = 0.0073223304703363135;
  s.settings = {{"training.global_batch_size", "8"}, {"run.seed", "42"}};
  s.losses = {12.345678901234567, 0.1 + 0.2, NAN};
  s.eval_losses = {11.5, -INFINITY};
  return s;
}

TEST(TrainerState, RoundTripIsExact) {
  const TrainerState a = sample();
  const TrainerState b = parse_trainer_state(trainer_state_json(a), "t.json");
  EXPECT_EQ(b.step, 3);
  EXPECT_EQ(b.epoch, 0.75);
  EXPECT_EQ(b.data_position, 3);
  EXPECT_EQ(b.total_steps, 8);
  EXPECT_EQ(b.steps_per_epoch, 4);
  EXPECT_EQ(b.schedule, "cosine");
  EXPECT_EQ(b.next_lr, a.next_lr);  // bit for bit
  EXPECT_EQ(b.settings, a.settings);
  ASSERT_EQ(b.losses.size(), 3u);
  EXPECT_EQ(b.losses[0], a.losses[0]);
  EXPECT_EQ(b.losses[1], 0.1 + 0.2);
  EXPECT_TRUE(std::isnan(b.losses[2]));
  EXPECT_EQ(b.eval_losses[1], -INFINITY);
}

TEST(TrainerState, MalformedFilesAreNamed) {
  EXPECT_THAT([] { parse_trainer_state("{", "/x/trainer_state.json"); },
              testing::ThrowsMessage<Error>(HasSubstr("/x/trainer_state.json: malformed trainer state")));
  EXPECT_THAT([] { parse_trainer_state(R"({"format": "other"})", "/x/t.json"); },
              testing::ThrowsMessage<Error>(HasSubstr("not a Socrates trainer state")));
  TrainerState s = sample();
  s.losses.pop_back();  // 2 losses for 3 steps
  EXPECT_THAT([&] { parse_trainer_state(trainer_state_json(s), "/x/t.json"); },
              testing::ThrowsMessage<Error>(HasSubstr("inconsistent trainer state (step 3 of 8 with 2 losses)")));
}

TEST(TrainerState, ChangedSettingsAreListed) {
  const TrainerState saved = sample();
  TrainerState now = saved;
  check_resumable(saved, now, "/ckpt");  // identical: fine
  now.world_size = 3;
  check_resumable(saved, now, "/ckpt");  // another number of ranks: fine (docs/distributed.md)
  now.settings["training.global_batch_size"] = "16";
  now.settings["adapter.r"] = "8";
  now.world_size = 2;
  try {
    check_resumable(saved, now, "/runs/x/checkpoints/step-000000003");
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_THAT(m, HasSubstr("cannot resume from /runs/x/checkpoints/step-000000003"));
    EXPECT_THAT(m, HasSubstr("\n  training.global_batch_size: 16 now, 8 in the checkpoint"));
    EXPECT_THAT(m, HasSubstr("\n  adapter.r: 8 now, (not set) in the checkpoint"));
    EXPECT_THAT(m, testing::Not(HasSubstr("WORLD_SIZE")));
    EXPECT_THAT(m, HasSubstr("socrates resume RUN_DIR"));
  }
}

TEST(TrainerState, AnOptionAddedSinceTheCheckpointResumesAtItsDefault) {
  const TrainerState saved = sample();  // made before the plugin had "adapter.compute"
  TrainerState now = saved;
  now.settings["adapter.compute"] = "\"adapter\"";
  now.defaults["adapter.compute"] = "\"adapter\"";
  check_resumable(saved, now, "/ckpt");  // at its default: the same training
  now.settings["adapter.compute"] = "\"input\"";
  EXPECT_THAT([&] { check_resumable(saved, now, "/ckpt"); },
              testing::ThrowsMessage<Error>(HasSubstr("\n  adapter.compute: \"input\" now, (not set) in the checkpoint")));
  // An option without a known default is a difference either way.
  now.defaults.clear();
  now.settings["adapter.compute"] = "\"adapter\"";
  EXPECT_THAT([&] { check_resumable(saved, now, "/ckpt"); },
              testing::ThrowsMessage<Error>(HasSubstr("adapter.compute: \"adapter\" now, (not set)")));
}

TEST(StepMetrics, TakesEveryNumberOfTheStep) {
  TempDir dir;
  write_bytes(dir / "metrics.jsonl",
              "{\"kind\":\"train\",\"step\":4,\"loss\":2.5,\"lr\":0.01,\"time\":1.0}\n"
              "{\"kind\":\"eval\",\"step\":4,\"loss\":2.25,\"time\":2.0}\n"
              "{\"kind\":\"eval\",\"step\":5,\"loss\":9.0}\n"
              "not json\n"
              "{\"kind\":\"wasserstein\",\"step\":4,\"mean\":0.125,\"label\":\"x\"}\n");
  const auto m = step_metrics(dir / "metrics.jsonl", 4, 2.75);
  EXPECT_EQ(m, (std::map<std::string, double>{
                   {"train.loss", 2.75}, {"train.lr", 0.01}, {"eval.loss", 2.25}, {"wasserstein.mean", 0.125}}));
  EXPECT_EQ(step_metrics(dir / "missing.jsonl", 1, 1.5), (std::map<std::string, double>{{"train.loss", 1.5}}));
}

TEST(LatestRun, PicksTheNewestRunOfThatName) {
  TempDir out;
  for (const char* d : {"quick-20250101-120000", "quick-20250101-120000-2", "quick-20250101-120000-10",
                        "quick-20241231-235959", "quick-big-20260101-000000", "quick-20990101-000000"}) {
    fs::create_directories(out / d);
    if (std::string(d) != "quick-20990101-000000") write_bytes(out / d / "config.resolved.toml", "");
  }
  // -10 is newer than -2; "quick-big-..." is another experiment; the 2099 one has no config.
  EXPECT_EQ(latest_run_dir(out.path(), "quick"), out / "quick-20250101-120000-10");
  EXPECT_EQ(latest_run_dir(out.path(), "quick-big"), out / "quick-big-20260101-000000");
  EXPECT_EQ(latest_run_dir(out.path(), "other"), std::nullopt);
  EXPECT_EQ(latest_run_dir(out / "missing", "quick"), std::nullopt);
}

}  // namespace
