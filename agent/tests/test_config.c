#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "config.h"

static char reported[8][512];
static int nreported;

static void collect(const char *msg)
{
	if (nreported < 8) {
		strcpy(reported[nreported], msg);
	}
	nreported++;
}

static int load(const char *text, struct config *cfg, struct cmdline *cl)
{
	nreported = 0;
	assert_int_equal(cmdline_parse(text, cl, NULL, 0), 0);
	return config_from_cmdline(cl, cfg, collect);
}

static void test_defaults(void **state)
{
	struct config cfg;
	struct cmdline cl;

	assert_int_equal(load("console=ttyS0 quiet", &cfg, &cl), 0);
	assert_int_equal(cfg.have_ip, 0);
	assert_int_equal(cfg.carrier_timeout, 15);
	assert_int_equal(cfg.dhcp_timeout, 30);
	assert_int_equal(cfg.nsshkeys, 0);
	cmdline_free(&cl);
}

static void test_all_known(void **state)
{
	struct config cfg;
	struct cmdline cl;

	assert_int_equal(load("ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off BOOTIF=01-52-54-00-12-34-56 "
			      "lifeboat.sshkey=\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA me@x\" "
			      "lifeboat.sshkey=\"ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB\" "
			      "lifeboat.carrier_timeout=3 lifeboat.dhcp_timeout=60 lifeboat.netconsole=6666", &cfg, &cl), 0);
	assert_int_equal(cfg.netconsole, 6666);
	assert_int_equal(cfg.have_ip, 1);
	assert_int_equal(cfg.ip.method, IPCONF_STATIC);
	assert_int_equal(cfg.have_bootif, 1);
	assert_int_equal(cfg.bootif[5], 0x56);
	assert_int_equal(cfg.nsshkeys, 2);
	assert_string_equal(cfg.sshkeys[0], "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA me@x");
	assert_int_equal(cfg.carrier_timeout, 3);
	assert_int_equal(cfg.dhcp_timeout, 60);
	cmdline_free(&cl);
}

static void test_bad_arguments_reported_and_defaults_kept(void **state)
{
	struct config cfg;
	struct cmdline cl;

	assert_int_equal(load("ip=10.0.0.999 lifeboat.carrier_timeout=soon lifeboat.colour=red "
			      "lifeboat.sshkey=\"ssh-dss AAAAB3NzaC1kc3MAAACBAP\" lifeboat.dhcp_timeout "
			      "BOOTIF=zz", &cfg, &cl), 6);
	assert_int_equal(nreported, 6);
	assert_non_null(strstr(reported[0], "cannot use argument ip: field 1 (client-ip): '10.0.0.999'"));
	assert_non_null(strstr(reported[1], "cannot use argument lifeboat.carrier_timeout: 'soon' is not a number"));
	assert_non_null(strstr(reported[2], "lifeboat.colour: unknown lifeboat. argument"));
	assert_non_null(strstr(reported[3], "key type 'ssh-dss' is not supported"));
	assert_non_null(strstr(reported[4], "lifeboat.dhcp_timeout: it needs a value"));
	assert_non_null(strstr(reported[5], "BOOTIF"));
	assert_int_equal(cfg.have_ip, 0);
	assert_int_equal(cfg.have_bootif, 0);
	assert_int_equal(cfg.carrier_timeout, 15);
	assert_int_equal(cfg.nsshkeys, 0);
	cmdline_free(&cl);
}

static void test_netconsole_port(void **state)
{
	struct config cfg;
	struct cmdline cl;

	assert_int_equal(load("console=ttyS0", &cfg, &cl), 0);
	assert_int_equal(cfg.netconsole, 0); /* none unless lifeboatd says */
	cmdline_free(&cl);
	assert_int_equal(load("lifeboat.netconsole=0 lifeboat.netconsole=65536 lifeboat.netconsole=66x", &cfg, &cl), 3);
	assert_non_null(strstr(reported[0], "'0' is not a UDP port from 1 to 65535"));
	assert_non_null(strstr(reported[2], "'66x' is not a UDP port"));
	assert_int_equal(cfg.netconsole, 0);
	cmdline_free(&cl);
}

static void test_sshkey_checks(void **state)
{
	char err[256];

	assert_int_equal(config_check_sshkey("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA", err, sizeof(err)), 0);
	assert_int_equal(config_check_sshkey("ssh-ed25519", err, sizeof(err)) < 0, 1);
	assert_int_equal(config_check_sshkey("ssh-ed25519 AAAA", err, sizeof(err)) < 0, 1);
	assert_int_equal(config_check_sshkey("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA!x", err, sizeof(err)) < 0, 1);
	/* a newline would inject a second authorized_keys line */
	assert_int_equal(config_check_sshkey("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA x\ncommand=\"sh\" ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB",
					     err, sizeof(err)) < 0, 1);
	assert_non_null(strstr(err, "control character"));
	assert_int_equal(config_check_sshkey("command=\"/bin/sh\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA",
					     err, sizeof(err)) < 0, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_known),
		cmocka_unit_test(test_bad_arguments_reported_and_defaults_kept),
		cmocka_unit_test(test_sshkey_checks),
		cmocka_unit_test(test_netconsole_port),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
