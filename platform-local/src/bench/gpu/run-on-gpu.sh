#!/usr/bin/env bash
# The training and serving benches on the lent GPU machine, from the kit that pack-kit.sh made and the first
# device call unpacked into $KIT (default /opt/k/.gpu; docs/benchmarks.md, "Services on a GPU").
#
# usage: run-on-gpu.sh training|serving [TIMEOUT_S] [bench options...]
# Writes ${OUT:-gpu-out}/<what>-gpu.txt (the bench's output) and <what>-gpu-mem.csv (the GPU's memory in use,
# sampled every 250 ms: the bench's own figures are the process's host memory). BENCH_AS_USER=1 runs the
# bench as an unprivileged user even where root could run embedded PostgreSQL.
set -uo pipefail
cd "$(dirname "$0")/../../../.."
kit=${KIT:-/opt/k/.gpu}; out=${OUT:-gpu-out}; mkdir -p "$out"
what=$1; limit=${2:-300}; shift 2 || shift $#
export MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=4294967296 # as bin/platform runs them
run_as=()
if [ -n "${BENCH_AS_USER:-}" ] || ! unshare -U true 2>/dev/null; then
  # embedded PostgreSQL will not run as root and wraps initdb in a user namespace, which this machine forbids
  id bench > /dev/null 2>&1 || useradd -M -d /tmp bench
  chmod -R a+rX "$kit"; run_as=(runuser -u bench --)
fi
java=("${run_as[@]}" "$kit/java.sh" --add-modules jdk.incubator.vector --sun-misc-unsafe-memory-access=allow
  "-Dadapterplatform.device=${DEVICE:-gpu:0}")
case $what in
  training) main=(-Xmx8g io.adapterplatform.local.bench.TrainingBench) ;;
  serving) main=(-Xmx3g -XX:MaxDirectMemorySize=16g io.adapterplatform.local.bench.ServingBench) ;;
  *) echo "usage: run-on-gpu.sh training|serving [TIMEOUT_S] [bench options...]" >&2; exit 2 ;;
esac
nvidia-smi --query-gpu=timestamp,memory.used --format=csv,noheader -lms 250 > "$out/$what-gpu-mem.csv" &
sampler=$!
echo "$what on $(nvidia-smi --query-gpu=name --format=csv,noheader), $(nproc) cores, from $(date -u +%FT%TZ)"
timeout "$limit" "${java[@]}" "${main[@]}" "$@" 2>&1 | tee "$out/$what-gpu.txt"
echo "$what rc=${PIPESTATUS[0]} at $(date -u +%FT%TZ); GPU memory in use at most" \
  "$(sort -t, -k2 -n "$out/$what-gpu-mem.csv" | tail -1 | cut -d, -f2)"
kill "$sampler"
