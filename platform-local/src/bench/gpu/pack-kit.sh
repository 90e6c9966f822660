#!/usr/bin/env bash
# Packs what the training and serving benches need on the lent GPU machine, which has Python torch (CUDA)
# but no JDK, and takes at most 64 MiB per device call: a jlinked Java runtime, DJL's JNI sources (built
# there against its torch, see ../shared/gpu/prepare-djl-gpu.sh) and platform-local's fat jar without the
# CPU libtorch. Jars are rewritten uncompressed and without other platforms' natives, so that one solid
# xz over all of them compresses like raw class files; the result is split into parts for two calls.
#
# usage: platform-local/src/bench/gpu/pack-kit.sh DJL_GIT_DIR [PART_MIB]
#   then two device calls, one right after the other (docs/benchmarks.md, "Services on a GPU"):
#   call 1, carry [".gpu", ".gpu-parts1"]: platform-local/src/bench/gpu/unpack-on-gpu.sh start
#   call 2, carry [".gpu-parts2"]: unpack-on-gpu.sh finish, then run-on-gpu.sh training|serving
set -euo pipefail
djl_git=$1; part_mib=${2:-30}
top=$(git rev-parse --show-toplevel); cd "$top"
jdk=${JAVA_HOME:?set JAVA_HOME to a JDK 25}
jar=$(ls platform-local/target/platform-local-*.jar 2>/dev/null | grep -v -- '-plain\|original' | head -n1 || true)
[ -n "$jar" ] || { echo "no platform-local fat jar: ./mvnw -pl platform-local -am package -DskipTests" >&2; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
(cd "$work" && unzip -q "$top/$jar" 'BOOT-INF/*')
lib=$work/BOOT-INF/lib
printf '%s:%s\n' "$(ls "$lib"/pytorch-engine-*.jar)" "$(ls "$lib"/api-0*.jar)" > "$work/cp.txt"
bash ../shared/gpu/prepare-djl-gpu.sh "$djl_git" "$work/cp.txt" | grep -v '^-'
for x in .gpu-parts1 .gpu-parts2; do grep -qx "/$x/" .git/info/exclude || echo "/$x/" >> .git/info/exclude; done

echo "- a fuller Java runtime than the engine's: Spring, the embedded Kafka broker and S3Proxy need more of Java SE"
rm -rf .gpu/jre .gpu/lib .gpu/classes
"$jdk/bin/jlink" --add-modules java.se,jdk.incubator.vector,jdk.unsupported,jdk.management,jdk.zipfs,jdk.naming.dns,jdk.httpserver,jdk.crypto.cryptoki,jdk.crypto.ec,jdk.jfr,jdk.charsets,jdk.net,jdk.security.auth,jdk.security.jgss,jdk.xml.dom,jdk.management.agent \
  --strip-debug --no-header-files --no-man-pages --output "$work/jre" 2>/dev/null
cp -r "$jdk/include" "$work/jre/include"
tar -C "$work" -cf - jre | xz -T0 -6 > .gpu/jre.tar.xz

echo "- platform-local's jars, uncompressed, without the CPU libtorch and other platforms' natives"
mkdir -p "$work/app/lib"; cp -r "$work/BOOT-INF/classes" "$work/app/classes"
python3 - "$lib" "$work/app/lib" <<'PY'
import os, re, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
other = re.compile(r'(osx|darwin|mac|win|aarch64|arm|ppc|s390|riscv|loongarch|freebsd|aix|sunos|i386|x86(?![-_]64)|mips|sparc|android)', re.I)
for name in sorted(os.listdir(src)):
    if 'pytorch-native-' in name:
        continue
    with zipfile.ZipFile(os.path.join(src, name)) as zin, \
         zipfile.ZipFile(os.path.join(dst, name), 'w', zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            n = info.filename
            native = n.endswith(('.so', '.dll', '.dylib', '.jnilib'))
            # pytorch-jni's own libdjl_torch is for the CPU libtorch; the kit builds one for the GPU's
            if native and (other.search(n) or name.startswith('pytorch-jni')):
                continue
            zout.writestr(info, zin.read(info), compress_type=zipfile.ZIP_STORED)
PY
tar -C "$work/app" -cf - lib classes | xz -T0 -6 > "$work/app.tar.xz"
rm -rf .gpu-parts1 .gpu-parts2; mkdir .gpu-parts1 .gpu-parts2
split -b "${part_mib}M" -d "$work/app.tar.xz" .gpu-parts2/app.tar.xz.
mv .gpu-parts2/app.tar.xz.00 .gpu-parts1/
du -sh .gpu .gpu-parts1 .gpu-parts2
