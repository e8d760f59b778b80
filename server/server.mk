# lifeboatd and lifeboatctl (host programs). Included from the top Makefile.
#
# server/ is in layers, one folder each, lowest first (DEVELOPING.md):
#   core/        pure: parsers, models, the boot decision, renderers
#   power/       power control through a BMC: the drivers (ipmitool, Redfish)
#   store/       the database and everything that reads or writes it
#   lifeboatd/   the daemon: libmicrohttpd glue, routes, handlers
#   lifeboatctl/ the command-line tool
# A file includes only its own folder or a lower one, with the folder's
# name (`#include "core/addr.h"`); lifeboatd/ and lifeboatctl/ never include
# each other. `make layer-check` enforces it. Each layer is a static
# library; programs, unit tests and fuzzers link the lowest they need.
#
# Network-facing, so hardened whatever CFLAGS say: stack protector,
# _FORTIFY_SOURCE, PIE, full RELRO. CFLAGS/CPPFLAGS/LDFLAGS are the
# packager's (dpkg-buildflags) and come after ours.

CFLAGS ?= -O2 -g
PQ_CFLAGS := $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
SERVER_HARDEN_CFLAGS := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
SERVER_HARDEN_LDFLAGS := -pie -Wl,-z,relro -Wl,-z,now
SERVER_INC := -Iserver -I. $(PQ_CFLAGS)
SERVER_WARN := -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter $(SERVER_INC)
SERVER_CFLAGS = $(SERVER_WARN) $(SERVER_HARDEN_CFLAGS) $(CPPFLAGS) $(CFLAGS)
SERVER_LDFLAGS = $(SERVER_HARDEN_LDFLAGS) $(LDFLAGS)

SERVER_LAYERS := core power store lifeboatd lifeboatctl
CORE_SRCS := $(wildcard server/core/*.c)
POWER_SRCS := $(wildcard server/power/*.c)
STORE_SRCS := $(wildcard server/store/*.c)
LIFEBOATD_SRCS := $(filter-out server/lifeboatd/main.c,$(wildcard server/lifeboatd/*.c))
LIFEBOATCTL_SRCS := $(filter-out server/lifeboatctl/main.c,$(wildcard server/lifeboatctl/*.c))
SERVER_HDRS := $(wildcard server/*/*.h) $(wildcard common/*.h)
CORE_LIBS := -ljson-c -lnettle
POWER_LIBS := -lcurl $(CORE_LIBS)
STORE_LIBS := -lsqlite3 -lpq -lpthread $(POWER_LIBS)

SO := $(B)/server/obj
$(SO)/%.o: server/%.c server/server.mk
	@echo "  HOSTCC  $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)gcc $(SERVER_CFLAGS) -MMD -MP -c -o $@ $<
-include $(wildcard $(SO)/*/*.d)

# $(call server-lib,NAME,SRCS): a layer's static library
server-objs = $(patsubst server/%.c,$(SO)/%.o,$(1))
LIBCORE := $(B)/server/libcore.a
LIBPOWER := $(B)/server/libpower.a
LIBSTORE := $(B)/server/libstore.a
LIBLIFEBOATD := $(B)/server/liblifeboatd.a
LIBLIFEBOATCTL := $(B)/server/liblifeboatctl.a
$(LIBCORE): $(call server-objs,$(CORE_SRCS))
$(LIBPOWER): $(call server-objs,$(POWER_SRCS))
$(LIBSTORE): $(call server-objs,$(STORE_SRCS))
$(LIBLIFEBOATD): $(call server-objs,$(LIFEBOATD_SRCS))
$(LIBLIFEBOATCTL): $(call server-objs,$(LIFEBOATCTL_SRCS))
$(LIBCORE) $(LIBPOWER) $(LIBSTORE) $(LIBLIFEBOATD) $(LIBLIFEBOATCTL):
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

LIFEBOATD := $(B)/server/lifeboatd
LIFEBOATCTL := $(B)/server/lifeboatctl
LIFEBOATD_TSAN := $(B)/tsan/lifeboatd

$(LIFEBOATD): $(SO)/lifeboatd/main.o $(LIBLIFEBOATD) $(LIBSTORE) $(LIBPOWER) $(LIBCORE)
	@echo "  LD      $@"
	$(Q)gcc $(SERVER_CFLAGS) -o $@.tmp $^ $(SERVER_LDFLAGS) -lmicrohttpd -lgnutls $(STORE_LIBS) && mv $@.tmp $@

$(LIFEBOATCTL): $(SO)/lifeboatctl/main.o $(LIBLIFEBOATCTL) $(LIBSTORE) $(LIBPOWER) $(LIBCORE)
	@echo "  LD      $@"
	$(Q)gcc $(SERVER_CFLAGS) -o $@.tmp $^ $(SERVER_LDFLAGS) $(STORE_LIBS) && mv $@.tmp $@

server: $(LIFEBOATD) $(LIFEBOATCTL)

# The layer rule (above) and an include graph without cycles.
layer-check:
	$(Q)/usr/bin/python3 build/layer-check.py --self-test
	$(Q)/usr/bin/python3 build/layer-check.py server $(SERVER_LAYERS)

# ThreadSanitizer build for make check's concurrent-load test (every
# object instrumented: compiled from source)
$(LIFEBOATD_TSAN): server/lifeboatd/main.c $(LIFEBOATD_SRCS) $(STORE_SRCS) $(POWER_SRCS) $(CORE_SRCS) $(SERVER_HDRS) \
		server/server.mk
	@echo "  TSAN    $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)gcc $(SERVER_WARN) -O1 -g -fsanitize=thread -o $@.tmp $(filter %.c,$^) \
		-lmicrohttpd -lgnutls $(STORE_LIBS) && mv $@.tmp $@
tsan: $(LIFEBOATD_TSAN)

# Unit tests: each links the lowest layer it needs (the boot decision and
# the report's validation link no database).
SERVER_UNIT_CFLAGS := $(UNIT_CFLAGS) $(SERVER_INC)
$(B)/unit/test_query $(B)/unit/test_report $(B)/unit/test_decide $(B)/unit/test_range $(B)/unit/test_media $(B)/unit/test_webhook $(B)/unit/test_ansi $(B)/unit/test_sse: $(B)/unit/%: \
		server/tests/%.c $(LIBCORE) $(SERVER_HDRS)
	@echo "  CC      $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)gcc $(SERVER_UNIT_CFLAGS) -o $@ $< $(LIBCORE) $(CORE_LIBS) -lcmocka
$(B)/unit/test_store: server/tests/test_store.c $(LIBSTORE) $(LIBPOWER) $(LIBCORE) $(SERVER_HDRS)
	@echo "  CC      $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)gcc $(SERVER_UNIT_CFLAGS) -o $@ $< $(LIBSTORE) $(LIBPOWER) $(LIBCORE) $(STORE_LIBS) -lcmocka
$(B)/unit/test_options: server/tests/test_options.c $(LIBLIFEBOATCTL) $(SERVER_HDRS)
	@echo "  CC      $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)gcc $(SERVER_UNIT_CFLAGS) -o $@ $< $(LIBLIFEBOATCTL) -lcmocka
UNIT_TESTS += $(B)/unit/test_query $(B)/unit/test_report $(B)/unit/test_decide $(B)/unit/test_range $(B)/unit/test_media \
	$(B)/unit/test_webhook $(B)/unit/test_ansi $(B)/unit/test_sse \
	$(B)/unit/test_store $(B)/unit/test_options

# The fuzzers drive core/ only (instrumented: compiled from source).
$(B)/fuzz/fuzz_server $(B)/fuzz/fuzz_hosts: $(B)/fuzz/%: server/tests/%.c $(CORE_SRCS) $(SERVER_HDRS)
	@echo "  CLANG   $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)clang $(FUZZ_CFLAGS) $(SERVER_INC) -o $@ $< $(CORE_SRCS) $(CORE_LIBS)
FUZZERS += $(B)/fuzz/fuzz_server $(B)/fuzz/fuzz_hosts
