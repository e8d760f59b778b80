# Lifeboat: `make` builds everything into out/, `make check` runs all tests.
# V=1 shows every command. See README.md.

include build/versions.mk

OUT      ?= out
B        := $(OUT)/build
CACHE    ?= $(HOME)/.cache/lifeboat
JOBS     ?= $(shell nproc)
KEYS     ?=
CA       ?=
# Kernel profiles: make KERNEL_PROFILE=qemu|server (kernel-config/*.config)
KERNEL_PROFILE ?= server
KERNEL_PROFILES := qemu server
ifeq ($(filter $(KERNEL_PROFILE),$(KERNEL_PROFILES)),)
$(error KERNEL_PROFILE=$(KERNEL_PROFILE) is not one of: $(KERNEL_PROFILES))
endif
FRAGMENTS_qemu := kernel-config/base.config kernel-config/qemu.config
FRAGMENTS_server := $(FRAGMENTS_qemu) kernel-config/server.config
KERNEL_FRAGMENTS := $(FRAGMENTS_$(KERNEL_PROFILE))
KOBJ := $(B)/linux-$(KERNEL_PROFILE)
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 1767225600)
LIFEBOAT_VERSION  ?= $(shell git describe --always --dirty 2>/dev/null || echo unknown)
PYTEST   ?= /usr/bin/python3 -m pytest
export V SOURCE_DATE_EPOCH

# $(call write-stamp,TEXT): a stamp rule's recipe. $@ is rewritten only when
# TEXT differs from what it holds, so what depends on it is made again then.
define write-stamp
$(Q)mkdir -p $(dir $@)
$(Q)echo "$(1)" | cmp -s - $@ 2>/dev/null || echo "$(1)" > $@
endef

ifeq ($(V),1)
Q :=
else
Q := @
MAKEFLAGS += --no-print-directory
endif

BUSYBOX_SRC  := $(CACHE)/src/$(BUSYBOX_PKG)-$(subst :,_,$(BUSYBOX_VERSION))
DROPBEAR_SRC := $(CACHE)/src/$(DROPBEAR_PKG)-$(subst :,_,$(DROPBEAR_VERSION))
BEARSSL_SRC  := $(CACHE)/src/$(BEARSSL_PKG)-$(subst :,_,$(BEARSSL_VERSION))
# Known only once linux-source is installed: the payload is built by a
# sub-make that runs after `deps`.
LINUX_PKGVER := $(shell dpkg-query -W -f='$${Version}' $(LINUX_SOURCE_PKG) 2>/dev/null)
LINUX_SRC    := $(CACHE)/src/linux-$(LINUX_PKGVER)

MUSL_INC  := $(B)/musl-include
BUSYBOX   := $(B)/busybox/busybox.stripped
DROPBEAR  := $(B)/dropbear/dropbearmulti.stripped
BEARSSL   := $(B)/bearssl/build/libbearssl.a
BEARSSL_HOST := $(B)/bearssl-host/build/libbearssl.a
AGENT     := $(B)/agent/init
KBUILD_ENV := KBUILD_BUILD_TIMESTAMP="$(shell date -u -d @$(SOURCE_DATE_EPOCH) 2>/dev/null)" \
	KBUILD_BUILD_USER=lifeboat KBUILD_BUILD_HOST=lifeboat
# The kernel's objects are cached across clones and `make clean` with
# Debian's ccache under the cache directory: paths below this tree are
# hashed relative to it (CCACHE_BASEDIR, no working directory), the sources
# in $(CACHE)/src are the same path in every clone. CCACHE= turns it off.
CCACHE ?= $(shell command -v ccache 2>/dev/null)
export CCACHE_DIR ?= $(CACHE)/ccache
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1
KBUILD_CC := $(if $(CCACHE),CC="$(CCACHE) gcc")


.PHONY: bench bench-peer bench-deps
.PHONY: all deps payload server tsan ca deb check version-check unit-test fuzz repro-check test-images image-cli-test qemu-test run demo iso netiso rom sign clean distclean install help layer-check doc-check
.DELETE_ON_ERROR:

all: deps
	$(Q)$(MAKE) payload

help:
	@echo "make            install missing Debian packages, fetch sources, build into $(OUT)/"
	@echo "make check      unit tests and QEMU end-to-end tests"
	@echo "make run        boot the payload in QEMU on this terminal"
	@echo "make demo       lifeboatd + a VM through the stock iPXE ROM, then ssh with a checked host key"
	@echo "make iso        out/lifeboat.iso: BIOS+UEFI, CD and USB (ISO_ARGS=, ISO_IP=)"
	@echo "make netiso SERVER=http://host:port   out/lifeboat-net.iso (BIOS, fetches from lifeboatd)"
	@echo "make bench      benchmarks vs Debian's dropbear-initramfs: table + bench/results.md"
	@echo "make bench-peer build that peer once (debootstrap, cached in $(CACHE)/bench-peer)"
	@echo "make install DESTDIR=... PREFIX=/usr/local"
	@echo "make deb        a Debian package (debhelper, lintian-checked) into $(OUT)/deb/"
	@echo "make doc-check  the man pages name every config key, command, option, kernel argument; doc links resolve"
	@echo "make clean      remove $(OUT)/ (downloads stay in $(CACHE))"
	@echo "options: V=1 KEYS=authorized_keys CA=ca.crt PROFILE=rescue|minimal KERNEL_PROFILE=server|qemu JOBS=n CACHE=dir LZMA=1 FIRMWARE=1"

deps: $(B)/.deps-ok

$(B)/.deps-ok: build/deps.txt build/deps.sh
	$(Q)DEBIAN_SUITE=$(DEBIAN_SUITE) sh build/deps.sh
	$(Q)mkdir -p $(B) && touch $@

payload: $(OUT)/bzImage $(OUT)/initramfs.cpio.xz $(if $(LZMA),$(OUT)/initramfs.cpio.lzma) $(OUT)/rescue.ipxe \
	$(OUT)/lifeboat-media.iso server

# ---- sources (cached outside out/) -----------------------------------------
$(BUSYBOX_SRC)/.lifeboat-ok:
	$(Q)sh build/fetch-source.sh $(CACHE) $(BUSYBOX_PKG) $(BUSYBOX_VERSION)
$(DROPBEAR_SRC)/.lifeboat-ok:
	$(Q)sh build/fetch-source.sh $(CACHE) $(DROPBEAR_PKG) $(DROPBEAR_VERSION)
$(BEARSSL_SRC)/.lifeboat-ok:
	$(Q)sh build/fetch-source.sh $(CACHE) $(BEARSSL_PKG) $(BEARSSL_VERSION)
$(LINUX_SRC)/.lifeboat-ok:
	$(Q)sh build/fetch-linux.sh $(CACHE) $(LINUX_SOURCE_PKG) $(LINUX_SOURCE_VERSION) >/dev/null

# ---- third-party builds ----------------------------------------------------
$(MUSL_INC)/linux: build/musl-include.sh
	$(Q)sh build/musl-include.sh $(MUSL_INC)

$(BUSYBOX): $(BUSYBOX_SRC)/.lifeboat-ok build/busybox.sh build/busybox.config | $(MUSL_INC)/linux
	$(Q)sh build/logged.sh BUSYBOX $(B)/busybox.log sh build/busybox.sh \
		$(BUSYBOX_SRC) $(B)/busybox $(abspath $(MUSL_INC)) build/busybox.config $(JOBS)

$(DROPBEAR): $(DROPBEAR_SRC)/.lifeboat-ok build/dropbear.sh | $(MUSL_INC)/linux
	$(Q)sh build/logged.sh DROPBEAR $(B)/dropbear.log sh build/dropbear.sh \
		$(DROPBEAR_SRC) $(B)/dropbear $(abspath $(MUSL_INC)) $(JOBS)

$(BEARSSL): $(BEARSSL_SRC)/.lifeboat-ok build/bearssl.sh | $(MUSL_INC)/linux
	$(Q)sh build/logged.sh BEARSSL $(B)/bearssl.log sh build/bearssl.sh \
		$(BEARSSL_SRC) $(B)/bearssl musl-gcc "-Os -isystem $(abspath $(MUSL_INC))" $(JOBS)

$(BEARSSL_HOST): $(BEARSSL_SRC)/.lifeboat-ok build/bearssl.sh
	$(Q)sh build/logged.sh BEARSSL $(B)/bearssl-host.log sh build/bearssl.sh \
		$(BEARSSL_SRC) $(B)/bearssl-host gcc "-O1 -g" $(JOBS)

$(KOBJ)/.config: $(LINUX_SRC)/.lifeboat-ok $(KERNEL_FRAGMENTS) build/kernel-config.sh
	$(Q)sh build/logged.sh KCONFIG $(B)/kconfig-$(KERNEL_PROFILE).log sh build/kernel-config.sh \
		$(LINUX_SRC) $(KOBJ) $(KERNEL_FRAGMENTS)

$(KOBJ)/arch/x86/boot/bzImage: $(KOBJ)/.config
	$(Q)sh build/logged.sh KERNEL $(B)/kernel-$(KERNEL_PROFILE).log $(MAKE) -C $(LINUX_SRC) \
		O=$(abspath $(KOBJ)) ARCH=x86_64 $(KBUILD_ENV) $(KBUILD_CC) -j$(JOBS) bzImage

# Rewritten only when KERNEL_PROFILE changes, so out/bzImage follows it.
$(B)/kernel-profile.stamp: FORCE
	$(call write-stamp,$(KERNEL_PROFILE))

$(OUT)/bzImage: $(KOBJ)/arch/x86/boot/bzImage $(B)/kernel-profile.stamp
	$(Q)cp $< $@.tmp && mv $@.tmp $@
	@echo "  OUT     $@ ($$(stat -c %s $@) bytes, kernel profile $(KERNEL_PROFILE))"

# ---- our code --------------------------------------------------------------
include agent/agent.mk

include initramfs/initramfs.mk
include server/server.mk
include docs/docs.mk

# the minimal profile has no toolbox: its lines go
$(OUT)/rescue.ipxe: ipxe/rescue.ipxe $(B)/profile.stamp
	$(Q)mkdir -p $(OUT) && sed -e '' $(if $(filter rescue,$(PROFILE)),,-e '/toolbox.cpio ||/d' -e 's/ initrd=toolbox.cpio//') \
		$< > $@.tmp && mv $@.tmp $@

# lifeboatd's virtual-media ISO (server/core/media.h): its mark from the
# one header both sides read
MEDIA_MARK = $(shell sed -n 's/^\#define LB_MEDIA_MARK "\(.*\)"/\1/p' common/wire.h)
$(OUT)/lifeboat-media.iso: $(OUT)/bzImage $(OUT)/initramfs.cpio.xz iso/mkiso.sh common/wire.h
	@echo "  ISO     $@"
	$(Q)sh iso/mkiso.sh media $@ $(OUT)/bzImage $(OUT)/initramfs.cpio.xz '$(MEDIA_MARK)'

# ---- tests -----------------------------------------------------------------
check: all
	$(Q)$(MAKE) version-check
	$(Q)$(MAKE) doc-check
	$(Q)$(MAKE) layer-check
	$(Q)$(MAKE) unit-test
	$(Q)$(MAKE) fuzz
	$(Q)$(MAKE) repro-check
	$(Q)$(MAKE) test-images
	$(Q)$(MAKE) image-cli-test
	$(Q)$(MAKE) tsan
	$(Q)$(MAKE) deb
	$(Q)$(MAKE) qemu-test

unit-test: $(UNIT_TESTS) $(B)/unit/fixtures/.ok
	$(Q)set -e; for t in $(UNIT_TESTS); do echo "  UNIT    $$t"; \
		LB_FIXTURES=$(abspath $(B)/unit/fixtures) $$t; done

# Each fuzzer runs FUZZ_SECONDS on a copy of its seed corpus.
FUZZ_SECONDS ?= 10
FUZZERS += $(B)/fuzz/fuzz_cmdline $(B)/fuzz/fuzz_manifest
fuzz: $(FUZZERS)
	$(Q)set -e; for f in $(FUZZERS); do \
		name=$$(basename $$f); corpus=$(B)/fuzz/corpus-$$name; mkdir -p $$corpus; \
		case $$name in fuzz_cmdline) cp agent/tests/corpus/* $$corpus/;; \
		fuzz_manifest) cp initramfs/profiles/*.manifest $$corpus/;; \
		fuzz_server) cp server/tests/corpus/* $$corpus/;; \
		fuzz_hosts) cp server/tests/corpus-hosts/* $$corpus/;; esac; \
		echo "  FUZZ    $$name ($(FUZZ_SECONDS) s)"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $$corpus 2>$(B)/fuzz/$$name.log \
			|| { tail -n 30 $(B)/fuzz/$$name.log; exit 1; }; \
		grep -E '^stat::number_of_executed_units' $(B)/fuzz/$$name.log | sed 's/^/          /'; \
	done

PROMTOOL = $(CACHE)/tools/prometheus_$(PROMETHEUS_VERSION)/usr/bin/promtool
$(PROMTOOL): build/fetch-tool.sh
	$(Q)sh build/fetch-tool.sh $(CACHE) prometheus $(PROMETHEUS_VERSION)

qemu-test: $(B)/unit/tls_probe $(PROMTOOL)
	$(Q)cd test-qemu && LIFEBOAT_OUT=$(abspath $(OUT)) LIFEBOAT_PROMTOOL=$(PROMTOOL) $(PYTEST) -v -ra $(PYTEST_ARGS)

# ---- ISO images ------------------------------------------------------------
# make iso [ISO_ARGS='lifeboat.sshkey="ssh-ed25519 AAAA..."'] [ISO_IP=...]
ISO_ARGS ?=
ISO_IP ?= 192.0.2.10::192.0.2.1:255.255.255.0::eth0:off
export ISO_ARGS ISO_IP SERVER

iso: payload
	@echo "  ISO     $(OUT)/lifeboat.iso"
	$(Q)sh iso/mkiso.sh rescue $(OUT)/lifeboat.iso $(OUT)/bzImage $(OUT)/initramfs.cpio.xz "$$ISO_ARGS" "$$ISO_IP" \
		$(if $(filter rescue,$(PROFILE)),$(OUT)/toolbox.cpio)
	@echo "  OUT     $(OUT)/lifeboat.iso ($$(stat -c %s $(OUT)/lifeboat.iso) bytes)"

# make netiso SERVER=http://bootserver:8080 (BIOS only: Debian's ipxe.lkrn)
netiso:
	$(Q)[ -n "$$SERVER" ] || { echo "lifeboat: cannot write the network ISO: say where lifeboatd is: make netiso SERVER=http://host:port" >&2; exit 1; }
	@echo "  ISO     $(OUT)/lifeboat-net.iso ($$SERVER)"
	$(Q)mkdir -p $(OUT) && sh iso/mkiso.sh net $(OUT)/lifeboat-net.iso "$$SERVER"
	@echo "  OUT     $(OUT)/lifeboat-net.iso ($$(stat -c %s $(OUT)/lifeboat-net.iso) bytes)"

# ---- iPXE with our embedded script -----------------------------------------
# make rom IPXE_SRC=/path/to/ipxe SERVER=http://host:port [HTTPS=1] [TRUST=ca.pem] [IPV6=0]
# (IPV6=0: without IPv6, 4.5 KiB smaller: 72 KiB for the e1000 ROM, for a NIC whose flash is tight)
# QEMU e1000, virtio; e1000e 82574L; igb i210, i350; ixgbe 82599; tg3 5720. (iPXE has no
# bnx2 driver: those NICs chainload undionly.kpxe from their own PXE ROM.)
ROM_IDS ?= 8086100e 1af41000 808610d3 80861533 80861521 808610fb 14e4165f
IPXE_SRC ?=
export IPXE_SRC
rom:
	$(Q)[ -n "$(IPXE_SRC)" ] || { echo "lifeboat: cannot build the iPXE ROMs: iPXE's source is not in Debian's archive here; give your own tree: make rom IPXE_SRC=/path/to/ipxe SERVER=http://host:port (git clone https://github.com/ipxe/ipxe)" >&2; exit 1; }
	$(Q)[ -n "$$SERVER" ] || { echo "lifeboat: cannot build the iPXE ROMs: say where lifeboatd is: SERVER=http://host:port" >&2; exit 1; }
	$(Q)sh build/logged.sh IPXE $(B)/ipxe.log sh build/ipxe-rom.sh $(IPXE_SRC) $(abspath $(OUT))/ipxe "$$SERVER" \
		"$(ROM_IDS)" "$(HTTPS)" "$(TRUST)" "$(IPV6)"
	@ls -l $(OUT)/ipxe | awk 'NR>1 && !/build/ {printf "  OUT     $(OUT)/ipxe/%s (%s bytes)\n", $$9, $$5}'

# make sign KEY=signer.key CERT=signer.crt: detached DER CMS signatures (no
# attributes) of the payload, which iPXE's imgverify checks; lifeboatd adds
# imgverify to its rescue script when they exist. The certificate must carry
# extendedKeyUsage codeSigning and chain to the ROM's TRUST= CA.
sign: payload
	$(Q)[ -n "$(KEY)" ] && [ -n "$(CERT)" ] || { echo "lifeboat: cannot sign the payload: make sign KEY=signer.key CERT=signer.crt" >&2; exit 1; }
	$(Q)sh build/sign.sh "$(KEY)" "$(CERT)" $(OUT)/bzImage $(OUT)/initramfs.cpio.xz

# make ca CA_NAMES="boot.example 192.0.2.5" [CA_DIR=out/ca]: a small CA and
# lifeboatd's certificate (openssl), for admins without a PKI
CA_DIR ?= $(OUT)/ca
CA_NAMES ?=
ca:
	$(Q)sh server/mkca.sh $(CA_DIR) $(CA_NAMES)

# ---- benchmarks (not tests: nothing here fails on a missed target) ---------
# make bench [BENCH_RUNS=5] [BENCH_ONLY=sizes,boot,ram,build,server,tls,chaos,consoles] [BENCH_CLIENTS=32] [IPXE_SRC=]
# prints one table and writes bench/results.md. The peer (Debian 12's kernel
# + initramfs-tools + dropbear-initramfs) is built once by make bench-peer
# into $(CACHE)/bench-peer; delete that directory to build it again.
BENCH_RUNS ?= 5
BENCH_ONLY ?= sizes,boot,ram,build,server,tls,chaos,consoles
BENCH_CLIENTS ?= 32
BENCH_SECONDS ?= 10
PEER := $(CACHE)/bench-peer

bench-deps: $(B)/.deps-bench-ok
$(B)/.deps-bench-ok: build/deps-bench.txt build/deps.sh
	$(Q)DEBIAN_SUITE=$(DEBIAN_SUITE) sh build/deps.sh build/deps-bench.txt
	$(Q)mkdir -p $(B) && touch $@

bench-peer: $(PEER)/initrd.img
$(PEER)/initrd.img: bench/peer.sh build/debian-mirror.sh | bench-deps
	$(Q)sh bench/peer.sh $(PEER) $(SOURCE_DATE_EPOCH)

bench: all
	$(Q)$(MAKE) -s bench-deps bench-peer $(TEST_IMAGES)
	$(Q)/usr/bin/python3 bench/bench.py --out $(OUT) --peer $(PEER) --runs $(BENCH_RUNS) \
		--only $(BENCH_ONLY) --clients $(BENCH_CLIENTS) --seconds $(BENCH_SECONDS) --results bench/results.md

# ---- for people ------------------------------------------------------------
run: all
	$(Q)sh test-qemu/run.sh $(OUT)

demo: all
	$(Q)sh test-qemu/demo.sh $(OUT)

# make install [DESTDIR=...] [PREFIX=/usr/local]: the programs, the payload,
# the systemd unit, the system user (sysusers.d) and, unless one is there,
# the configuration. Then: systemd-sysusers; systemctl daemon-reload;
# systemctl enable --now lifeboatd.
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share
DOCDIR ?= $(DATADIR)/doc/lifeboat
MANDIR ?= $(DATADIR)/man
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
# systemd-sysusers reads /usr/lib/sysusers.d and /etc/sysusers.d only
SYSUSERSDIR ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/sysusers.d,$(SYSCONFDIR)/sysusers.d)
DIST_SUBST = sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@DATADIR@|$(DATADIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' \
	-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'
install: payload
	install -d $(DESTDIR)$(DATADIR)/lifeboat $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(SYSCONFDIR)/lifeboat $(DESTDIR)$(DOCDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(OUT)/bzImage $(OUT)/initramfs.cpio.xz $(if $(LZMA),$(OUT)/initramfs.cpio.lzma) \
		$(if $(filter rescue,$(PROFILE)),$(OUT)/toolbox.squashfs $(OUT)/toolbox.cpio) \
		$(OUT)/rescue.ipxe $(OUT)/lifeboat-media.iso $(DESTDIR)$(DATADIR)/lifeboat/
	install -m 0755 $(LIFEBOATD) $(LIFEBOATCTL) $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(IMAGE_TOOL) $(DESTDIR)$(SBINDIR)/lifeboat-image
	$(DIST_SUBST) server/dist/lifeboatd.service.in > $(DESTDIR)$(UNITDIR)/lifeboatd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/lifeboatd.service
	install -m 0644 server/dist/lifeboat.sysusers $(DESTDIR)$(SYSUSERSDIR)/lifeboat.conf
	install -m 0644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/*.7 $(DESTDIR)$(MANDIR)/man7/
	install -m 0644 man/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 README.md DEVELOPING.md docs/*.md server/api.json $(DESTDIR)$(DOCDIR)/
	$(Q)conf=$(DESTDIR)$(SYSCONFDIR)/lifeboat/lifeboatd.conf; if [ -e $$conf ]; then \
		echo "  KEEP    $$conf (yours)"; else $(DIST_SUBST) server/dist/lifeboatd.conf.in > $$conf; \
		chmod 0644 $$conf; fi

# make deb: a Debian package (debhelper) of what make install installs,
# built from this tree (out/ is reused), checked with lintian, into out/deb/.
deb: payload
	$(Q)sh build/deb.sh $(OUT)/deb

clean:
	rm -rf $(OUT)

distclean: clean
	rm -rf $(CACHE)
