// manifest.json: what write_manifest records, and every way verify_checkpoint can fail.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "io/manifest.hpp"
#include "checkpoint_test_util.hpp"
#include "plugin/host_services.hpp"
#include "socrates/error.hpp"

using namespace socrates;
using namespace ckpt_test;
using testing::HasSubstr;

namespace {

// sha256 of the ASCII text, from `printf hello | sha256sum` and `printf world! | sha256sum`.
const char* const kHello = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
const char* const kWorld = "711e9609339e92b03ddc0a211827dba421f38f9ed8b9d806e1ffdd8c15ffa03d";

class Manifest : public testing::Test {
 protected:
  void SetUp() override {
    write_bytes(dir_ / "ckpt/a.txt", "hello");
    write_bytes(dir_ / "ckpt/sub/b.bin", "world!");
    write_manifest(ckpt(), 120, {{"eval.loss", 1.25}, {"train.loss", 2.5}});
  }
  fs::path ckpt() const { return dir_ / "ckpt"; }
  TempDir dir_;
};

TEST_F(Manifest, RoundTrip) {
  const CheckpointManifest m = read_manifest(ckpt());
  EXPECT_EQ(m.step, 120);
  EXPECT_EQ(m.metrics, (std::map<std::string, double>{{"eval.loss", 1.25}, {"train.loss", 2.5}}));
  ASSERT_EQ(m.files.size(), 2u);  // sorted by path, manifest.json itself not listed
  EXPECT_EQ(m.files[0].path, "a.txt");
  EXPECT_EQ(m.files[0].size, 5u);
  EXPECT_EQ(m.files[0].sha256, kHello);
  EXPECT_EQ(m.files[1].path, "sub/b.bin");
  EXPECT_EQ(m.files[1].size, 6u);
  EXPECT_EQ(m.files[1].sha256, kWorld);
  EXPECT_EQ(verify_checkpoint(ckpt()), "");
  // The same through the services plugins get.
  EXPECT_EQ(host_services().verify_checkpoint(ckpt()), "");
  EXPECT_EQ(host_services().read_manifest(ckpt()).size(), 2u);
}

TEST_F(Manifest, ChangedByteIsDetected) {
  write_bytes(ckpt() / "sub/b.bin", "world?");  // same size, one byte changed
  EXPECT_EQ(verify_checkpoint(ckpt()), (ckpt() / "sub/b.bin").string() + ": sha256 " +
                                           host_services().sha256("world?") + " differs from the manifest's " + kWorld);
}

TEST_F(Manifest, MissingFileIsDetected) {
  fs::remove(ckpt() / "a.txt");
  EXPECT_EQ(verify_checkpoint(ckpt()), (ckpt() / "a.txt").string() + ": listed in the manifest but missing");
}

TEST_F(Manifest, SizeMismatchIsDetected) {
  write_bytes(ckpt() / "a.txt", "hello!");
  EXPECT_EQ(verify_checkpoint(ckpt()), (ckpt() / "a.txt").string() + ": size 6 bytes, the manifest says 5");
}

TEST_F(Manifest, MissingManifestMeansIncomplete) {
  fs::remove(ckpt() / "manifest.json");
  EXPECT_THAT(verify_checkpoint(ckpt()), HasSubstr("manifest.json: no manifest; the checkpoint is incomplete"));
  EXPECT_THROW(read_manifest(ckpt()), Error);
}

TEST_F(Manifest, MalformedOrEscapingManifestIsRejected) {
  write_bytes(ckpt() / "manifest.json", "{\"format\": \"socrates-checkpoint\", \"version\": 1");
  EXPECT_THAT(verify_checkpoint(ckpt()), HasSubstr("malformed manifest"));
  write_bytes(ckpt() / "manifest.json",
              R"({"format": "socrates-checkpoint", "version": 1, "step": 1, "metrics": {},
                  "files": [{"path": "../outside", "size": 1, "sha256": "00"}]})");
  EXPECT_THAT(verify_checkpoint(ckpt()), HasSubstr("file path '../outside' leaves the checkpoint folder"));
}

TEST_F(Manifest, ExtraFilesDoNotBreakVerification) {
  // A file the manifest does not list is not part of the checkpoint (and not copied back).
  write_bytes(ckpt() / "notes.txt", "x");
  EXPECT_EQ(verify_checkpoint(ckpt()), "");
}

}  // namespace
