#!/bin/sh
# Builds Docent's container image FROM scratch without pulling anything:
# the static binary from this machine's Go (tools/release), the CA
# certificates from this machine, then Dockerfile.scratch with buildah,
# podman or docker, whichever is here.
#
#   deploy/container/build.sh [VERSION]    (default: git describe)
set -eu
cd "$(dirname "$0")/../.."
version=${1:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
arch=$(go env GOARCH)
certs=${CA_CERTIFICATES:-/etc/ssl/certs/ca-certificates.crt}
[ -r "$certs" ] || { echo "build.sh: no CA certificates at $certs (Debian: apt-get install ca-certificates; or set CA_CERTIFICATES)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go run ./tools/release -version "$version" -targets "linux/$arch" -out "$work/dist"
mkdir "$work/context" "$work/context/data"
cp "$work/dist/docent_${version}_linux_${arch}" "$work/context/docent"
cp "$certs" "$work/context/ca-certificates.crt"

tag="docent:$version"
if command -v buildah >/dev/null 2>&1; then
  buildah build --layers=false -f deploy/container/Dockerfile.scratch -t "$tag" "$work/context"
elif command -v podman >/dev/null 2>&1; then
  podman build -f deploy/container/Dockerfile.scratch -t "$tag" "$work/context"
elif command -v docker >/dev/null 2>&1; then
  docker build -f deploy/container/Dockerfile.scratch -t "$tag" "$work/context"
else
  echo "build.sh: none of buildah, podman, docker is installed" >&2; exit 1
fi
echo "built $tag"
