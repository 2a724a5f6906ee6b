"""Builds the node0 tools the lab puts into its initramfs: mintctl (and
mint-agent once loader/agent/ exists), with CMake+Ninja in a build
directory of the lab's own (default ${MINT_CACHE}/loader-build; the e2e
fixture passes the test build's directory so nothing compiles twice).
Returns None for a tool whose sources do not exist yet."""

import os

from .common import REPO, LabError, cache_dir, log, run, need_tool, Stopwatch


def default_build_dir():
    return os.environ.get("MINT_LOADER_BUILD") or os.path.join(cache_dir(), "loader-build")


def _find(build_dir, name):
    for root, _dirs, files in os.walk(build_dir):
        if name in files and "CMakeFiles" not in root:
            p = os.path.join(root, name)
            if os.access(p, os.X_OK):
                return p
    return None


def source_dir(build_dir):
    """The source tree `build_dir` was configured from (CMakeCache.txt's
    CMAKE_HOME_DIRECTORY), or this repository for a new build dir: the
    tools to build are the ones that tree has."""
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("CMAKE_HOME_DIRECTORY:"):
                    return line.split("=", 1)[1].strip()
    except FileNotFoundError:
        pass
    return REPO


def build(build_dir=None):
    """Returns {'mintctl': path or None, 'mint-agent': path or None}."""
    build_dir = os.path.abspath(build_dir or default_build_dir())
    src = source_dir(build_dir)
    wanted = []
    if os.path.isfile(os.path.join(src, "loader", "cli", "CMakeLists.txt")):
        wanted.append("mintctl")
    if os.path.isfile(os.path.join(src, "loader", "agent", "CMakeLists.txt")):
        wanted.append("mint-agent")
    result = {"mintctl": None, "mint-agent": None}
    if not wanted:
        return result
    sw = Stopwatch()
    need_tool("cmake", "cmake")
    need_tool("ninja", "ninja-build")
    if not os.path.isfile(os.path.join(build_dir, "CMakeCache.txt")):
        log("configuring the loader in %s" % build_dir)
        run(["cmake", "-S", REPO, "-B", build_dir, "-G", "Ninja",
             "-DCMAKE_BUILD_TYPE=RelWithDebInfo"], quiet=True, what="cmake configure")
    run(["nice", "cmake", "--build", build_dir, "-j", "2", "--target"] + wanted, quiet=True,
        what="building %s (cmake --build %s)" % (" ".join(wanted), build_dir))
    for name in wanted:
        result[name] = _find(build_dir, name)
        if result[name] is None:
            raise LabError("built target %s but found no %s binary under %s"
                           % (name, name, build_dir))
    log("loader tools built in %s: %s" % (sw, ", ".join(result[n] for n in wanted)))
    return result
