#!/usr/bin/env bash
# Compares Panatrain's CPU matmul with numpy (OpenBLAS) and torch.matmul shape by shape, each JMH
# run of CpuMatmulBenchmark followed at once by the reference script on the same shape, so that a
# machine shared with other work loads both sides alike. Leaves out building: run
#   ./panatrain mvn -q -o -pl jmh-benchmarks -am package -DskipTests
# first. Needs Debian's python3-numpy and python3-torch (PYTHON=... to use another interpreter).
#   scripts/bench/cpu_matmul_compare.sh [OUT_DIR]      (THREADS=2 by default)
# Prints one table (see cpu_matmul_reference.py for the columns); OUT_DIR keeps the JSON files.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
threads="${THREADS:-2}"
python="${PYTHON:-python3}"
out="${1:-$(mktemp -d)}"
mkdir -p "$out"
java="$("$root/panatrain" java-home)/bin/java"
jar="$root/jmh-benchmarks/target/benchmarks.jar"
reference="$root/scripts/bench/cpu_matmul_reference.py"
header=""
i=0
while IFS= read -r shape; do
  i=$((i + 1))
  "$java" -jar "$jar" CpuMatmulBenchmark -p threads="$threads" -p shape="$shape" \
      -rf json -rff "$out/jmh-$i.json" > "$out/jmh-$i.txt" 2>&1
  "$python" "$reference" --threads "$threads" --shapes "$shape" --jmh "$out/jmh-$i.json" \
      --json "$out/reference-$i.json" $header
  header="--no-header"
done < <("$python" "$reference" --list-shapes)
echo "JSON and JMH logs in $out" >&2
