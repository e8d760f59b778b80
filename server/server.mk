# lifeboatd and lifeboatctl (host programs). Included from the top Makefile.
#
# Network-facing, so hardened whatever CFLAGS say: stack protector,
# _FORTIFY_SOURCE, PIE, full RELRO. CFLAGS/CPPFLAGS/LDFLAGS are the
# packager's (dpkg-buildflags) and come after ours.

CFLAGS ?= -O2 -g
PQ_CFLAGS := $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
SERVER_HARDEN_CFLAGS := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
SERVER_HARDEN_LDFLAGS := -pie -Wl,-z,relro -Wl,-z,now
SERVER_WARN := -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -Iserver -Icommon $(PQ_CFLAGS)
SERVER_CFLAGS = $(SERVER_WARN) $(SERVER_HARDEN_CFLAGS) $(CPPFLAGS) $(CFLAGS)
SERVER_LDFLAGS = $(SERVER_HARDEN_LDFLAGS) $(LDFLAGS)

# parsers, tables and models (no HTTP): shared by both programs, the unit
# tests and the fuzzers
SERVER_LIB_SRCS := server/addr.c server/conf.c server/query.c server/script.c server/status.c server/schema.c \
	server/hostfile.c server/session.c server/decide.c server/range.c server/store.c server/view.c \
	server/page.c server/admin.c server/hostops.c server/events.c server/bmc.c \
	server/db.c server/db_sqlite.c server/db_pg.c server/import.c
LIFEBOATD_SRCS := server/lifeboatd.c server/http.c server/boot.c server/payload.c server/api.c server/login.c \
	server/control.c server/pageaction.c \
	server/certpin.c server/localsock.c
SERVER_HDRS := $(wildcard server/*.h) common/wire.h common/phase.h
SERVER_LIBS := -ljson-c -lnettle -lsqlite3 -lpq
LIFEBOATD := $(B)/server/lifeboatd
LIFEBOATCTL := $(B)/server/lifeboatctl
LIFEBOATD_TSAN := $(B)/tsan/lifeboatd

$(LIFEBOATD): $(LIFEBOATD_SRCS) $(SERVER_LIB_SRCS) $(SERVER_HDRS) server/server.mk
	@echo "  HOSTCC  $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)gcc $(SERVER_CFLAGS) -o $@.tmp $(LIFEBOATD_SRCS) $(SERVER_LIB_SRCS) $(SERVER_LDFLAGS) \
		-lmicrohttpd -lgnutls $(SERVER_LIBS) -lpthread && mv $@.tmp $@

LIFEBOATCTL_SRCS := server/lifeboatctl.c server/ctl_remote.c server/apiclient.c server/localsock.c
$(LIFEBOATCTL): $(LIFEBOATCTL_SRCS) $(SERVER_LIB_SRCS) $(SERVER_HDRS) server/server.mk
	@echo "  HOSTCC  $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)gcc $(SERVER_CFLAGS) -o $@.tmp $(LIFEBOATCTL_SRCS) $(SERVER_LIB_SRCS) $(SERVER_LDFLAGS) \
		-lcurl $(SERVER_LIBS) -lpthread && mv $@.tmp $@

server: $(LIFEBOATD) $(LIFEBOATCTL)

# ThreadSanitizer build for make check's concurrent-load test
$(LIFEBOATD_TSAN): $(LIFEBOATD_SRCS) $(SERVER_LIB_SRCS) $(SERVER_HDRS) server/server.mk
	@echo "  TSAN    $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)gcc $(SERVER_WARN) -O1 -g -fsanitize=thread -o $@.tmp $(LIFEBOATD_SRCS) $(SERVER_LIB_SRCS) \
		-lmicrohttpd -lgnutls $(SERVER_LIBS) -lpthread && mv $@.tmp $@
tsan: $(LIFEBOATD_TSAN)

SERVER_UNIT_CFLAGS := $(UNIT_CFLAGS) -Iserver -Icommon $(PQ_CFLAGS)
$(B)/unit/test_query: server/tests/test_query.c server/addr.c server/query.c server/script.c $(SERVER_HDRS)
	@echo "  CC      $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)gcc $(SERVER_UNIT_CFLAGS) -o $@ $< server/addr.c server/query.c server/script.c -lcmocka
$(B)/unit/test_status: server/tests/test_status.c $(SERVER_LIB_SRCS) $(SERVER_HDRS)
	@echo "  CC      $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)gcc $(SERVER_UNIT_CFLAGS) -o $@ $< $(SERVER_LIB_SRCS) $(SERVER_LIBS) -lpthread -lcmocka
$(B)/unit/test_decide: server/tests/test_decide.c $(SERVER_LIB_SRCS) $(SERVER_HDRS)
	@echo "  CC      $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)gcc $(SERVER_UNIT_CFLAGS) -o $@ $< $(SERVER_LIB_SRCS) $(SERVER_LIBS) -lpthread -lcmocka
$(B)/unit/test_range: server/tests/test_range.c server/range.c $(SERVER_HDRS)
	@echo "  CC      $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)gcc $(SERVER_UNIT_CFLAGS) -o $@ $< server/range.c -lcmocka
$(B)/unit/test_store: server/tests/test_store.c $(SERVER_LIB_SRCS) $(SERVER_HDRS)
	@echo "  CC      $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)gcc $(SERVER_UNIT_CFLAGS) -o $@ $< $(SERVER_LIB_SRCS) $(SERVER_LIBS) -lpthread -lcmocka
UNIT_TESTS += $(B)/unit/test_query $(B)/unit/test_status $(B)/unit/test_decide $(B)/unit/test_range \
	$(B)/unit/test_store

$(B)/fuzz/fuzz_server: server/tests/fuzz_server.c $(SERVER_LIB_SRCS) $(SERVER_HDRS)
	@echo "  CLANG   $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)clang $(FUZZ_CFLAGS) -Iserver -Icommon $(PQ_CFLAGS) -o $@ $< $(SERVER_LIB_SRCS) $(SERVER_LIBS) -lpthread
$(B)/fuzz/fuzz_hosts: server/tests/fuzz_hosts.c $(SERVER_LIB_SRCS) $(SERVER_HDRS)
	@echo "  CLANG   $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)clang $(FUZZ_CFLAGS) -Iserver -Icommon $(PQ_CFLAGS) -o $@ $< $(SERVER_LIB_SRCS) $(SERVER_LIBS) -lpthread
FUZZERS += $(B)/fuzz/fuzz_server $(B)/fuzz/fuzz_hosts
