# Where `cmake --install` (and so the mint-tools package) puts mint's files,
# on top of GNUInstallDirs. Relative paths are under CMAKE_INSTALL_PREFIX;
# debian/rules gives absolute ones where Debian 12 wants them.
#   MINT_LIBEXECDIR       mint-agent and node-init: files for a node's
#                         initramfs, not programs node0 runs (lib/mint)
#   MINT_EXAMPLESDIR      the nodeconf examples
#   MINT_SYSTEMD_UNITDIR  mint-node@.service, mint-watch.service
#   MINT_BASH_COMPLETIONDIR  the completion of mintctl, where bash-completion
#                         loads it on demand
# STRING, not PATH: CMake turns a relative PATH given with -D into an
# absolute one under the current directory (the build dir).
include(GNUInstallDirs)
set(MINT_LIBEXECDIR "lib/mint" CACHE STRING "mint-agent and node-init (for node initramfs images)")
set(MINT_EXAMPLESDIR "${CMAKE_INSTALL_DATAROOTDIR}/doc/mint-tools/examples"
    CACHE STRING "nodeconf examples")
set(MINT_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING "systemd system units")
set(MINT_BASH_COMPLETIONDIR "${CMAKE_INSTALL_DATAROOTDIR}/bash-completion/completions"
    CACHE STRING "bash completions")
# The units name mintctl by its absolute installed path (systemd wants one).
set(MINT_MINTCTL_PATH ${CMAKE_INSTALL_FULL_SBINDIR}/mintctl)
