#!/usr/bin/env bash
# Build NetDashboard's built-in guest image: a Debian kernel plus a busybox
# initramfs (guest/ in this repository, the NIC drivers, busybox-static).
#
#   sudo scripts/build-guest-image.sh
#
# Output (never committed): ${NETDASH_GUEST_DIR:-/var/cache/netdashboard/guest}
#   vmlinuz     the kernel of Debian's generic amd64 flavour (bzImage)
#   vmlinux     the same kernel uncompressed (ELF with a PVH entry point);
#               "-kernel vmlinux" boots ~2.5-4 s faster under TCG, where
#               un-xz-ing the bzImage is the slowest part of the whole boot.
#               Only missing if it cannot be extracted (then use vmlinuz).
#   initrd.gz   gzip'ed newc cpio: busybox, NIC modules, guest/ files
#   VERSION     key=value lines; "stamp=" hashes every input of the build
# Re-running is cheap: when VERSION's stamp matches the inputs (this script,
# guest/, the kernel package version, the busybox-static version), nothing is
# rebuilt. Set NETDASH_GUEST_FORCE=1 to rebuild anyway, and
# NETDASH_GUEST_KERNEL_PKG=linux-image-X-amd64 to pin another kernel package.
# Needs root, apt and the Debian mirrors (only when something must be fetched).
set -euo pipefail

OUT=${NETDASH_GUEST_DIR:-/var/cache/netdashboard/guest}
SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
REPO=$(cd "$(dirname "$SCRIPT")/.." && pwd)
GUEST_SRC=$REPO/guest
# The NIC modules the image carries (as /lib/modules/<release>/<name>.ko; no
# depmod/modprobe: guest/init insmods them in dependency order). virtio_net
# needs net_failover, failover and the virtio core and PCI transport, which
# are modules too in Debian's kernel; e1000 needs nothing.
# The display modules give the VGA screen a console when the kernel is booted
# as vmlinux (PVH entry), which hands the kernel no text-mode screen: bochs DRM
# (QEMU's -vga std) with fbcon shows tty1, loaded in the background by /init.
MODULES=(failover net_failover virtio_ring virtio virtio_pci_modern_dev
         virtio_pci_legacy_dev virtio_pci virtio_net e1000
         drm drm_kms_helper ttm drm_ttm_helper drm_vram_helper bochs)

export DEBIAN_FRONTEND=noninteractive LC_ALL=C

log() { echo "build-guest-image: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"
[ -x "$GUEST_SRC/init" ] && [ -x "$GUEST_SRC/agent" ] || die "missing $GUEST_SRC/init or agent"
for tool in apt-get apt-cache dpkg-deb dpkg-query cpio gzip sha256sum flock; do
  command -v "$tool" >/dev/null || die "missing tool: $tool"
done

APT_UPDATED=0
apt_update_once() {
  if [ "$APT_UPDATED" = 0 ]; then
    log "apt-get update"
    apt-get update -qq </dev/null >&2
    APT_UPDATED=1
  fi
}

# --- busybox-static (/bin/busybox is the static binary from that package) ----
busybox_version() { dpkg-query -W -f='${db:Status-Status} ${Version}' busybox-static 2>/dev/null | awk '$1=="installed"{print $2}'; }
if [ -z "$(busybox_version)" ]; then
  log "installing busybox-static"
  apt-get install -y -q --no-install-recommends busybox-static </dev/null >&2 \
    || { apt_update_once; apt-get install -y -q --no-install-recommends busybox-static </dev/null >&2; }
fi
BB_VERSION=$(busybox_version)
[ -n "$BB_VERSION" ] || die "busybox-static is not installed"
BUSYBOX=/bin/busybox
[ "$(dpkg-query -S "$BUSYBOX" 2>/dev/null | cut -d: -f1)" = busybox-static ] || die "$BUSYBOX does not come from busybox-static"

# --- kernel package: the versioned generic flavour linux-image-amd64 depends on
resolve_kernel_pkg() {
  apt-cache depends linux-image-amd64 2>/dev/null \
    | awk '$1 ~ /Depends:$/ && $2 ~ /^linux-image-[0-9]+\.[0-9]+\.[0-9]+-[0-9]+-amd64$/ {print $2; exit}'
}
KPKG=${NETDASH_GUEST_KERNEL_PKG:-}
if [ -z "$KPKG" ]; then
  KPKG=$(resolve_kernel_pkg)
  [ -n "$KPKG" ] || { apt_update_once; KPKG=$(resolve_kernel_pkg); }
  [ -n "$KPKG" ] || die "cannot resolve the kernel package from 'apt-cache depends linux-image-amd64'"
fi
case "$KPKG" in *-cloud-amd64|*-rt-amd64) die "$KPKG: use the generic flavour (the cloud one has no e1000)";; esac
kernel_pkg_version() { apt-cache show --no-all-versions "$KPKG" 2>/dev/null | awk '/^Version:/{print $2; exit}'; }
KPKG_VERSION=$(kernel_pkg_version)
[ -n "$KPKG_VERSION" ] || { apt_update_once; KPKG_VERSION=$(kernel_pkg_version); }
[ -n "$KPKG_VERSION" ] || die "apt knows no version of $KPKG"

# --- stamp: everything the image is made of -----------------------------------
guest_files() { (cd "$GUEST_SRC" && find . -type f ! -name README.md -print0 | sort -z); }
STAMP=$(
  {
    sha256sum < "$SCRIPT"
    (cd "$GUEST_SRC" && guest_files | xargs -0 -r stat -c '%n %a' && guest_files | xargs -0 -r sha256sum)
    echo "kernel $KPKG $KPKG_VERSION"
    echo "busybox-static $BB_VERSION"
  } | sha256sum | cut -d' ' -f1
)

mkdir -p "$OUT"
exec 9>"$OUT/.build.lock"
flock -w 900 9 || die "another build holds $OUT/.build.lock"

if [ "${NETDASH_GUEST_FORCE:-0}" != 1 ] && [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initrd.gz" ] \
   && [ -f "$OUT/VERSION" ] && grep -qx "stamp=$STAMP" "$OUT/VERSION" \
   && { grep -qx "vmlinux=no" "$OUT/VERSION" || [ -s "$OUT/vmlinux" ]; }; then
  log "up to date: $OUT ($KPKG $KPKG_VERSION, busybox $BB_VERSION)"
  exit 0
fi

WORK=$(mktemp -d /tmp/netdash-guest-build.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
chmod 755 "$WORK"
mkdir "$WORK/deb"
chown _apt "$WORK/deb" 2>/dev/null || true   # lets apt download sandboxed

log "downloading $KPKG=$KPKG_VERSION"
(cd "$WORK/deb" && apt-get download -q "$KPKG=$KPKG_VERSION" </dev/null >&2) \
  || { apt_update_once; (cd "$WORK/deb" && apt-get download -q "$KPKG=$KPKG_VERSION" </dev/null >&2); }
DEB=$(find "$WORK/deb" -maxdepth 1 -name '*.deb' | head -n1)
[ -n "$DEB" ] || die "apt-get download produced no .deb"

log "unpacking $(basename "$DEB")"
K=$WORK/kernel
dpkg-deb -x "$DEB" "$K"
VMLINUZ=$(find "$K/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n1)
[ -n "$VMLINUZ" ] || die "no /boot/vmlinuz-* in $KPKG"
KREL=${VMLINUZ##*/vmlinuz-}
[ -d "$K/lib/modules/$KREL" ] || die "no /lib/modules/$KREL in $KPKG"

# bzImage -> uncompressed ELF vmlinux: find the compressed payload by its
# magic and decompress it (what the kernel's scripts/extract-vmlinux does).
extract_vmlinux() {
  local img=$1 out=$2 fmt magic off
  local -a dec
  for fmt in xz zstd gzip; do
    case $fmt in
      xz)   magic='\xfd7zXZ\x00'
            if command -v xz >/dev/null; then dec=(xz -dc --single-stream); else dec=("$BUSYBOX" xzcat); fi ;;
      zstd) magic='\x28\xb5\x2f\xfd'; dec=(zstd -dcq) ;;
      gzip) magic='\x1f\x8b\x08'; dec=(gzip -dc) ;;
    esac
    command -v "${dec[0]}" >/dev/null || continue
    for off in $(grep -obUaP "$magic" "$img" | cut -d: -f1 | head -n 5); do
      tail -c +$((off + 1)) "$img" | "${dec[@]}" > "$out" 2>/dev/null || true
      [ "$(head -c 4 "$out" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
      # The PVH entry note (Xen note type 0x12) is what QEMU boots an ELF by.
      if command -v readelf >/dev/null && ! readelf -n "$out" 2>/dev/null | grep -q '0x00000012'; then
        continue
      fi
      return 0
    done
  done
  rm -f "$out"
  return 1
}
VMLINUX=
if extract_vmlinux "$VMLINUZ" "$WORK/vmlinux"; then
  VMLINUX=$WORK/vmlinux
else
  log "warning: cannot extract an uncompressed PVH vmlinux; only vmlinuz is built"
fi

# --- initramfs tree ------------------------------------------------------------
R=$WORK/root
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,root,var/log,"lib/modules/$KREL"}
chmod 1777 "$R/tmp"
chmod 700 "$R/root"
install -m 755 "$BUSYBOX" "$R/bin/busybox"
"$R/bin/busybox" --list-full | while read -r applet; do
  [ "$applet" = bin/busybox ] || ln -sf /bin/busybox "$R/$applet"
done
[ -e "$R/bin/sh" ] || die "busybox has no sh applet"

for m in "${MODULES[@]}"; do
  src=$(find "$K/lib/modules/$KREL" -type f \( -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" -o -name "$m.ko.gz" \) | head -n1)
  [ -n "$src" ] || die "module $m not found in $KPKG"
  dst=$R/lib/modules/$KREL/$m.ko
  case "$src" in   # busybox insmod loads only uncompressed modules
    *.ko)     cp "$src" "$dst" ;;
    *.ko.xz)  xz -dc "$src" > "$dst" 2>/dev/null || "$BUSYBOX" xzcat "$src" > "$dst" ;;
    *.ko.gz)  gzip -dc "$src" > "$dst" ;;
    *.ko.zst) command -v zstd >/dev/null || apt-get install -y -q zstd </dev/null >&2
              zstd -q -dc "$src" > "$dst" ;;
  esac
  chmod 644 "$dst"
done

# The repository's guest/ tree is the root of the image (README.md aside).
cp -R --no-preserve=ownership "$GUEST_SRC/." "$R/"
rm -f "$R/README.md"
chmod 755 "$R/init" "$R/agent"
chmod 755 "$R/sbin/netdash-shell"
# The kernel opens /dev/console before running /init.
mknod -m 600 "$R/dev/console" c 5 1
mknod -m 666 "$R/dev/null" c 1 3

log "packing initramfs"
(cd "$R" && find . -print0 | sort -z | cpio --null -o -H newc -R 0:0 --reproducible --quiet) \
  | gzip -9 -n > "$WORK/initrd.gz"

# --- install: VERSION goes last, so a half-installed image is never "up to date"
rm -f "$OUT/VERSION"
install -m 644 "$VMLINUZ" "$OUT/.vmlinuz.new" && mv -f "$OUT/.vmlinuz.new" "$OUT/vmlinuz"
install -m 644 "$WORK/initrd.gz" "$OUT/.initrd.gz.new" && mv -f "$OUT/.initrd.gz.new" "$OUT/initrd.gz"
if [ -n "$VMLINUX" ]; then
  install -m 644 "$VMLINUX" "$OUT/.vmlinux.new" && mv -f "$OUT/.vmlinux.new" "$OUT/vmlinux"
else
  rm -f "$OUT/vmlinux"
fi
cat > "$OUT/.VERSION.new" <<VERSION
stamp=$STAMP
kernel_package=$KPKG
kernel_package_version=$KPKG_VERSION
kernel_release=$KREL
busybox_static_version=$BB_VERSION
modules=${MODULES[*]}
vmlinux=$([ -n "$VMLINUX" ] && echo yes || echo no)
built=$(date -u +%Y-%m-%dT%H:%M:%SZ)
VERSION
mv -f "$OUT/.VERSION.new" "$OUT/VERSION"
log "built $OUT: vmlinuz $(stat -c %s "$OUT/vmlinuz") bytes,${VMLINUX:+ vmlinux $(stat -c %s "$OUT/vmlinux") bytes,} initrd.gz $(stat -c %s "$OUT/initrd.gz") bytes (kernel $KREL)"
