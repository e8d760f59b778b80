# lifeboatd and lifeboatctl (host programs). Included from the top Makefile.

SERVER_LIB_SRCS := server/conf.c server/query.c server/script.c server/status.c server/store.c
SERVER_HDRS := $(wildcard server/*.h)
LIFEBOATD := $(B)/server/lifeboatd
LIFEBOATCTL := $(B)/server/lifeboatctl

$(LIFEBOATD): server/lifeboatd.c $(SERVER_LIB_SRCS) $(SERVER_HDRS) server/server.mk
	@echo "  HOSTCC  $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)gcc $(HOST_CFLAGS) -o $@.tmp server/lifeboatd.c $(SERVER_LIB_SRCS) -lmicrohttpd -ljson-c -lpthread \
		&& mv $@.tmp $@

$(LIFEBOATCTL): server/lifeboatctl.c $(SERVER_LIB_SRCS) $(SERVER_HDRS) server/server.mk
	@echo "  HOSTCC  $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)gcc $(HOST_CFLAGS) -o $@.tmp server/lifeboatctl.c $(SERVER_LIB_SRCS) -ljson-c && mv $@.tmp $@

server: $(LIFEBOATD) $(LIFEBOATCTL)

SERVER_UNIT_CFLAGS := $(UNIT_CFLAGS) -Iserver
$(B)/unit/test_query: server/tests/test_query.c server/query.c server/script.c $(SERVER_HDRS)
	@echo "  CC      $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)gcc $(SERVER_UNIT_CFLAGS) -o $@ $< server/query.c server/script.c -lcmocka
$(B)/unit/test_status: server/tests/test_status.c server/status.c server/conf.c server/script.c $(SERVER_HDRS)
	@echo "  CC      $@"
	$(Q)gcc $(SERVER_UNIT_CFLAGS) -o $@ $< server/status.c server/conf.c server/script.c -ljson-c -lcmocka
UNIT_TESTS += $(B)/unit/test_query $(B)/unit/test_status

$(B)/fuzz/fuzz_server: server/tests/fuzz_server.c server/query.c server/script.c server/status.c $(SERVER_HDRS)
	@echo "  CLANG   $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)clang $(FUZZ_CFLAGS) -Iserver -o $@ $< server/query.c server/script.c server/status.c -ljson-c
FUZZERS += $(B)/fuzz/fuzz_server
