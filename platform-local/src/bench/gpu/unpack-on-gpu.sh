#!/usr/bin/env bash
# On the lent GPU machine: unpacks the kit that pack-kit.sh split over two device calls into $KIT's folder
# (default /opt/k), which outlives a call while the machine stays warm (30 s after each call).
#
#   unpack-on-gpu.sh start    call 1, carry [".gpu", ".gpu-parts1"]: the Java runtime, and DJL's JNI build
#                             started in its own process session so that it runs on during the next transfer
#   unpack-on-gpu.sh finish   call 2, carry [".gpu-parts2"]: the jars and classes; waits for the JNI build
set -euo pipefail
cd "$(dirname "$0")/../../../.."
home=$(dirname "${KIT:-/opt/k/.gpu}")
case ${1:-} in
  start)
    rm -rf "$home"; mkdir -p "$home"
    cp -r .gpu "$home/"; cp .gpu-parts1/* "$home/"
    tar -xJf "$home/.gpu/jre.tar.xz" -C "$home/.gpu"; rm "$home/.gpu/jre.tar.xz"
    "$home/.gpu/jre/bin/java" -version 2>&1 | head -n1
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
    setsid nohup bash "$home/.gpu/build-jni.sh" > "$home/jni.log" 2>&1 < /dev/null &
    echo $! > "$home/jni.pid"
    ;;
  finish)
    cat "$home"/app.tar.xz.* .gpu-parts2/app.tar.xz.* | xz -dc | tar -x -C "$home/.gpu"
    echo "$(ls "$home/.gpu/lib" | wc -l) jars"
    # wait on the build's own pid: a pattern match (pgrep -f) also finds the shell that runs this call,
    # whose command line names the script too
    while kill -0 "$(cat "$home/jni.pid")" 2> /dev/null; do sleep 1; done
    cat "$home/jni.log"
    ls "$(python3 -c 'import torch,os;print(os.path.join(os.path.dirname(torch.__file__),"lib"))')"/*-libdjl_torch.so
    ;;
  *) echo "usage: unpack-on-gpu.sh start|finish" >&2; exit 2 ;;
esac
