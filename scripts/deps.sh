#!/usr/bin/env bash
# Installs what lancepool needs and is missing: Debian packages through apt-get, and the pinned npm
# packages of the interop tests through `npm ci` from the committed lock file. Idempotent: a second run
# installs nothing. Nothing else is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."

debian_packages=(
  build-essential cmake pkg-config            # the build
  protobuf-c-compiler libprotobuf-c-dev       # manifests and file metadata are protobuf
  libzstd-dev liblz4-dev                      # general compression inside Lance pages
  libjansson-dev                              # JSON (CLI input, store metadata)
  libpcre2-dev                                # regular expressions of filters (regexp_like, ...)
  libroaring-dev                              # roaring-bitmap deletion files
  libicu-dev libstemmer-dev                   # full-text search: Unicode properties, Snowball stemmers
  libaprutil1-dev                             # apr_reslist, the pool benchmark's peer
  clang libclang-rt-14-dev                    # libFuzzer targets
  valgrind                                    # leak checks of the pool tests
  gnuplot-nox                                 # the benchmark chart
  libcurl4-openssl-dev libssl-dev libexpat1-dev  # S3 client: HTTP(S), SigV4 hashes, XML responses
  radosgw ceph-mon ceph-osd openssl iproute2 curl  # the throw-away S3 server of the s3 tests (scripts/rgw.sh)
)

missing=()
for pkg in "${debian_packages[@]}"; do
  [[ "$pkg" == \#* ]] && continue
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "deps: missing Debian packages: ${missing[*]}" >&2
    echo "deps: run as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "deps: Node.js 20 and npm are needed for the interop tests and peer benchmarks" >&2
  exit 1
fi

# npm ci only when the installed versions differ from the pins in the lock file.
node_dir=tests/interop/node
installed_version() { node -p "require('./$node_dir/node_modules/$1/package.json').version" 2>/dev/null || true; }
if [[ $(installed_version @lancedb/lancedb) != 0.31.0 || $(installed_version apache-arrow) != 18.1.0 ]]; then
  echo "deps: npm ci (pinned @lancedb/lancedb 0.31.0 and apache-arrow 18.1.0)"
  (cd $node_dir && npm ci --no-audit --no-fund --loglevel=error)
fi
