#!/usr/bin/env bash
# Build the ibviz .deb for lab machines: a PyInstaller one-folder bundle under /opt/ibviz,
# wrapped with dpkg-deb.
#
#   bash packaging/build-deb.sh [--out DIR] [--lintian]
#
# Writes DIR/ibviz_<version>-<revision>_<arch>.deb (DIR defaults to packaging/out/, which
# git ignores) and prints its path as the last line. PyInstaller's build/ and dist/ go to
# a scratch directory that is removed on every exit path: the checkout is not touched.
# Needs: python3 with the project's dependencies and pyinstaller (pip install -e ".[test]"),
# dpkg-deb and dpkg-shlibdeps (dpkg-dev), and the system libraries the bundle links
# (tests/setup-and-run.sh installs them). --lintian also runs lintian on the result.
#
# Environment: PYTHON (default python3), DEB_REVISION (default 1), DEBFULLNAME/DEBEMAIL
# (the Maintainer; default: the author of the checkout's last commit), SOURCE_DATE_EPOCH
# (default: the last commit's time; dates in the changelog, man page and metainfo).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HERE="$REPO/packaging"
OUT="$HERE/out"
RUN_LINTIAN=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$2; shift 2 ;;
    --lintian) RUN_LINTIAN=1; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "build-deb.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

PYTHON=${PYTHON:-python3}
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"  # this checkout's ibviz, not an installed one
for tool in dpkg-deb dpkg-shlibdeps patchelf strip readelf; do
  command -v "$tool" >/dev/null || { echo "build-deb.sh: $tool not found (apt-get install dpkg-dev patchelf binutils)" >&2; exit 1; }
done
"$PYTHON" -c "import PyInstaller" 2>/dev/null \
  || { echo "build-deb.sh: PyInstaller missing (pip install -e '.[test]')" >&2; exit 1; }

VERSION=$("$PYTHON" -c 'import tomllib; print(tomllib.load(open("'"$REPO"'/pyproject.toml", "rb"))["project"]["version"])')
DEB_VERSION="$VERSION-${DEB_REVISION:-1}"
ARCH=$(dpkg --print-architecture)
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git -C "$REPO" log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH
if [ -n "${DEBEMAIL:-}" ]; then
  MAINTAINER="${DEBFULLNAME:-ibviz developers} <$DEBEMAIL>"
else
  MAINTAINER=$(git -C "$REPO" log -1 --format='%an <%ae>' 2>/dev/null || true)
  [ -n "$MAINTAINER" ] || { echo "build-deb.sh: set DEBEMAIL (and DEBFULLNAME)" >&2; exit 1; }
fi

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/ibviz-deb.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
ROOT="$SCRATCH/debian/ibviz"  # dpkg-shlibdeps knows files under debian/<package> as ours

echo "==> [${SECONDS}s] PyInstaller bundle ($("$PYTHON" -m PyInstaller --version))" >&2
"$PYTHON" -m PyInstaller --noconfirm --log-level WARN --distpath "$SCRATCH/dist" \
  --workpath "$SCRATCH/build" "$HERE/ibviz.spec" 2> "$SCRATCH/pyinstaller.log" \
  || { tail -40 "$SCRATCH/pyinstaller.log" >&2; exit 1; }
reported=$("$SCRATCH/dist/ibviz/ibviz" --version)
[ "$reported" = "ibviz $VERSION" ] \
  || { echo "build-deb.sh: bundle says '$reported', pyproject.toml says $VERSION" >&2; exit 1; }

echo "==> [${SECONDS}s] staging $DEB_VERSION ($ARCH)" >&2
install -d "$ROOT/opt" "$ROOT/usr/bin" "$ROOT/usr/share/applications" \
  "$ROOT/usr/share/metainfo" "$ROOT/usr/share/man/man1" "$ROOT/usr/share/doc/ibviz" \
  "$ROOT/usr/share/lintian/overrides" "$ROOT/usr/share/icons/hicolor/scalable/apps" "$ROOT/DEBIAN"
mv "$SCRATCH/dist/ibviz" "$ROOT/opt/ibviz"
ln -s /opt/ibviz/ibviz "$ROOT/usr/bin/ibviz"  # other top-level directory: absolute (policy 10.5)
install -m 0644 "$HERE/ibviz.desktop" "$ROOT/usr/share/applications/ibviz.desktop"
install -m 0644 "$REPO/resources/icons/ibviz.svg" "$ROOT/usr/share/icons/hicolor/scalable/apps/ibviz.svg"
QT_QPA_PLATFORM=offscreen "$PYTHON" "$HERE/render_icons.py" "$REPO/resources/icons/ibviz.svg" \
  "$ROOT/usr/share/icons/hicolor" >/dev/null
DATE=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
sed -e "s/@VERSION@/$VERSION/" -e "s/@DATE@/$DATE/" "$HERE/io.github.ibviz.metainfo.xml.in" \
  > "$ROOT/usr/share/metainfo/io.github.ibviz.metainfo.xml"
"$PYTHON" "$HERE/make_manpage.py" "$SCRATCH/ibviz.1" --date "$DATE"
gzip -9n < "$SCRATCH/ibviz.1" > "$ROOT/usr/share/man/man1/ibviz.1.gz"
install -m 0644 "$HERE/copyright" "$ROOT/usr/share/doc/ibviz/copyright"
install -m 0644 "$HERE/lintian-overrides" "$ROOT/usr/share/lintian/overrides/ibviz"
{
  echo "ibviz ($DEB_VERSION) unstable; urgency=medium"
  echo
  echo "  * Package ibviz $VERSION: PyInstaller bundle in /opt/ibviz, built by"
  echo "    packaging/build-deb.sh; the changes are in the project's history."
  echo
  echo " -- $MAINTAINER  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n > "$ROOT/usr/share/doc/ibviz/changelog.Debian.gz"

# Fix up the bundle's ELF files:
# - Python built from source (pyenv) records its build directory as RUNPATH: drop such
#   absolute entries, keep $ORIGIN-relative ones (the Qt libraries are found through them);
# - strip the files that still carry a symbol table, as dh_strip would, except those in
#   auditwheel's *.libs/ directories, which binutils' strip breaks ("ELF load command
#   address/offset not page-aligned").
while IFS= read -r -d '' elf; do
  rpath=$(patchelf --print-rpath "$elf" 2>/dev/null) || continue
  kept=$(tr ':' '\n' <<< "$rpath" | grep '^\$ORIGIN' | paste -sd: || true)
  if [ "$kept" != "$rpath" ]; then
    if [ -n "$kept" ]; then patchelf --set-rpath "$kept" "$elf"; else patchelf --remove-rpath "$elf"; fi
  fi
  if [[ "$elf" != *.libs/* && "$(readelf -S "$elf")" == *.symtab* ]]; then
    strip --strip-unneeded --remove-section=.comment --remove-section=.note "$elf"
  fi
done < <(find "$ROOT/opt/ibviz" -type f \( -name '*.so' -o -name '*.so.*' \) -print0)
# Smoke test after the fix-ups: the CLI loads numpy and networkx for this.
"$ROOT/opt/ibviz/ibviz" topo info fig10 > "$SCRATCH/smoke.txt" 2>&1 \
  || { cat "$SCRATCH/smoke.txt" >&2; echo "build-deb.sh: the fixed-up bundle fails" >&2; exit 1; }

# Debian policy modes: directories 0755, files 0644, the bootloader executable 0755.
find "$ROOT" -type d -exec chmod 0755 {} +
find "$ROOT" -type f -exec chmod 0644 {} +
chmod 0755 "$ROOT/opt/ibviz/ibviz"

echo "==> [${SECONDS}s] Depends (dpkg-shlibdeps)" >&2
mapfile -t elf_files < <(find "$ROOT/opt/ibviz" -type f \( -name '*.so' -o -name '*.so.*' \) ; echo "$ROOT/opt/ibviz/ibviz")
mapfile -t lib_dirs < <(find "$ROOT/opt/ibviz" -type f \( -name '*.so' -o -name '*.so.*' \) -printf '%h\n' | sort -u)
printf 'Source: ibviz\n\nPackage: ibviz\nArchitecture: any\n' > "$SCRATCH/debian/control"
(cd "$SCRATCH" && dpkg-shlibdeps -O --warnings=1 "${lib_dirs[@]/#/-l}" "${elf_files[@]}") \
  > "$SCRATCH/shlibs" 2> "$SCRATCH/shlibdeps.log" || { cat "$SCRATCH/shlibdeps.log" >&2; exit 1; }
DEPENDS=$(sed -n 's/^shlibs:Depends=//p' "$SCRATCH/shlibs")

(cd "$ROOT" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z \
  | xargs -0 md5sum) > "$ROOT/DEBIAN/md5sums"
chmod 0644 "$ROOT/DEBIAN/md5sums"
INSTALLED_SIZE=$(du -sk --apparent-size "$ROOT" | cut -f1)
cat > "$ROOT/DEBIAN/control" <<EOF
Package: ibviz
Version: $DEB_VERSION
Architecture: $ARCH
Maintainer: $MAINTAINER
Installed-Size: $INSTALLED_SIZE
Depends: $DEPENDS
Recommends: opensm, ibsim-utils, infiniband-diags
Section: net
Priority: optional
Description: InfiniBand multicast failover visualizer
 ibviz draws an InfiniBand subnet live (switches, channel adapters, ports,
 links, LIDs, multicast groups and forwarding tables) and shows how multicast
 traffic keeps flowing when a node fails: MLID reassignment, remapping of a
 switch's DefaultMulticastPrimaryPort, and the prior-art LMC takeover.
 .
 This package is a self-contained bundle (Python, Qt and the libraries ibviz
 uses) installed in /opt/ibviz. The recommended packages provide the lab
 backend: the real OpenSM on a simulated fabric (ibsim) and the InfiniBand
 diagnostic tools.
EOF
chmod 0644 "$ROOT/DEBIAN/control"

mkdir -p "$OUT"
DEB="$OUT/ibviz_${DEB_VERSION}_${ARCH}.deb"
echo "==> [${SECONDS}s] dpkg-deb --build" >&2
dpkg-deb --root-owner-group -Zxz --build "$ROOT" "$DEB" >&2
if [ "$RUN_LINTIAN" = 1 ]; then
  echo "==> [${SECONDS}s] lintian" >&2
  lintian --info --display-info --fail-on error "$DEB" >&2
fi
echo "$DEB"
