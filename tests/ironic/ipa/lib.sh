# Sourced by build-ramdisk and build-disk-image (not run on its own). Both hash this file
# into their cache key, so changing it rebuilds both.
# Everything here prints to stderr: the callers keep stdout for the one line they promise
# (the output directory).

ipa_prefix=${IRONICTEST_PREFIX:-/opt/labkit-test}
ipa_root=$ipa_prefix/ipa
# Downloads shared by both scripts (Debian packages, wheels), keyed by version.
ipa_cache=$ipa_root/cache
# The mirror the host's own apt sources name: on the test machines it is the only Debian
# archive that is reachable.
debian_mirror=http://deb.debian.org/debian
debian_suite=bookworm

log() { echo "$(basename "$0"): $*" >&2; }
die() { log "error: $*"; exit 1; }

# A fresh CI machine may never have run `apt-get update`; a developer's machine may have
# lists from weeks ago. Update at most once per run, and only when something is missing.
apt_updated=
apt_update_once() {
  [ -z "$apt_updated" ] || return 0
  log "apt-get update"
  apt-get update -qq >&2
  apt_updated=1
}

# need_host <command-or-absolute-path>:<package> ... : apt-installs the packages of the
# entries that are missing. A path is for files no command names (syslinux's mbr.bin).
need_host() {
  local entry what missing=()
  for entry in "$@"; do
    what=${entry%%:*}
    if [ "${what#/}" != "$what" ]; then [ -e "$what" ] && continue
    else command -v "$what" >/dev/null 2>&1 && continue; fi
    missing+=("${entry#*:}")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  apt_update_once
  log "apt-get install ${missing[*]}"
  # dpkg's progress is noise on success and the only clue on failure: keep it for the latter.
  local out
  out=$(DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" 2>&1) || { echo "$out" >&2; die "apt-get install ${missing[*]} failed"; }
}

# candidate_version <package>: what `apt-get download` would fetch, empty if apt knows none.
candidate_version() {
  apt-cache policy "$1" 2>/dev/null | awk '$1 == "Candidate:" && $2 != "(none)" {print $2}'
}

# resolve_kernel: sets kernel_abi (e.g. 6.1.0-56-amd64) and kernel_version (the package
# version). The ABI package is whatever bookworm's linux-image-amd64 points at today: older
# ones vanish from the security archive, so a pinned name would stop downloading.
resolve_kernel() {
  local dep try
  for try in 1 2; do
    dep=$(apt-cache depends linux-image-amd64 2>/dev/null \
          | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ {print $2; exit}')
    [ -n "$dep" ] && break
    [ "$try" = 2 ] || apt_update_once
  done
  [ -n "$dep" ] || die "apt knows no linux-image-amd64 (check /etc/apt/sources.list.d)"
  kernel_abi=${dep#linux-image-}
  kernel_version=$(candidate_version "$dep")
  [ -n "$kernel_version" ] || die "no candidate version for $dep"
}

# fetch_deb <package> <version>: prints the directory the package is extracted into
# ($ipa_cache/deb/<package>_<version>), downloading it the first time. Other versions of the
# same package are removed: only the current one is ever used again.
fetch_deb() {
  local pkg=$1 version=$2 dir tmp
  dir=$ipa_cache/deb/${pkg}_$version
  if [ ! -e "$dir/.complete" ]; then
    mkdir -p "$ipa_cache/deb" || return 1
    tmp=$(mktemp -d "$ipa_cache/deb/.fetch.XXXXXX") || return 1
    # Callers test this function's status, which turns `set -e` off inside it: every step
    # checks its own result. Stale package lists name versions the mirror has dropped, so a
    # failed download is reported (status 1) for the caller to update and retry.
    # APT::Sandbox::User=root: the _apt user cannot write into a root-only temp dir.
    if ! (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "$pkg=$version" >&2) \
       || ! dpkg-deb -x "$tmp"/*.deb "$tmp/root"; then
      rm -rf "$tmp"
      return 1
    fi
    rm -rf "$dir" && mv "$tmp/root" "$dir" && rm -rf "$tmp" && touch "$dir/.complete" || return 1
  fi
  find "$ipa_cache/deb" -mindepth 1 -maxdepth 1 -name "${pkg}_*" ! -name "${pkg}_$version" \
    -exec rm -rf {} + || return 1
  echo "$dir"
}

# fetch_kernel: sets kernel_dir, the extracted linux-image package for resolve_kernel's
# choice (boot/vmlinuz-<abi>, boot/config-<abi>, lib/modules/<abi> with modules.dep).
fetch_kernel() {
  if ! kernel_dir=$(fetch_deb "linux-image-$kernel_abi" "$kernel_version"); then
    [ -z "$apt_updated" ] || die "cannot download linux-image-$kernel_abi=$kernel_version"
    apt_update_once
    local old=$kernel_abi-$kernel_version
    resolve_kernel
    # A different kernel means a different cache key: the caller must start again.
    [ "$kernel_abi-$kernel_version" = "$old" ] \
      || die "kernel changed to $kernel_abi $kernel_version after apt-get update: run again"
    kernel_dir=$(fetch_deb "linux-image-$kernel_abi" "$kernel_version") \
      || die "cannot download linux-image-$kernel_abi=$kernel_version"
  fi
  # The package ships no modules.dep (its postinst runs depmod); the ramdisk's module list
  # is resolved against it.
  [ -s "$kernel_dir/lib/modules/$kernel_abi/modules.dep" ] || depmod -b "$kernel_dir" "$kernel_abi"
}

# inputs_hash <file>... -- <string>...: 16 hex digits over the files' contents and the
# strings; the cache key of an output directory.
inputs_hash() {
  local files=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do files+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  { sha256sum "${files[@]}" | cut -d' ' -f1; printf '%s\n' "$@"; } | sha256sum | cut -c1-16
}

# keep_only <dir> <regex>: removes every entry of $ipa_root whose name matches regex, except
# dir, so that one output of each kind stays on disk.
keep_only() {
  local keep=$1 regex=$2 d
  for d in "$ipa_root"/*; do
    [[ $(basename "$d") =~ $regex ]] && [ "$d" != "$keep" ] || continue
    log "removing old cache entry $d"
    rm -rf "$d"
  done
}

# take_build_lock: one build at a time under $ipa_root (both scripts share the package cache).
take_build_lock() {
  mkdir -p "$ipa_root"
  exec 9>"$ipa_root/.build.lock"
  flock 9
}
