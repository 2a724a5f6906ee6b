// StartRecipeGuests: the autostart guests of a boot recipe, as boot,
// restart and watch start them. Here node0's own (mint::vm in this
// process) under a root without QEMU, so every start fails without running
// anything: the lines say which guests did not start, the one returned
// error says why, for all of them (boot printed each reason in its lines and
// again as mintctl's error; boot --json twice on stderr).
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "guest_control.h"
#include "run_mintctl.h"

namespace mint::cli {
namespace {

TEST(StartRecipeGuests, EachFailureIsSaidOnceInTheReturnedError) {
  testing::TempDir dir;
  const std::string root = dir.path() + "/host";  // the build VM's tree: no QEMU in it
  std::filesystem::copy(
      testing::kBuildVm, root,
      std::filesystem::copy_options::recursive | std::filesystem::copy_options::copy_symlinks);
  lifecycle::Recipe recipe;
  recipe.name = "node0";
  GuestSpec g1, g2, g3;
  g1.name = "g1";
  g2.name = "g2";
  g3.name = "g3";
  g3.autostart = false;
  recipe.guests = {g1, g2, g3};
  ASSERT_TRUE(lifecycle::WriteRecipe(root, recipe).ok());
  Globals globals;
  globals.root = root;
  std::ostringstream out;
  auto started = StartRecipeGuests(globals, "node0", out);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(out.str(), "guest g1 did NOT start in node0\nguest g2 did NOT start in node0\n");
  const std::string why =
      "node0 has no VMM: /usr/bin/qemu-system-x86_64 is missing; install QEMU in node0 "
      "(apt-get install qemu-system-x86)";
  EXPECT_EQ(started.error().ToString(),
            "node0: " + why + "; guest g2 did not start either: node0: " + why);
}

}  // namespace
}  // namespace mint::cli
