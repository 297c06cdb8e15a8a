# Runs one fuzzer for a bounded time on a fresh copy of its seed corpus:
#   cmake -D FUZZER=path -D SEEDS=folder -D RUN_DIR=folder -D OPTIONS=list
#         -P run_fuzzer.cmake
# Fails when the fuzzer reports a finding. When SCOPEJOBS_TEST_TALLY names
# a file, appends "1 0" (passed) or "0 1" (failed) to it, as the test
# binary does for its cases.

file(REMOVE_RECURSE ${RUN_DIR})
file(MAKE_DIRECTORY ${RUN_DIR}/corpus ${RUN_DIR}/findings)
file(GLOB seeds ${SEEDS}/*)
file(COPY ${seeds} DESTINATION ${RUN_DIR}/corpus)

execute_process(
    COMMAND ${FUZZER} ${OPTIONS} ${RUN_DIR}/corpus
    RESULT_VARIABLE result)

file(GLOB findings ${RUN_DIR}/findings/*)
if(result EQUAL 0 AND NOT findings)
    set(tally "1 0")
else()
    set(tally "0 1")
endif()
if(DEFINED ENV{SCOPEJOBS_TEST_TALLY} AND NOT "$ENV{SCOPEJOBS_TEST_TALLY}" STREQUAL "")
    file(APPEND "$ENV{SCOPEJOBS_TEST_TALLY}" "${tally}\n")
endif()
if(NOT tally STREQUAL "1 0")
    message(FATAL_ERROR "${FUZZER} found a problem (exit ${result}): ${findings}")
endif()
