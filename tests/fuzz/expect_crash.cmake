# The harness's own test (mint_add_fuzzer(... EXPECT_CRASH)): runs FUZZER
# the way a product target's ctest does (fuzzing mode, a scratch corpus and
# a seed directory) once per file of SEEDS, that file alone in the seed
# directory, and fails unless libFuzzer reports a crash for every one (a
# non-zero exit, its "deadly signal" or a sanitizer report, and a crash-
# artifact holding exactly that input). So a harness machinery
# that stopped seeing crashes (no sanitizer, a swallowed signal, a lost
# exit status) fails CI instead of passing every product target.
file(GLOB seeds ${SEEDS}/*)
if(NOT seeds)
  message(FATAL_ERROR "expect_crash: no seeds in ${SEEDS}")
endif()
file(REMOVE_RECURSE ${WORK})
foreach(seed IN LISTS seeds)
  get_filename_component(name ${seed} NAME)
  file(MAKE_DIRECTORY ${WORK}/${name}/scratch ${WORK}/${name}/seeds)
  file(COPY ${seed} DESTINATION ${WORK}/${name}/seeds)
  execute_process(COMMAND ${FUZZER} -max_total_time=20 -timeout=10 -rss_limit_mb=2048
                          -artifact_prefix=${WORK}/${name}/ ${WORK}/${name}/scratch
                          ${WORK}/${name}/seeds
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(rc EQUAL 0)
    message(FATAL_ERROR "expect_crash: ${name}: the fuzzer exited 0; the harness missed the crash:\n${out}")
  endif()
  if(NOT out MATCHES "ERROR: (libFuzzer: deadly signal|AddressSanitizer|UndefinedBehaviorSanitizer)")
    message(FATAL_ERROR "expect_crash: ${name}: exit ${rc} without a crash report:\n${out}")
  endif()
  file(GLOB artifacts ${WORK}/${name}/crash-*)
  list(LENGTH artifacts count)
  if(NOT count EQUAL 1)
    message(FATAL_ERROR "expect_crash: ${name}: ${count} crash artifacts, expected 1:\n${out}")
  endif()
  file(READ ${artifacts} got HEX)
  file(READ ${seed} want HEX)
  if(NOT got STREQUAL want)
    message(FATAL_ERROR "expect_crash: ${name}: the crash artifact is not the input that crashed")
  endif()
  message(STATUS "expect_crash: ${name}: crash reported (exit ${rc})")
endforeach()
