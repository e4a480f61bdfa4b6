#!/usr/bin/env bash
# Builds the agent's OCI image, kiln:VERSION, without a registry: a root file system assembled on this
# machine (a Java runtime jlinked from the local JDK, the node libraries Kiln loads - libbpf, libelf,
# zlib - with the C libraries they and Java need, /bin/sh, the kiln launcher, the CLI's jars with the
# bundle of prebuilt objects, the templates), then `podman build` FROM scratch. No clang: the agent runs
# every variant the bundle holds (see docs/deploy.md). Writes target/image/kiln-VERSION.oci.tar too.
#
# Usage: deploy/image/build-image.sh [--tag NAME:TAG] [--out FILE] [--templates DIR] [--bundle DIR]
#   --templates DIR  the templates the agent reads (default: the checkout's bpf-templates/src/main/bpf)
#   --bundle DIR     a bundle folder (`kiln bundle`) put before the build's own bundle on the class path:
#                    how an image carries templates changed since the build (no clang in the image)
# Needs the CLI built first (./kiln image does both): runtime/cli/target/kiln-cli-VERSION.jar and lib/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VERSION="0.1.0-SNAPSHOT"
TAG="kiln:$VERSION"
OUT="$ROOT/target/image/kiln-$VERSION.oci.tar"
TEMPLATES="$ROOT/bpf-templates/src/main/bpf"
BUNDLE=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --tag) TAG="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --templates) TEMPLATES="$2"; shift 2 ;;
    --bundle) BUNDLE="$2"; shift 2 ;;
    *) echo "kiln image: unknown option $1 (expected --tag NAME:TAG, --out FILE, --templates DIR or --bundle DIR)" >&2; exit 2 ;;
  esac
done

say() { printf 'kiln image: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

[[ -d "$TEMPLATES" ]] || fail "--templates $TEMPLATES: not a folder"
[[ -z "$BUNDLE" || -f "$BUNDLE/META-INF/kiln/index.json" ]] || fail "--bundle $BUNDLE: not a bundle folder (no META-INF/kiln/index.json; make one with kiln bundle)"
CLI_JAR="$ROOT/runtime/cli/target/kiln-cli-$VERSION.jar"
[[ -f "$CLI_JAR" && -d "$ROOT/runtime/cli/target/lib" ]] \
  || fail "no CLI build at $CLI_JAR (run ./kiln image, or ./mvnw -pl runtime/cli -am package -DskipTests)"
command -v podman >/dev/null || fail "podman is not installed (apt-get install podman runc)"
JAVA_HOME="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"
[[ -x "$JAVA_HOME/bin/jlink" && -d "$JAVA_HOME/jmods" ]] || fail "no jlink and jmods under $JAVA_HOME (a JDK 17 is needed)"
LIBBPF="/usr/lib/x86_64-linux-gnu/libbpf.so.1"
[[ -e "$LIBBPF" ]] || fail "no $LIBBPF on this machine (apt-get install libbpf1)"

WORK="$ROOT/target/image"
CTX="$WORK/context"
FS="$CTX/rootfs"
rm -rf "$CTX"
mkdir -p "$FS"/{usr/bin,usr/local/bin,usr/lib/x86_64-linux-gnu,usr/lib64,etc,tmp,root,run,sys,proc,dev,opt/kiln/lib,var/cache}
ln -s usr/bin "$FS/bin"
ln -s usr/lib "$FS/lib"
ln -s usr/lib64 "$FS/lib64"
chmod 1777 "$FS/tmp"
chmod 0700 "$FS/root"

# Java: the modules the CLI's jars need (jdeps) and those reached by reflection or service loading.
MODULES="java.base,java.compiler,java.desktop,java.logging,java.management,java.naming,java.net.http,java.rmi,java.sql,jdk.crypto.ec,jdk.unsupported,jdk.zipfs"
say "jlink $MODULES"
"$JAVA_HOME/bin/jlink" --add-modules "$MODULES" --strip-debug --no-header-files --no-man-pages --compress=2 \
  --output "$FS/opt/kiln/jre"

cp "$CLI_JAR" "$ROOT/runtime/cli/target/lib/"*.jar "$FS/opt/kiln/lib/"
mkdir -p "$FS/opt/kiln/bpf-templates/src/main/bpf"
cp -r "$TEMPLATES/." "$FS/opt/kiln/bpf-templates/src/main/bpf/"
mkdir -p "$FS/opt/kiln/bundle"
[[ -z "$BUNDLE" ]] || cp -r "$BUNDLE/." "$FS/opt/kiln/bundle/"
cp /bin/dash "$FS/usr/bin/sh"
cat > "$FS/usr/local/bin/kiln" <<'LAUNCHER'
#!/bin/sh
# kiln in the agent's image: the CLI on the jlinked runtime; KILN_JAVA_OPTS adds JVM options.
# /opt/kiln/bundle (empty unless the image was built with --bundle) comes first: its variants win.
exec /opt/kiln/jre/bin/java ${KILN_JAVA_OPTS:-} -Dkiln.home=/opt/kiln -cp '/opt/kiln/bundle:/opt/kiln/lib/*' io.kiln.cli.Main "$@"
LAUNCHER
chmod 0755 "$FS/usr/local/bin/kiln"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$FS/etc/passwd"
printf 'root:x:0:\n' > "$FS/etc/group"

# Native libraries: libbpf (dlopened by the binding) and everything the ELF files in the tree need,
# copied under their real names with their sonames as links (the binding reads libbpf's release from it).
copy_lib() {
  local name="$1" real base
  real="$(readlink -f "$name")"
  base="$(basename "$real")"
  [[ -e "$FS/usr/lib/x86_64-linux-gnu/$base" ]] || cp "$real" "$FS/usr/lib/x86_64-linux-gnu/$base"
  if [[ "$(basename "$name")" != "$base" && ! -e "$FS/usr/lib/x86_64-linux-gnu/$(basename "$name")" ]]; then
    ln -s "$base" "$FS/usr/lib/x86_64-linux-gnu/$(basename "$name")"
  fi
}
copy_lib "$LIBBPF"
# java.desktop is there for java.beans (Jackson); its native GUI, sound and image libraries are never
# loaded by a headless agent, so the X11, ALSA and font libraries they link are left out.
DESKTOP_NATIVES='.*/jre/lib/lib\(awt.*\|jawt\|splashscreen\|fontmanager\|jsound\|lcms\|mlib_image\|javajpeg\)\.so'
for _ in 1 2 3; do   # to a fixed point: libraries of libraries
  while read -r lib; do
    copy_lib "$lib"
  done < <(find "$FS" -type f \( -name '*.so*' -o -perm -u+x \) -not -regex "$DESKTOP_NATIVES" -exec ldd {} \; 2>/dev/null \
             | awk -v fs="$FS" '/=> \// && index($3, fs) != 1 { print $3 } /^\t\/lib64\// { print $1 }' | sort -u)
done
ln -sf ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$FS/usr/lib64/ld-linux-x86-64.so.2"
[[ -e "$FS/usr/lib/x86_64-linux-gnu/libelf.so.1" && -e "$FS/usr/lib/x86_64-linux-gnu/libz.so.1" ]] \
  || fail "libelf or zlib missing from the image's libraries"

cat > "$CTX/Containerfile" <<EOF2
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8
LABEL org.opencontainers.image.title="kiln" org.opencontainers.image.version="$VERSION" \\
      org.opencontainers.image.description="The Kiln node agent (kiln agent); see deploy/daemonset.yaml"
CMD ["kiln", "--help"]
EOF2

say "podman build -t $TAG ($(du -sh "$FS" | cut -f1) root file system)"
OLD_ID="$(podman image inspect --format '{{.Id}}' "$TAG" 2>/dev/null || true)"
podman build -q --no-cache -t "$TAG" -f "$CTX/Containerfile" "$CTX" >/dev/null
NEW_ID="$(podman image inspect --format '{{.Id}}' "$TAG")"
if [[ -n "$OLD_ID" && "$OLD_ID" != "$NEW_ID" ]]; then
  podman rmi "$OLD_ID" >/dev/null 2>&1 || true   # the previous build, now untagged (kept if a container uses it)
fi
mkdir -p "$(dirname "$OUT")"
rm -f "$OUT"
podman save -q --format oci-archive -o "$OUT" "$TAG"
say "built $TAG; OCI archive $OUT ($(du -h "$OUT" | cut -f1))"
