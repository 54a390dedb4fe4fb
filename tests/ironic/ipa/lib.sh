# shellcheck shell=bash
# Sourced by build-ramdisk and build-disk-image (not run on its own). Both hash this file
# into their cache key, so changing it rebuilds both.
# Everything here prints to stderr: the callers keep stdout for the one line they promise
# (the output directory).

ipa_prefix=${IRONICTEST_PREFIX:-/opt/labkit-test}
ipa_root=$ipa_prefix/ipa
# Downloads shared by both scripts (Debian packages, wheels), keyed by version.
ipa_cache=$ipa_root/cache
# The mirror the host's own apt sources name: on the test machines it is the only Debian
# archive that is reachable. (Used by the callers.)
# shellcheck disable=SC2034
debian_mirror=http://deb.debian.org/debian
# shellcheck disable=SC2034
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

# fetch_deb <package> <version>: sets deb_dir to the directory the package is extracted
# into ($ipa_cache/deb/<package>_<version>), downloading it the first time; status 1 if the
# download fails. Other versions of the package are removed: only this one is used again.
fetch_deb() {
  local pkg=$1 version=$2 tmp
  deb_dir=$ipa_cache/deb/${pkg}_$version
  if [ ! -e "$deb_dir/.complete" ]; then
    mkdir -p "$ipa_cache/deb" || return 1
    tmp=$(mktemp -d "$ipa_cache/deb/.fetch.XXXXXX") || return 1
    # Callers test this function's status, which turns `set -e` off inside it: every step
    # checks its own result.
    # APT::Sandbox::User=root: the _apt user cannot write into a root-only temp dir.
    if ! (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "$pkg=$version" >&2) \
       || ! dpkg-deb -x "$tmp"/*.deb "$tmp/root"; then
      rm -rf "$tmp"
      return 1
    fi
    rm -rf "$deb_dir" && mv "$tmp/root" "$deb_dir" && rm -rf "$tmp" && touch "$deb_dir/.complete" \
      || return 1
  fi
  find "$ipa_cache/deb" -mindepth 1 -maxdepth 1 -name "${pkg}_*" ! -name "${pkg}_$version" \
    -exec rm -rf {} + || return 1
}

# fetch_pkg <package> <version>: fetch_deb, for the calling script's main shell. Package
# lists older than the mirror name versions it has already dropped: then update them and
# start the script again from the top, since its cache key holds the versions. Call it
# before making anything that an exec would leave behind.
fetch_pkg() {
  fetch_deb "$1" "$2" && return 0
  [ -z "${LABKIT_IPA_REFETCHED:-}" ] || die "cannot download $1=$2 from the mirror"
  log "cannot download $1=$2: updating the package lists and starting again"
  apt_update_once
  LABKIT_IPA_REFETCHED=1 exec "$ipa_script"
}
ipa_script=$(readlink -f "$0")

# fetch_kernel: sets kernel_dir, the extracted linux-image package for resolve_kernel's
# choice (boot/vmlinuz-<abi>, boot/config-<abi>, lib/modules/<abi> with modules.dep).
fetch_kernel() {
  fetch_pkg "linux-image-$kernel_abi" "$kernel_version"
  kernel_dir=$deb_dir
  # fetch_deb drops other versions of one package; an older ABI is another package name.
  find "$ipa_cache/deb" -mindepth 1 -maxdepth 1 -name 'linux-image-*' ! -path "$kernel_dir" \
    -exec rm -rf {} +
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
# Holding it, no other build is running, so any .build-*/.fetch.* directory is a leftover of a
# killed one: remove it (after unmounting what debootstrap may have left mounted in it).
take_build_lock() {
  mkdir -p "$ipa_root"
  exec 9>"$ipa_root/.build.lock"
  flock 9
  local d
  for d in "$ipa_root"/.build-* "$ipa_cache"/deb/.fetch.*; do
    [ -d "$d" ] || continue
    log "removing $d, left by an interrupted build"
    unmount_under "$d"
    rm -rf "$d"
  done
}

# unmount_under <dir>: unmounts everything mounted below dir, deepest first, so that an
# rm -rf of dir never reaches into /proc or /sys.
unmount_under() {
  awk -v d="$1/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do
    umount -l "$m" || true
  done
}
