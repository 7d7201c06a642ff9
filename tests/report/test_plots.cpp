// The plot files: PNG signature and size (decoded with cairo when the test has it), SVG
// documents, and the links in report.md / report.json.
#include <cstdlib>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#ifdef SOCRATES_TEST_DECODE_PNG
#include <cairo.h>
#endif

#include "eval/plot.hpp"
#include "eval/report.hpp"
#include "report_example.hpp"
#include "report_fixtures.hpp"

namespace socrates {
namespace {

namespace fs = std::filesystem;

/// Width and height from the PNG's IHDR chunk, after checking the 8-byte signature.
PlotSize png_size(const fs::path& file) {
  const std::string bytes = test::read_text(file);
  const std::string signature = "\x89PNG\r\n\x1a\n";
  EXPECT_GE(bytes.size(), 24u) << file;
  if (bytes.size() < 24) return {};
  EXPECT_EQ(bytes.substr(0, 8), signature) << file;
  EXPECT_EQ(bytes.substr(12, 4), "IHDR") << file;
  auto be32 = [&](std::size_t at) {
    int v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
    return v;
  };
  return {be32(16), be32(20)};
}

void expect_png(const fs::path& file, PlotSize want) {
  ASSERT_TRUE(fs::exists(file)) << file;
  const PlotSize got = png_size(file);
  EXPECT_EQ(got.width, want.width) << file;
  EXPECT_EQ(got.height, want.height) << file;
#ifdef SOCRATES_TEST_DECODE_PNG
  cairo_surface_t* s = cairo_image_surface_create_from_png(file.c_str());
  EXPECT_EQ(cairo_surface_status(s), CAIRO_STATUS_SUCCESS) << file;
  EXPECT_EQ(cairo_image_surface_get_width(s), want.width) << file;
  EXPECT_EQ(cairo_image_surface_get_height(s), want.height) << file;
  cairo_surface_destroy(s);
#endif
}

void expect_svg(const fs::path& file) {
  ASSERT_TRUE(fs::exists(file)) << file;
  const std::string text = test::read_text(file);
  EXPECT_EQ(text.rfind("<?xml", 0), 0u) << file;
  EXPECT_NE(text.find("<svg"), std::string::npos) << file;
  EXPECT_NE(text.find("</svg>"), std::string::npos) << file;
}

class Plots : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!plots_available()) GTEST_SKIP() << "built without cairo (libcairo2-dev): no plots";
  }
  test::ScratchDir dir;
};

TEST_F(Plots, BaseVsTunedWritesPngAndSvgOfTheExpectedSize) {
  const EvalRun tuned = test::tuned_run(), base = test::base_run();
  write_report(dir.path(), tuned, &base);
  const fs::path plots = dir.path() / "plots";
  expect_png(plots / "per_study_w1.png", per_study_plot_size(3, true));  // s1, s2, s3
  expect_png(plots / "cell_best.png", kCellPlotSize);
  expect_png(plots / "cell_worst.png", kCellPlotSize);
  for (const char* name : {"per_study_w1", "cell_best", "cell_worst"}) expect_svg(plots / (std::string(name) + ".svg"));

  const std::string md = test::read_text(dir.path() / "report.md");
  EXPECT_NE(md.find("](plots/per_study_w1.png)"), std::string::npos) << md;
  EXPECT_NE(md.find("(plots/cell_worst.svg)"), std::string::npos) << md;
  const auto j = nlohmann::json::parse(test::read_text(dir.path() / "report.json"));
  ASSERT_EQ(j.at("plots").size(), 3u);
  EXPECT_EQ(j.at("plots")[1].at("name"), "cell_best");
  EXPECT_EQ(j.at("plots")[1].at("png"), "plots/cell_best.png");
}

TEST_F(Plots, ModelAlone) {
  write_report(dir.path(), test::tuned_run(), nullptr);
  const std::string best = test::read_text(dir.path() / "plots" / "cell_best.svg");
  const std::string worst = test::read_text(dir.path() / "plots" / "cell_worst.svg");
  EXPECT_NE(best, worst);
  expect_png(dir.path() / "plots" / "per_study_w1.png", per_study_plot_size(2, false));
}

TEST_F(Plots, NoTablesNoPlots) {
  EvalRun run = test::tuned_run();
  run.reports.erase(run.reports.begin());  // accuracy only
  write_report(dir.path(), run, nullptr);
  EXPECT_FALSE(fs::exists(dir.path() / "plots"));
}

// Many studies, a long study id, a 0-100 scale. SOCRATES_KEEP_REPORT=DIR also writes the
// reports to DIR/sample, DIR/distribution and DIR/alone (no base), to look at.
TEST_F(Plots, ManyStudiesAndWideScales) {
  for (bool distribution : {false, true}) {
    const test::ExampleRuns runs = test::example_runs(24, distribution);
    write_report(dir.path(), runs.tuned, &runs.base);
    expect_png(dir.path() / "plots" / "per_study_w1.png", per_study_plot_size(24, true));
    expect_png(dir.path() / "plots" / "cell_worst.png", kCellPlotSize);
    if (const char* keep = std::getenv("SOCRATES_KEEP_REPORT")) {
      write_report(fs::path(keep) / (distribution ? "distribution" : "sample"), runs.tuned, &runs.base);
      if (!distribution) write_report(fs::path(keep) / "alone", runs.tuned, nullptr);
    }
  }
}

TEST(PlotsUnavailable, ReportSaysWhy) {
  if (plots_available()) GTEST_SKIP() << "built with cairo";
  test::ScratchDir dir;
  write_report(dir.path(), test::tuned_run(), nullptr);
  const std::string md = test::read_text(dir.path() / "report.md");
  EXPECT_NE(md.find("install `libcairo2-dev`"), std::string::npos) << md;
}

}  // namespace
}  // namespace socrates
