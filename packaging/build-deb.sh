#!/bin/bash
# make deb: builds <out>/packet-relay_<version>_all.deb from the packaged jar with Debian's own dpkg-deb (no
# debhelper): jar, launcher, settings and routes as conffiles, /etc/default/packet-relay, the systemd units.
#   packaging/build-deb.sh <jar> <debian version> <JVM options of the launcher> <out folder>
set -euo pipefail
jar=$1 version=$2 jvm_opts=$3 out=$4
here=$(dirname "$(readlink -f "$0")")
top=$(dirname "$here")
stage=$out/deb
rm -rf "$stage"
mkdir -p "$stage/DEBIAN"

install -D -m 0644 "$jar" "$stage/usr/share/packet-relay/packet-relay.jar"
install -d -m 0755 "$stage/usr/bin" "$stage/etc/packet-relay/routes" "$stage/etc/default" \
    "$stage/usr/lib/systemd/system" "$stage/usr/share/doc/packet-relay"
sed "s|@JAVA_OPTS@|$jvm_opts|" "$here/packet-relay" > "$stage/usr/bin/packet-relay"
chmod 0755 "$stage/usr/bin/packet-relay"
# the project's settings with the spool in the services' state directory
sed 's|^relay\.logs-dir=.*|relay.logs-dir=/var/lib/packet-relay|' "$top/application.properties" \
    > "$stage/etc/packet-relay/application.properties"
grep -qx 'relay.logs-dir=/var/lib/packet-relay' "$stage/etc/packet-relay/application.properties" \
    || { echo "build-deb: no relay.logs-dir line in application.properties" >&2; exit 1; }
chmod 0644 "$stage/etc/packet-relay/application.properties"
install -m 0644 "$top"/routes/*.yaml "$stage/etc/packet-relay/routes/"
# root's only: it may hold tokens and passwords (systemd reads it as root)
sed "s|@JAVA_OPTS@|$jvm_opts|" "$here/default" > "$stage/etc/default/packet-relay"
chmod 0600 "$stage/etc/default/packet-relay"
install -m 0644 "$here"/systemd/*.service "$stage/usr/lib/systemd/system/"
install -m 0644 "$top/README.md" "$stage/usr/share/doc/packet-relay/README.md"

(cd "$stage" && find etc -type f | sort | sed 's|^|/|') > "$stage/DEBIAN/conffiles"
install -m 0755 "$here/postinst" "$here/prerm" "$here/postrm" "$stage/DEBIAN/"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@INSTALLED_SIZE@|$size|" "$here/control" > "$stage/DEBIAN/control"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/conffiles"

deb=$out/packet-relay_${version}_all.deb
# the jar is compressed already: gzip is as small as xz here and much faster
dpkg-deb --root-owner-group -Zgzip --build "$stage" "$deb" >/dev/null
echo "$deb"
