#!/usr/bin/env bash
# The engine's GPU figures, run on a machine with an NVIDIA GPU, Python torch (CUDA), transformers and peft,
# and no JDK. It expects the kit that ../shared/gpu/prepare-djl-gpu.sh (or the same steps) put in .gpu/: a
# small Java runtime, the engine's classes and jars, and DJL's JNI sources, compiled here against the local
# torch. How to make the kit and run this: docs/benchmarks.md, "Engine on a GPU".
#
# Writes into ${OUT:-gpu-out}/: cli.txt (CLI score and generate on cpu and gpu:0 of the same tiny model),
# bench-gpu.json (bin/platform bench engine --device gpu:0), tests-gpu.txt (when the kit has the test classes)
# and peft-fp32.json (PEFT's mixed batch, same shape).
set -uo pipefail
cd "$(dirname "$0")/../../../.."
out=${OUT:-gpu-out}; mkdir -p "$out"
bash .gpu/build-jni.sh 2>&1 | tail -3
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
J=".gpu/java.sh -Xmx16g"
$J io.adapterplatform.engine.cli.EngineCli tiny --out /tmp/tiny > /dev/null; md5sum /tmp/tiny/*/*.safetensors
for dev in cpu gpu:0; do for a in lora dora mixlora; do
  echo "$dev $a $($J io.adapterplatform.engine.cli.EngineCli score --model /tmp/tiny/model --adapter /tmp/tiny/$a --tokens 5,17,42,9,77,3,8 --device $dev 2>&1 | tail -1)"
  echo "$dev $a $($J io.adapterplatform.engine.cli.EngineCli generate --model /tmp/tiny/model --adapter /tmp/tiny/$a --tokens 5,17,42 --max-tokens 6 --device $dev 2>&1 | tail -1)"
done; done | tee "$out/cli.txt"
$J io.adapterplatform.engine.bench.EngineBench --device gpu:0 --reps 9 --warmup 3 "$@" > "$out/bench-gpu.json" 2> "$out/bench-gpu.err"
echo "bench rc=$?"; tail -5 "$out/bench-gpu.err"
# the float64-reference tests of the fused forward, the model and fused training, on the GPU (the kit needs
# engine/target/test-classes in .gpu/test-classes and the JUnit console launcher and AssertJ jars in .gpu/lib)
if [ -d .gpu/test-classes ]; then
  timeout 300 $J -Dadapterplatform.device=gpu:0 org.junit.platform.console.ConsoleLauncher execute \
    --class-path .gpu/test-classes --disable-banner --details=tree \
    --select-class io.adapterplatform.engine.fused.FusedForwardTest \
    --select-class io.adapterplatform.engine.fused.ReservedPoolMixLoraTest \
    --select-class io.adapterplatform.engine.model.BaseModelTest \
    --select-class io.adapterplatform.engine.train.FusedTrainerTest \
    --select-class io.adapterplatform.engine.train.TinyModelLearnsTest > "$out/tests-gpu.txt" 2>&1
  echo "tests on gpu:0 rc=$?"; grep -E "tests (successful|failed|aborted)" "$out/tests-gpu.txt"
fi
PYTHONUNBUFFERED=1 timeout 300 python3 engine/src/bench/python/peft_decode.py > "$out/peft-fp32.json" 2> "$out/peft.err"
echo "peft rc=$?"; tail -5 "$out/peft.err"
