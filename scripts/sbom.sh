#!/usr/bin/env bash
# The image's software bill of materials: CycloneDX 1.5 JSON listing every crate compiled into the binary (name,
# version, purl, licence, Cargo.lock checksum, dependency graph), generated from Cargo.lock by scripts/deps.py and
# checked against it (scripts/deps.py sbom-check) before it is stored.
#
#   scripts/sbom.sh generate OUT [IMAGE]     write the SBOM to OUT (IMAGE, e.g. repo@sha256:..., is recorded in it)
#   scripts/sbom.sh push IMAGE_TAGGED DIGEST  deploy.sh: push the SBOM beside the image, as IMAGE_TAGGED.sbom (a
#                                             one-file FROM-scratch image holding /sbom.cdx.json) in the same
#                                             repository, and keep a copy in $RR_SBOM_DIR (default target/sbom/)
#
# Reading one back (any machine that can pull from the repository):
#   docker create --name rr-sbom REPO:TAG.sbom /none && docker cp rr-sbom:/sbom.cdx.json . && docker rm rr-sbom
# The SBOM image's labels name the image it describes (ritualroast.sbom.subject = repo@digest).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

generate() { # out, [image]
  local out=$1 image=${2:-}
  python3 "$ROOT/scripts/deps.py" sbom --out "$out" ${image:+--image "$image"}
  python3 "$ROOT/scripts/deps.py" sbom-check "$out"
}

case ${1:-} in
  generate)
    [ $# -ge 2 ] || { echo "usage: $0 generate OUT [IMAGE]" >&2; exit 2; }
    generate "$2" "${3:-}"
    ;;
  push)
    [ $# -eq 3 ] || { echo "usage: $0 push IMAGE_TAGGED DIGEST" >&2; exit 2; }
    tagged=$2 digest=$3
    repo=${tagged%:*} tag=${tagged##*:}
    ctx=$(mktemp -d "${TMPDIR:-/tmp}/rr-sbom.XXXXXX")
    trap 'rm -rf "$ctx"' EXIT
    generate "$ctx/sbom.cdx.json" "$repo@$digest"
    printf 'FROM scratch\nCOPY sbom.cdx.json /sbom.cdx.json\n' >"$ctx/Dockerfile"
    docker build -q -f "$ctx/Dockerfile" \
      --label org.opencontainers.image.title=ritual-roast-sbom \
      --label "org.opencontainers.image.description=CycloneDX SBOM (/sbom.cdx.json) of $repo@$digest" \
      --label "ritualroast.sbom.subject=$repo@$digest" \
      -t "$tagged.sbom" "$ctx" >/dev/null
    docker push -q "$tagged.sbom"
    keep=${RR_SBOM_DIR:-$ROOT/target/sbom}
    mkdir -p "$keep"
    cp "$ctx/sbom.cdx.json" "$keep/ritual-roast-$tag.cdx.json"
    echo "  SBOM: $tagged.sbom (pushed), copy in $keep/ritual-roast-$tag.cdx.json"
    ;;
  *)
    echo "usage: $0 generate OUT [IMAGE] | push IMAGE_TAGGED DIGEST" >&2
    exit 2
    ;;
esac
