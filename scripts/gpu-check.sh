#!/usr/bin/env bash
# The one-command GPU check, in two halves.
#   scripts/gpu-check.sh            (here, with a JDK and Maven) builds the project and writes the
#                                   git-ignored folder .bundle/: a jlinked Java runtime, the module
#                                   jars, the test jars, JUnit's console launcher and the benchmarks
#                                   (under 64 MiB, so it can travel to a GPU machine).
#   scripts/gpu-check.sh --run [--quick]
#                                   (on the GPU machine, in the repository root, no JDK, Maven or
#                                   network needed) runs every gpu-tagged test, the header conformance
#                                   test (cublasLt.h of PyTorch's nvidia-cublas), the sticky-error test
#                                   in a JVM of its own, the GPU tests under compute-sanitizer's
#                                   memcheck and the kernel tests under its racecheck where it is
#                                   installed, the GPU benchmarks (GEMMs, kernel bandwidth, GPT-2
#                                   124M training steps in FP32 and TF32), PyTorch's
#                                   numbers where `import torch` works with CUDA, and prints a short
#                                   table last. Results also go to $OUT (or .bundle/results).
# It leaves out multi-GPU checks. Exit status of --run: 0 when every test passed, 1 when one
# failed, 2 when there is no CUDA driver or no bundle.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bundle="$root/.bundle"
junit_platform_version=1.11.4   # the JUnit Platform of junit-jupiter 5.11.4 (parent pom)
assertj_version=3.26.3
max_bundle_mib=64

build() {
  cd "$root"
  ./panatrain mvn -q -B -ntp -DskipTests package
  local java_home; java_home="$(./panatrain java-home)"
  rm -rf "$bundle"
  mkdir -p "$bundle/lib" "$bundle/tests"
  local m jar
  for m in bindings memory kernels engine; do
    jar=$(ls "$m"/target/panatrain-"$m"-*.jar | grep -v -e sources -e tests | head -1)
    cp "$jar" "$bundle/lib/"
    # Test classes stay folders: the console launcher's --scan-class-path finds no tests in jars here.
    if [ -d "$m/target/test-classes" ]; then
      cp -r "$m/target/test-classes" "$bundle/tests/$m"
    fi
  done
  cp jmh-benchmarks/target/benchmarks.jar "$bundle/"
  local artifact
  for artifact in org.junit.platform:junit-platform-console-standalone:$junit_platform_version \
                  org.assertj:assertj-core:$assertj_version; do
    ./panatrain mvn -q -B -ntp -N org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
      -Dartifact="$artifact" -DoutputDirectory="$bundle/lib"
  done
  # The runtime: what jdeps finds the jars need, plus the Vector API and what JMH and JUnit load
  # reflectively, minus java.desktop: AssertJ refers to java.beans only for property extraction,
  # which no test uses, and it would take the bundle over its size limit.
  # (jdeps warns about split packages on stdout: keep only its answer, the last line of module names)
  local modules
  modules=$("$java_home/bin/jdeps" --ignore-missing-deps --print-module-deps --multi-release 22 \
             "$bundle"/lib/*.jar "$bundle"/tests/* "$bundle/benchmarks.jar" 2>/dev/null \
            | grep -E '^[a-z][a-z0-9.,]*$' | tail -1 || true)
  modules=$(echo "${modules:+$modules,}java.base,java.logging,java.management,jdk.management,jdk.unsupported,jdk.incubator.vector" \
            | tr ',' '\n' | grep -v -x java.desktop | sort -u | paste -sd, -)
  "$java_home/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
    --compress=zip-6 --output "$bundle/jre"
  # A JDK linked from its own run-time image keeps native symbols: strip libjvm.so (~29 -> ~25 MiB).
  if command -v strip > /dev/null; then
    strip --strip-unneeded "$bundle/jre/lib/server/libjvm.so"
  fi
  # Smoke test of the runtime: the CPU tests must pass with it, as the GPU tests will run with it.
  if ! "$bundle/jre/bin/java" --enable-native-access=ALL-UNNAMED --add-modules=jdk.incubator.vector \
        -jar "$bundle"/lib/junit-platform-console-standalone-*.jar execute --disable-banner --details=summary \
        --class-path "$(ls -d "$bundle"/lib/*.jar "$bundle"/tests/* | grep -v console-standalone | paste -sd: -)" \
        --scan-class-path "$(ls -d "$bundle"/tests/* | paste -sd: -)" --exclude-tag gpu > "$bundle/cpu-tests.log" 2>&1 \
     || ! grep -q '^\[ *[1-9][0-9]* tests successful' "$bundle/cpu-tests.log"; then
    echo "gpu-check: the CPU tests fail with the bundled runtime; see $bundle/cpu-tests.log" >&2
    exit 1
  fi
  cp "$root/scripts/torch_reference.py" "$bundle/"
  local mib; mib=$(du -sm "$bundle" | cut -f1)
  echo "gpu-check: wrote $bundle ($mib MiB; runtime modules: $modules)"
  if [ "$mib" -ge "$max_bundle_mib" ]; then
    echo "gpu-check: the bundle is $mib MiB, over the $max_bundle_mib MiB limit" >&2
    exit 1
  fi
  echo "gpu-check: on the GPU machine run: scripts/gpu-check.sh --run"
}

# Prints the count of a JUnit console summary line, e.g. "tests successful", or 0.
summary_count() {
  local n; n=$(sed -n "s/^\[ *\([0-9][0-9]*\) $2 .*/\1/p" "$1" | tail -1)
  echo "${n:-0}"
}

run() {
  local quick=""
  [ "${1:-}" = "--quick" ] && quick="--quick"
  local java="$bundle/jre/bin/java"
  if [ ! -x "$java" ]; then
    echo "gpu-check: no bundle at $bundle; build it first with scripts/gpu-check.sh on a machine with a JDK" >&2
    exit 2
  fi
  local flags=(--enable-native-access=ALL-UNNAMED --add-modules=jdk.incubator.vector)
  local probe
  if ! probe=$("$java" "${flags[@]}" -cp "$bundle/benchmarks.jar" org.panatrain.jmh.GpuCheckReport --probe); then
    echo "gpu-check: $probe" >&2
    exit 2
  fi
  echo "gpu-check: $probe"
  local out="${OUT:-$bundle/results}"
  mkdir -p "$out"
  local launcher; launcher=$(ls "$bundle"/lib/junit-platform-console-standalone-*.jar)
  local cp; cp=$(ls -d "$bundle"/lib/*.jar "$bundle"/tests/* | grep -v console-standalone | paste -sd: -)
  local scan; scan=$(ls -d "$bundle"/tests/* | paste -sd: -)
  console() { "$java" "${flags[@]}" -jar "$launcher" execute --disable-banner --disable-ansi-colors --details=tree \
                --class-path "$cp" --scan-class-path "$scan" "$@"; }

  echo "gpu-check: GPU tests ..."
  local tests_rc=0 later_rc=0 sanitizer="not installed"
  console --include-tag gpu --exclude-tag gpu-fatal --reports-dir "$out/junit-gpu" > "$out/gpu-tests.log" 2>&1 || tests_rc=$?
  console --include-tag gpu-fatal --reports-dir "$out/junit-gpu-fatal" > "$out/gpu-fatal-tests.log" 2>&1 || later_rc=$?
  console --select-class org.panatrain.bindings.HeaderConformanceTest --reports-dir "$out/junit-headers" \
    > "$out/header-tests.log" 2>&1 || later_rc=$?
  tail -n 15 "$out/gpu-tests.log"

  local cs; cs=$(command -v compute-sanitizer || ls "${CUDA_HOME:-/usr/local/cuda}"/bin/compute-sanitizer 2>/dev/null || true)
  # sanitize TOOL LOG SELECTION...: the GPU tests of SELECTION under compute-sanitizer; prints a verdict
  sanitize() {
    local tool=$1 name=$2 rc=0; shift 2
    timeout 300 "$cs" --tool "$tool" --error-exitcode 1 --print-limit 20 \
      "$java" "${flags[@]}" -jar "$launcher" execute --disable-banner --disable-ansi-colors --details=summary \
      --class-path "$cp" "$@" --include-tag gpu --exclude-tag gpu-fatal > "$out/$name.log" 2>&1 || rc=$?
    case $rc in
      0) echo "clean" ;;
      124) echo "timed out after 300 s" ;;
      *) echo "errors (exit $rc, see $name.log)" ;;
    esac
  }
  local racecheck="not installed"
  if [ -n "$cs" ]; then
    echo "gpu-check: GPU tests under compute-sanitizer memcheck, kernel tests under racecheck ..."
    sanitizer=$(sanitize memcheck memcheck --scan-class-path "$scan")
    racecheck=$(sanitize racecheck racecheck --select-class org.panatrain.kernels.cuda.CudaKernelsGpuTest)
  fi

  echo "gpu-check: benchmarks ..."
  "$java" "${flags[@]}" -cp "$bundle/benchmarks.jar" org.panatrain.jmh.GpuCheckReport $quick | tee "$out/report.txt" || true
  "$java" "${flags[@]}" -cp "$bundle/benchmarks.jar" org.panatrain.jmh.KernelBandwidthReport | tee "$out/bandwidth.txt" || true
  : > "$out/step.txt"   # GPT-2 124M training steps, B=8, T=1024, in FP32 then TF32
  "$java" "${flags[@]}" -cp "$bundle/benchmarks.jar" org.panatrain.jmh.GpuStepReport gpt2 8 1024 10 \
    | tee -a "$out/step.txt" || true
  "$java" "${flags[@]}" -Dpanatrain.tf32=true -cp "$bundle/benchmarks.jar" org.panatrain.jmh.GpuStepReport gpt2 8 1024 10 \
    | tee -a "$out/step.txt" || true
  "$java" "${flags[@]}" -jar "$bundle/benchmarks.jar" CudaLaunchBenchmark -f 1 -wi 2 -i 3 -w 1s -r 1s \
    -rf csv -rff "$out/jmh-launch.csv" > "$out/jmh-launch.log" 2>&1 || true
  local torch="not installed"
  if python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    torch="measured"
    "$java" "${flags[@]}" -cp "$bundle/benchmarks.jar" org.panatrain.jmh.GpuCheckReport --shapes \
      | python3 "$bundle/torch_reference.py" $quick | tee "$out/torch.txt" || torch="failed"
    local tf
    for tf in "" --tf32; do
      python3 "$root/scripts/bench/torch_step_reference.py" --device cuda --model gpt2 --batch 8 --seq 1024 \
        --steps 10 $tf | tee -a "$out/torch.txt" || torch="failed"
    done
  fi

  # ---- the table -----------------------------------------------------------------------------
  local log="$out/gpu-tests.log" passed=0 failed=0 skipped=0 f
  for f in "$out/gpu-tests.log" "$out/gpu-fatal-tests.log" "$out/header-tests.log"; do
    passed=$(( passed + $(summary_count "$f" "tests successful") ))
    failed=$(( failed + $(summary_count "$f" "tests failed") ))
    skipped=$(( skipped + $(summary_count "$f" "tests skipped") + $(summary_count "$f" "tests aborted") ))
  done
  local table="$out/table.txt"
  {
    echo "================ Panatrain GPU check ================"
    echo "device:        $(sed -n 's/^device //p' "$out/report.txt")"
    echo "tests:         $passed passed, $failed failed, $skipped skipped (containers aborted: $(summary_count "$log" "containers aborted"))"
    echo "memcheck:      $sanitizer"
    echo "racecheck:     $racecheck (kernel tests)"
    printf '%-16s %-6s %12s %12s %8s\n' "GEMM shape" "dtype" "panatrain" "torch" "ratio"
    local line p s t tt
    while read -r _ p s t; do
      tt=$(awk -v p="$p" -v s="$s" '$1=="torch_gemm" && $2==p && $3==s {print $4}' "$out/torch.txt" 2>/dev/null)
      printf '%-16s %-6s %12s %12s %8s\n' "$s" "$p" "$t" "${tt:--}" \
        "$( [ -n "$tt" ] && awk -v a="$t" -v b="$tt" 'BEGIN{printf "%.2f", a/b}' || echo -)"
    done < <(grep '^gemm ' "$out/report.txt")
    for s in pinned pageable; do
      t=$(awk -v s="$s" '$1=="h2d" && $2==s {print $3}' "$out/report.txt")
      tt=$(awk -v s="$s" '$1=="torch_h2d" && $2==s {print $3}' "$out/torch.txt" 2>/dev/null)
      printf '%-16s %-6s %12s %12s   GB/s\n' "H2D $s" "" "${t:--}" "${tt:--}"
    done
    local op dt gbs frac
    while read -r _ op dt gbs frac; do
      printf 'bandwidth %-14s %-5s %9s GB/s %6s of the d2d copy\n' "$op" "$dt" "$gbs" "$frac"
    done < <(grep '^bandwidth ' "$out/bandwidth.txt" 2>/dev/null)
    local model prec bb tt2 ms tok mfu tstep used planned tmem
    while read -r _ model prec bb tt2 ms _ tok _ _ mfu; do
      tstep=$(awk -v m="$model" -v p="$prec" '$1=="torch_step" && $2==m && $3==p {print $8}' "$out/torch.txt" 2>/dev/null)
      printf 'step %-6s %-5s %s %s %8s ms %9s tok/s  MFU %s  torch %s tok/s\n' "$model" "$prec" "$bb" "$tt2" "$ms" "$tok" \
        "$mfu" "${tstep:--}"
    done < <(grep '^step ' "$out/step.txt" 2>/dev/null)
    while read -r _ model bb tt2 _ used _ planned; do
      tmem=$(awk -v m="$model" '$1=="torch_memory" && $2==m {print $5; exit}' "$out/torch.txt" 2>/dev/null)
      printf 'memory %-6s %s %s used %s B, planned %s B, torch max_memory_allocated %s B\n' "$model" "$bb" "$tt2" \
        "$used" "$planned" "${tmem:--}"
    done < <(grep '^memory ' "$out/step.txt" 2>/dev/null | head -1)
    grep -q '^step ' "$out/step.txt" 2>/dev/null || echo "step:          no result (see $out)"
    echo "FFM downcall:  $(sed -n 's/^downcall_ns //p' "$out/report.txt") ns (cuCtxGetCurrent); launch: $(sed -n 's/^launch_ns //p' "$out/report.txt") ns host time"
    echo "torch:         $torch"
    echo "logs:          $out"
  } > "$table"
  cat "$table"
  [ "$tests_rc" -eq 0 ] && [ "$later_rc" -eq 0 ] || exit 1
}

case "${1:-}" in
  --run) shift; run "$@" ;;
  "") build ;;
  *) echo "usage: scripts/gpu-check.sh [--run [--quick]]" >&2; exit 2 ;;
esac
