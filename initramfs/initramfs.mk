# The image writer (a host tool) and the initramfs. Included from the top Makefile.

IMAGE_TOOL := $(B)/host/lifeboat-image
IMAGE_SRCS := initramfs/main.c initramfs/manifest.c initramfs/image.c initramfs/elfdeps.c \
	initramfs/inspect.c
IMAGE_HDRS := $(wildcard initramfs/*.h)
HOST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter

$(IMAGE_TOOL): $(IMAGE_SRCS) $(IMAGE_HDRS) initramfs/initramfs.mk
	@echo "  HOSTCC  $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)gcc $(HOST_CFLAGS) -o $@.tmp $(IMAGE_SRCS) -larchive -llzma && mv $@.tmp $@

# Profiles: which manifests make the image (make PROFILE=...).
PROFILE ?= rescue
PROFILES := minimal rescue
ifeq ($(filter $(PROFILE),$(PROFILES)),)
$(error PROFILE=$(PROFILE) is not one of: $(PROFILES))
endif
MANIFESTS_minimal := initramfs/profiles/minimal.manifest $(B)/busybox.manifest $(B)/keys.manifest
MANIFESTS_rescue  := $(MANIFESTS_minimal) initramfs/profiles/rescue.manifest
ROOTFS_FILES := $(shell find initramfs/rootfs initramfs/rootfs-rescue -type f)

export AGENT := $(abspath $(AGENT))
export BUSYBOX := $(abspath $(BUSYBOX))
export DROPBEAR := $(abspath $(DROPBEAR))
export ROOTFS := $(abspath initramfs/rootfs)
export RESCUE_ROOTFS := $(abspath initramfs/rootfs-rescue)

# Every BusyBox applet as a link in /bin (/sbin links to bin); real tools
# of the rescue profile live in /usr/sbin and /usr/bin, first in PATH.
$(B)/busybox.manifest: $(BUSYBOX)
	$(Q){ echo "# generated from busybox --list"; \
	  $(BUSYBOX) --list | LC_ALL=C sort | grep -vx busybox | \
	  sed 's|.*|slink /bin/& busybox 0777 0 0|'; } > $@.tmp && mv $@.tmp $@

# Rewritten only when the profile or KEYS change, so images rebuild then.
$(B)/profile.stamp: FORCE
	$(Q)mkdir -p $(B)
	$(Q)echo "$(PROFILE) $(abspath $(KEYS))" | cmp -s - $@ 2>/dev/null || echo "$(PROFILE) $(abspath $(KEYS))" > $@

$(B)/keys.manifest: $(B)/profile.stamp $(KEYS)
	$(Q){ echo "# keys baked in with make KEYS=..."; \
	  $(if $(KEYS),echo "file /etc/lifeboat/authorized_keys $(abspath $(KEYS)) 0600 0 0";) } > $@.tmp && mv $@.tmp $@

$(OUT)/initramfs.cpio.lzma: $(IMAGE_TOOL) $(MANIFESTS_$(PROFILE)) $(AGENT) $(BUSYBOX) $(DROPBEAR) \
		$(ROOTFS_FILES) $(B)/profile.stamp
	@echo "  IMAGE   $@ (profile $(PROFILE))"
	$(Q)$(IMAGE_TOOL) build -o $@ $(MANIFESTS_$(PROFILE)) >$(B)/image.log
	@echo "  OUT     $@ ($$(stat -c %s $@) bytes)"

.PHONY: FORCE
FORCE:
