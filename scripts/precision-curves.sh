#!/usr/bin/env bash
# The issue's full-length CPU check of mixed precision: PrecisionTracksFp32Test with 200 steps per
# run (the suite runs a shorter default, see the test), which trains gpt2-tiny on the built-in
# corpus in fp32, bf16, fp16 and fp8 through the CPU emulation and asserts that each stays within
# the test's stated margin of the FP32 loss curve. Prints each run's final loss, time and
# precision summary (steps applied/skipped, loss scale, FP8 tensors) and the largest gap.
# Usage: scripts/precision-curves.sh [STEPS]   (default 200; a multiple of 10)
# Runs offline with the project's Maven (./panatrain mvn); the four runs take about 30 s on 2 busy cores.
set -euo pipefail
cd "$(dirname "$0")/.."
./panatrain mvn -o -B -ntp -pl engine -am verify -Dtest=PrecisionTracksFp32Test \
    -Dsurefire.failIfNoSpecifiedTests=false -Dpanatrain.test.precisionSteps="${1:-200}" \
    | grep -E '^(fp32|bf16|fp16|fp8): |Tests run:|FAIL|BUILD'
