# The image writer (a host tool) and the initramfs. Included from the top Makefile.

# installed for admins too (make install, the package): hardened like lifeboatd
IMAGE_TOOL := $(B)/host/lifeboat-image
IMAGE_SRCS := initramfs/main.c initramfs/manifest.c initramfs/expand.c initramfs/cpio.c initramfs/compress.c initramfs/imagefile.c initramfs/elfdeps.c \
	initramfs/inspect.c
IMAGE_HDRS := $(wildcard initramfs/*.h)
HOST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter

$(IMAGE_TOOL): $(IMAGE_SRCS) $(IMAGE_HDRS) initramfs/initramfs.mk
	@echo "  HOSTCC  $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)gcc $(HOST_CFLAGS) $(SERVER_HARDEN_CFLAGS) $(CPPFLAGS) $(CFLAGS) -o $@.tmp $(IMAGE_SRCS) \
		$(SERVER_HARDEN_LDFLAGS) $(LDFLAGS) -larchive -llzma && mv $@.tmp $@

# Profiles: which manifests make the image (make PROFILE=...).
PROFILE ?= rescue
PROFILES := minimal rescue
ifeq ($(filter $(PROFILE),$(PROFILES)),)
$(error PROFILE=$(PROFILE) is not one of: $(PROFILES))
endif
MANIFESTS_minimal := initramfs/profiles/minimal.manifest $(B)/busybox.manifest $(B)/site.manifest

TOOLBOX_ROOTFS := initramfs/toolbox/rootfs

# The ${VAR}s the manifests use (an environment for the tool, not make
# variables: AGENT, BUSYBOX and DROPBEAR are also target names).
IMAGE_ENV := AGENT=$(abspath $(AGENT)) BUSYBOX=$(abspath $(BUSYBOX)) DROPBEAR=$(abspath $(DROPBEAR)) \
	ROOTFS=$(abspath initramfs/rootfs) TOOLBOX_ROOTFS=$(abspath $(TOOLBOX_ROOTFS)) \
	TOOLBOX_HWDB=$(abspath $(B)/usb-hwdb.bin)

# Every BusyBox applet as a link in /bin (/sbin links to bin); the
# toolbox's commands live in /usr/sbin and /usr/bin, first in PATH.
$(B)/busybox.manifest: $(BUSYBOX)
	$(Q){ echo "# generated from busybox --list"; \
	  $(BUSYBOX) --list | LC_ALL=C sort | grep -vx busybox | \
	  sed 's|.*|slink /bin/& busybox 0777 0 0|'; } > $@.tmp && mv $@.tmp $@

# Rewritten only when the profile, KEYS, CA or FIRMWARE change, so images rebuild then.
$(B)/profile.stamp: FORCE
	$(call write-stamp,$(PROFILE) $(abspath $(KEYS)) $(abspath $(CA)) firmware=$(FIRMWARE))

# Rewritten only when SOURCE_DATE_EPOCH (the last commit's time: every
# entry's mtime) changes, so images made before a commit are made again.
$(B)/epoch.stamp: FORCE
	$(call write-stamp,$(SOURCE_DATE_EPOCH))

# What this site bakes in: make KEYS=authorized_keys (logins that need no
# server), make CA=ca.crt (the CA the agent checks lifeboatd's HTTPS
# certificate against; common/wire.h LB_PATH_AGENT_CA).
$(B)/site.manifest: $(B)/profile.stamp $(KEYS) $(CA)
	$(Q)$(if $(CA),openssl x509 -in $(CA) -noout 2>/dev/null || \
	  { echo "lifeboat: cannot use CA=$(CA): not a PEM certificate" >&2; exit 1; })
	$(Q){ echo "# baked in with make KEYS=... CA=..."; \
	  $(if $(KEYS),echo "file /etc/lifeboat/authorized_keys $(abspath $(KEYS)) 0600 0 0";) \
	  $(if $(CA),echo "file /etc/lifeboat/ca.crt $(abspath $(CA)) 0644 0 0";) } > $@.tmp && mv $@.tmp $@

# .xz with the x86 BCJ filter: the kernel unpacks xz ~3x faster than legacy
# .lzma (rescue under TCG: 2.8 s instead of 8.0 s), and BCJ makes it ~5% smaller.
# make LZMA=1 also writes the classic legacy-LZMA image (CONFIG_RD_LZMA) from
# the same manifests in the same segments, as out/initramfs.cpio.lzma.
IMAGE_FLAGS_xz := -b x86
IMAGE_FLAGS_lzma := -c lzma
LZMA ?=
IMAGE_FORMATS := xz lzma

# The image is made of segments that the kernel unpacks one after another:
# the minimal profile (all that SSH needs), then (rescue) the toolbox's
# SHA-256, then (FIRMWARE=1) the firmware. Each is compressed on its own.
segments = $(foreach s,minimal $(if $(filter rescue,$(1)),toolref) $(if $(FIRMWARE),firmware),$(B)/image/$(s).cpio.$(2))
SEGMENTS_minimal := $(call segments,minimal,xz)
SEGMENTS_rescue  := $(call segments,rescue,xz)
MINIMAL_ROOTFS_FILES := $(shell find initramfs/rootfs -type f)
# Each segment's manifests: what its rule and repro-check build from.
SEGMENT_MANIFESTS_minimal  := $(MANIFESTS_minimal)
SEGMENT_MANIFESTS_toolref  := $(B)/toolref.manifest
SEGMENT_MANIFESTS_firmware := $(B)/firmware.manifest
SEGMENT_MANIFESTS_toolbox  := initramfs/toolbox/toolbox.manifest $(B)/toolbox-packages.manifest

# $(call build-segment,NAME): the recipe of segment NAME in the format %
define build-segment
	@echo "  IMAGE   $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)$(IMAGE_ENV) $(IMAGE_TOOL) build -o $@ $(IMAGE_FLAGS_$*) $(SEGMENT_MANIFESTS_$(1)) >$(B)/image-$(1)-$*.log
endef

$(foreach f,$(IMAGE_FORMATS),$(B)/image/minimal.cpio.$(f)): $(B)/image/minimal.cpio.%: $(IMAGE_TOOL) \
		$(B)/epoch.stamp $(SEGMENT_MANIFESTS_minimal) $(AGENT) $(BUSYBOX) $(DROPBEAR) $(MINIMAL_ROOTFS_FILES)
	$(call build-segment,minimal)

# The rescue toolbox (initramfs/toolbox): every command of the packages in
# packages.list, with their libraries, as out/toolbox.squashfs, which the
# agent fetches after SSH is up (or finds in the second initrd
# out/toolbox.cpio) and checks against the SHA-256 in the toolref segment.
TOOLBOX_ROOTFS_FILES := $(shell find $(TOOLBOX_ROOTFS) -type f)
# Made again when the host's packages change (a new version of one is a
# new line), rewritten only when it differs.
$(B)/toolbox-packages.manifest: build/toolbox-manifest.sh initramfs/toolbox/packages.list \
		$(TOOLBOX_ROOTFS_FILES) /var/lib/dpkg/status
	$(Q)mkdir -p $(dir $@)
	$(Q)sh build/toolbox-manifest.sh initramfs/toolbox/packages.list $(TOOLBOX_ROOTFS) > $@.new \
		2> $(B)/toolbox-manifest.log || { cat $(B)/toolbox-manifest.log >&2; rm -f $@.new; exit 1; }
	$(Q)if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi
	@echo "  TOOLBOX $$(grep -c '^[a-z]' $@) entries from packages.list ($(B)/toolbox-manifest.log: what was left out)"
# lsusb names devices from udev's hardware database (not usb.ids): one of
# the USB entries only (2.5 MB, the whole is 13 MB), made by udev's own
# systemd-hwdb; rewritten only when it differs
$(B)/usb-hwdb.bin: /var/lib/dpkg/status
	$(Q)rm -rf $(B)/usb-hwdb && mkdir -p $(B)/usb-hwdb/lib/udev/hwdb.d
	$(Q)cp /lib/udev/hwdb.d/20-usb-vendor-model.hwdb /lib/udev/hwdb.d/20-usb-classes.hwdb $(B)/usb-hwdb/lib/udev/hwdb.d/
	$(Q)systemd-hwdb update --root=$(B)/usb-hwdb --usr --strict
	$(Q)if cmp -s $(B)/usb-hwdb/lib/udev/hwdb.bin $@; then touch $@; else mv $(B)/usb-hwdb/lib/udev/hwdb.bin $@; fi
	$(Q)rm -rf $(B)/usb-hwdb
$(B)/image/toolbox.cpio: $(IMAGE_TOOL) $(B)/epoch.stamp $(SEGMENT_MANIFESTS_toolbox) $(TOOLBOX_ROOTFS_FILES) \
		$(B)/usb-hwdb.bin
	@echo "  IMAGE   $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)$(IMAGE_ENV) $(IMAGE_TOOL) build -o $@ -c none $(SEGMENT_MANIFESTS_toolbox) >$(B)/image-toolbox.log
$(OUT)/toolbox.squashfs: $(B)/image/toolbox.cpio build/toolbox-squashfs.sh
	@echo "  SQUASH  $@"
	$(Q)sh build/toolbox-squashfs.sh $< $@ $(SOURCE_DATE_EPOCH)
	@echo "  OUT     $@ ($$(stat -c %s $@) bytes)"
# the second initrd for boots without lifeboatd (ISO, USB, rescue.ipxe):
# the squashfs as one file, uncompressed (it is compressed inside)
$(B)/toolbox-initrd.manifest: $(B)/profile.stamp
	$(Q)echo "file $(LB_TOOLBOX_INITRD_PATH) $(abspath $(OUT)/toolbox.squashfs) 0400 0 0" > $@
$(OUT)/toolbox.cpio: $(IMAGE_TOOL) $(OUT)/toolbox.squashfs $(B)/toolbox-initrd.manifest $(B)/epoch.stamp
	$(Q)$(IMAGE_TOOL) build -o $@ -c none $(B)/toolbox-initrd.manifest >/dev/null
	@echo "  OUT     $@ ($$(stat -c %s $@) bytes, the toolbox as a second initrd)"
# (here, not in the top Makefile's payload line: PROFILE is set above)
payload: $(if $(filter rescue,$(PROFILE)),$(OUT)/toolbox.squashfs $(OUT)/toolbox.cpio)

# the toolbox's SHA-256, built into the image: the agent mounts nothing else
$(B)/toolbox.sha256: $(OUT)/toolbox.squashfs
	$(Q)sha256sum $< | cut -d' ' -f1 > $@.tmp && mv $@.tmp $@
$(B)/toolref.manifest: $(B)/toolbox.sha256
	$(Q)echo "file $(LB_TOOLBOX_SHA256_PATH) $(abspath $(B)/toolbox.sha256) 0644 0 0" > $@
$(foreach f,$(IMAGE_FORMATS),$(B)/image/toolref.cpio.$(f)): $(B)/image/toolref.cpio.%: $(IMAGE_TOOL) \
		$(B)/epoch.stamp $(SEGMENT_MANIFESTS_toolref) $(B)/toolbox.sha256
	$(call build-segment,toolref)
# The paths the agent reads (common/wire.h, the one place they are defined)
LB_TOOLBOX_SHA256_PATH := $(shell sed -n 's/.*LB_PATH_TOOLBOX_SHA256 "\(.*\)"/\1/p' common/wire.h)
LB_TOOLBOX_INITRD_PATH := $(shell sed -n 's/.*LB_PATH_TOOLBOX_INITRD "\(.*\)"/\1/p' common/wire.h)

# make FIRMWARE=1: a third segment with the firmware the kernel's built-in
# drivers name (modules.builtin.modinfo: bnx2, bnx2x, tg3, ice's DDP, r8169)
# from Debian's non-free-firmware packages, and their licences. Off by default.
FIRMWARE ?=
FIRMWARE_TREE := $(CACHE)/firmware-$(FIRMWARE_VERSION)
$(FIRMWARE_TREE)/.lifeboat-ok: build/fetch-firmware.sh build/versions.mk
	$(Q)sh build/fetch-firmware.sh $(CACHE) $(DEBIAN_SUITE) $(FIRMWARE_VERSION) $(FIRMWARE_PKGS)
$(B)/firmware.manifest: build/firmware-manifest.sh $(FIRMWARE_TREE)/.lifeboat-ok $(KOBJ)/arch/x86/boot/bzImage
	$(Q)sh build/firmware-manifest.sh $(KOBJ)/modules.builtin.modinfo $(FIRMWARE_TREE) > $@.tmp \
		2> $(B)/firmware.log && mv $@.tmp $@
	@echo "  FIRMWARE $$(grep -c '^file /lib/firmware/[^L]' $@) files for built-in drivers ($(B)/firmware.log: what they name and Debian lacks)"
$(foreach f,$(IMAGE_FORMATS),$(B)/image/firmware.cpio.$(f)): $(B)/image/firmware.cpio.%: $(IMAGE_TOOL) \
		$(B)/epoch.stamp $(SEGMENT_MANIFESTS_firmware)
	$(call build-segment,firmware)

$(OUT)/initramfs.cpio.xz: $(IMAGE_TOOL) $(SEGMENTS_$(PROFILE)) $(B)/profile.stamp
	@echo "  IMAGE   $@ (profile $(PROFILE))"
	$(Q)$(IMAGE_TOOL) join -o $@ $(SEGMENTS_$(PROFILE)) >$(B)/image.log
	@echo "  OUT     $@ ($$(stat -c %s $@) bytes)"

$(OUT)/initramfs.cpio.lzma: $(IMAGE_TOOL) $(call segments,$(PROFILE),lzma) $(B)/profile.stamp
	@echo "  IMAGE   $@ (profile $(PROFILE), legacy LZMA)"
	$(Q)$(IMAGE_TOOL) join -o $@ $(call segments,$(PROFILE),lzma) >$(B)/image-lzma.log
	@echo "  OUT     $@ ($$(stat -c %s $@) bytes)"

.PHONY: FORCE
FORCE:

# ---- tests -------------------------------------------------------------------
IMAGE_UNIT_CFLAGS := $(UNIT_CFLAGS) -Iinitramfs
$(B)/unit/test_manifest: initramfs/tests/test_manifest.c initramfs/manifest.c $(IMAGE_HDRS)
	@echo "  CC      $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)gcc $(IMAGE_UNIT_CFLAGS) -o $@ $< initramfs/manifest.c -lcmocka
$(B)/unit/test_image: initramfs/tests/test_image.c $(IMAGE_SRCS) $(IMAGE_HDRS)
	@echo "  CC      $@"
	$(Q)gcc $(IMAGE_UNIT_CFLAGS) -o $@ $< initramfs/manifest.c initramfs/expand.c initramfs/cpio.c initramfs/compress.c initramfs/imagefile.c initramfs/elfdeps.c \
		-larchive -llzma -lcmocka
$(B)/unit/test_elfdeps: initramfs/tests/test_elfdeps.c initramfs/elfdeps.c $(IMAGE_HDRS)
	@echo "  CC      $@"
	$(Q)gcc $(IMAGE_UNIT_CFLAGS) -o $@ $< initramfs/elfdeps.c -lcmocka
$(B)/unit/fixtures/.ok: initramfs/tests/fixtures.sh
	$(Q)sh $< $(dir $@) && touch $@
UNIT_TESTS += $(B)/unit/test_manifest $(B)/unit/test_image $(B)/unit/test_elfdeps

$(B)/fuzz/fuzz_manifest: initramfs/tests/fuzz_manifest.c initramfs/manifest.c $(IMAGE_HDRS)
	@echo "  CLANG   $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)clang $(FUZZ_CFLAGS) -Iinitramfs -o $@ $< initramfs/manifest.c

# Test images for the QEMU tests: the minimal profile as legacy .lzma, and
# as .xz the way `make PROFILE=minimal` writes it (also used by make bench);
# the rescue profile as legacy .lzma the way make LZMA=1 writes it.
TEST_IMAGES := $(OUT)/test/minimal.cpio.lzma $(OUT)/test/minimal.cpio.xz $(OUT)/test/rescue.cpio.lzma
$(OUT)/test/minimal.cpio.%: $(B)/image/minimal.cpio.%
	$(Q)mkdir -p $(dir $@)
	$(Q)cp $< $@.tmp && mv $@.tmp $@
$(OUT)/test/rescue.cpio.lzma: $(IMAGE_TOOL) $(call segments,rescue,lzma)
	@echo "  IMAGE   $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)$(IMAGE_TOOL) join -o $@ $(call segments,rescue,lzma) >/dev/null
test-images: $(TEST_IMAGES)

# Two builds from the same inputs must be byte-identical, even when the
# source files' own timestamps differ: each segment is built again, in
# both formats.
repro-check: $(IMAGE_TOOL) $(call segments,rescue,xz) $(call segments,rescue,lzma) $(OUT)/toolbox.squashfs
	$(Q)$(foreach f,$(IMAGE_FORMATS),$(foreach s,minimal toolref,\
	  $(IMAGE_ENV) sh build/repro-check.sh $(IMAGE_TOOL) $(B)/image/$(s).cpio.$(f) $(OUT)/test \
		$(IMAGE_FLAGS_$(f)) $(SEGMENT_MANIFESTS_$(s)) && )) true
	$(Q)$(IMAGE_ENV) sh build/repro-check.sh $(IMAGE_TOOL) $(B)/image/toolbox.cpio $(OUT)/test -c none \
		$(SEGMENT_MANIFESTS_toolbox)
	$(Q)sh build/toolbox-squashfs.sh $(B)/image/toolbox.cpio $(OUT)/test/repro/toolbox.squashfs $(SOURCE_DATE_EPOCH)
	$(Q)cmp -s $(OUT)/toolbox.squashfs $(OUT)/test/repro/toolbox.squashfs || \
		{ echo "lifeboat: cannot reproduce $(OUT)/toolbox.squashfs: a second mksquashfs differs" >&2; exit 1; }
	@echo "  REPRO   $(OUT)/toolbox.squashfs: two builds identical ($$(stat -c %s $(OUT)/toolbox.squashfs) bytes)"

image-cli-test: $(IMAGE_TOOL) $(TEST_IMAGES)
	$(Q)sh initramfs/tests/cli.sh $(IMAGE_TOOL) $(OUT)/test/minimal.cpio.lzma $(OUT)/test/minimal.cpio.xz \
		$(OUT)/test/cli
