# The agent: a static musl /init. Included from the top Makefile.

AGENT_SRCS := agent/main.c agent/cmdline.c agent/ipconf.c agent/ip6conf.c agent/config.c agent/log.c \
	agent/iface.c agent/netlink.c agent/netpolicy.c agent/proc.c agent/ssh.c agent/json.c \
	agent/http.c agent/state.c agent/inventory.c agent/report_build.c agent/report_send.c agent/fetchkeys.c \
	agent/tls.c agent/tlstrust.c agent/trustload.c agent/config_read.c agent/toolbox.c agent/toolbox_service.c agent/loopmount.c agent/linktree.c \
	agent/fileio.c agent/kmsg.c agent/logship.c agent/nexthop.c agent/netconsole.c
AGENT_HDRS := $(wildcard agent/*.h) $(wildcard common/*.h)
BEARSSL_INC := $(BEARSSL_SRC)/inc
AGENT_CFLAGS := -std=gnu11 -Icommon -Os -Wall -Wextra -Werror -Wno-unused-parameter \
	-ffunction-sections -fdata-sections -DLIFEBOAT_VERSION='"$(LIFEBOAT_VERSION)"'

# Rewritten only when LIFEBOAT_VERSION (git describe) changes: the agent has
# it compiled in and reports it, so a new commit makes the agent again.
$(B)/version.stamp: FORCE
	$(call write-stamp,$(LIFEBOAT_VERSION))

$(AGENT): $(AGENT_SRCS) $(AGENT_HDRS) agent/agent.mk $(B)/version.stamp $(BEARSSL) | $(MUSL_INC)/linux
	@echo "  CC      $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)musl-gcc $(AGENT_CFLAGS) -isystem $(MUSL_INC) -isystem $(BEARSSL_INC) -static -Wl,--gc-sections -s \
		-Wl,-Map=$@.map -o $@.tmp $(AGENT_SRCS) $(BEARSSL) && mv $@.tmp $@

# Host unit tests (cmocka), with AddressSanitizer and UBSan.
UNIT_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Wno-unused-parameter -Iagent -Icommon -isystem $(BEARSSL_INC) \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_PARSERS := agent/cmdline.c agent/ipconf.c agent/ip6conf.c agent/config.c agent/log.c agent/http.c agent/json.c \
	agent/tls.c agent/tlstrust.c agent/toolbox.c agent/linktree.c agent/fileio.c agent/kmsg.c agent/nexthop.c
UNIT_TESTS := $(B)/unit/test_cmdline $(B)/unit/test_ipconf $(B)/unit/test_ip6conf $(B)/unit/test_config $(B)/unit/test_json \
	$(B)/unit/test_http $(B)/unit/test_tls $(B)/unit/test_toolbox $(B)/unit/test_fileio $(B)/unit/test_kmsg \
	$(B)/unit/test_nexthop

# PID 1's mechanism on the host (forks, signals; no sanitizer runtime
# quirks with fork)
$(B)/unit/test_proc: agent/tests/test_proc.c agent/proc.c agent/log.c $(AGENT_HDRS)
	@echo "  CC      $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)gcc $(UNIT_CFLAGS) -o $@ $< agent/proc.c agent/log.c -lcmocka
UNIT_TESTS += $(B)/unit/test_proc

$(B)/unit/test_%: agent/tests/test_%.c $(UNIT_PARSERS) $(AGENT_HDRS) $(BEARSSL_HOST)
	@echo "  CC      $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)gcc $(UNIT_CFLAGS) -o $@ $< $(UNIT_PARSERS) $(BEARSSL_HOST) -lcmocka

# The agent's client on the host, for the TLS tests against lifeboatd
$(B)/unit/tls_probe: agent/tests/tls_probe.c $(UNIT_PARSERS) $(AGENT_HDRS) $(BEARSSL_HOST)
	@echo "  CC      $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)gcc $(UNIT_CFLAGS) -o $@ $< $(UNIT_PARSERS) $(BEARSSL_HOST)

FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
$(B)/fuzz/fuzz_cmdline: agent/tests/fuzz_cmdline.c $(UNIT_PARSERS) $(AGENT_HDRS) $(BEARSSL_HOST)
	@echo "  CLANG   $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)clang $(FUZZ_CFLAGS) -Iagent -Icommon -isystem $(BEARSSL_INC) -o $@ $< $(UNIT_PARSERS) $(BEARSSL_HOST)

# The agent must carry the version this tree is at, not the one it was
# first built at (fails in a tree built before a commit if the stamp breaks).
version-check:
	$(Q)tr '\0' '\n' < $(AGENT) | grep -qxF -- '$(LIFEBOAT_VERSION)' \
		|| { echo "lifeboat: cannot find version $(LIFEBOAT_VERSION) in $(AGENT): it was built at another commit"; exit 1; }
	@echo "  VERSION $(AGENT): $(LIFEBOAT_VERSION)"
