# Every third-party version Lifeboat builds from, in one place.
# Sources come from Debian's archive only (bookworm); see build/fetch-source.sh and build/fetch-linux.sh.
DEBIAN_SUITE      := bookworm
BUSYBOX_PKG       := busybox
BUSYBOX_VERSION   := 1:1.35.0-4+deb12u1
DROPBEAR_PKG      := dropbear
DROPBEAR_VERSION  := 2022.83-1+deb12u3
# The agent's TLS client (docs/agent.md#why-bearssl)
BEARSSL_PKG       := bearssl
BEARSSL_VERSION   := 0.6+dfsg.1-3
LINUX_SOURCE_PKG  := linux-source-6.1
# The archive carries only the newest linux-source-6.1; a different one
# builds with a warning.
LINUX_SOURCE_VERSION := 6.1.192-2
# make FIRMWARE=1: firmware of the built-in NIC drivers, from bookworm's
# non-free-firmware component (binary packages; docs/building.md#the-image-writer-lifeboat-image)
FIRMWARE_VERSION  := 20230210-5
# promtool (make check: /metrics), unpacked from the package, not installed
PROMETHEUS_VERSION := 2.42.0+ds-5+deb12u1
FIRMWARE_PKGS     := firmware-bnx2 firmware-bnx2x firmware-misc-nonfree firmware-realtek
