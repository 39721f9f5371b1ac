#!/usr/bin/env bash
# `make bench`: builds the benchmark venv (.venv-bench: Presidio, spaCy, anjana, pycanon) when its
# lock changed, runs every benchmark and prints their results as one table. Each figure is a ratio
# against a baseline measured in the same command (the machine is shared and noisy).
#   bash scripts/bench.sh            full run (1M / 5M rows for the core, 100k + 1M rows end to end
#                                    on every route; over an hour on 2 cores)
#   bash scripts/bench.sh --quick    smoke run on small inputs (also: SDP_BENCH_QUICK=1)
# Generated inputs are cached under .local/bench/, so reruns skip the generation.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=${SDP_BENCH_QUICK:-0}
for arg in "$@"; do
  case $arg in
    --quick) quick=1 ;;
    *) echo "bench: unknown argument $arg (expected --quick)" >&2; exit 2 ;;
  esac
done

SDP_BENCH_VENV=1 bash scripts/setup.sh

mkdir -p .local/bench
results=.local/bench/results-$(date +%Y%m%d-%H%M%S).jsonl
if [[ $quick == 1 ]]; then
  core_args=(--quick) accuracy_args=(--quick) presidio_args=(--rows 300 --repeat 1) kanon_args=(--rows 10000 --k 5)
  ingest_args=(--quick) flink_args=(--rows 100000) stream_args=(--records 100000 --seconds 10 --idle-seconds 5)
  e2e_args=(--quick) portal_args=(--records 100000 --requests 10) erasure_args=(--rows 100000 --subjects 5)
  load_args=(--rows 100000 --no-split)
else
  core_args=() accuracy_args=() presidio_args=() kanon_args=() ingest_args=() flink_args=() stream_args=()
  e2e_args=() portal_args=() erasure_args=() load_args=()
fi

# One benchmark per line: the venv's python, the script, its arguments.
benches=(
  ".venv/bin/python benchmarks/core_bench.py ${core_args[*]}"
  ".venv/bin/python benchmarks/accuracy_bench.py ${accuracy_args[*]}"
  ".venv-bench/bin/python benchmarks/presidio_bench.py --domain healthcare ${presidio_args[*]}"
  ".venv-bench/bin/python benchmarks/presidio_bench.py --domain mixed ${presidio_args[*]}"
  ".venv-bench/bin/python benchmarks/presidio_bench.py --corpus independent ${presidio_args[*]}"
  ".venv-bench/bin/python benchmarks/kanon_bench.py ${kanon_args[*]}"
  ".venv/bin/python benchmarks/flink_bench.py ${flink_args[*]}"
  ".venv/bin/python benchmarks/stream_bench.py ${stream_args[*]}"
  ".venv/bin/python benchmarks/stream_bench.py --only throughput --processes 2 --partitions 6 ${stream_args[*]}"
  ".venv/bin/python benchmarks/ingest_bench.py ${ingest_args[*]}"
  ".venv/bin/python benchmarks/load_bench.py ${load_args[*]}"
  ".venv/bin/python benchmarks/e2e_bench.py ${e2e_args[*]}"
  ".venv/bin/python benchmarks/portal_bench.py ${portal_args[*]}"
  ".venv/bin/python benchmarks/erasure_bench.py ${erasure_args[*]}"
)

failed=()
for bench in "${benches[@]}"; do
  echo "== $bench"
  start=$SECONDS
  # Word splitting of $bench is intended: each entry is a command line without quoted arguments.
  # shellcheck disable=SC2086
  if $bench --results "$results"; then
    echo "   ($((SECONDS - start)) s)"
  else
    failed+=("$bench")
  fi
done

echo
echo "== all results ($results)"
.venv/bin/python benchmarks/common.py report "$results"
if ((${#failed[@]})); then
  printf 'bench: FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
