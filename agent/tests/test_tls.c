/* What the agent trusts: the image's CA file and lifeboat.tlspin=, parsed
 * from strings. (The handshake itself: test-qemu/test_agent_tls.py.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <bearssl.h>

#include "config.h"
#include "tls.h"

/* openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256
 * -subj "/CN=Unit Test CA" -addext basicConstraints=critical,CA:TRUE */
static const char CA_PEM[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBhTCCASugAwIBAgIUFeladX1HBQ40O3daw4589DBgRmowCgYIKoZIzj0EAwIw\n"
	"FzEVMBMGA1UEAwwMVW5pdCBUZXN0IENBMCAXDTI2MTEyMzE1MjQzNloYDzIxMjYx\n"
	"MDMwMTUyNDM2WjAXMRUwEwYDVQQDDAxVbml0IFRlc3QgQ0EwWTATBgcqhkjOPQIB\n"
	"BggqhkjOPQMBBwNCAAQS8JotXW0CayJo3zgYZ0sfjdykXuFRUIyBg3+xGWi7sNi4\n"
	"NbDlvVWQ96DGeI5xaNQDMFuYcBwfnkhD2YJQyQ+Jo1MwUTAdBgNVHQ4EFgQUlLHO\n"
	"+RdfTOTop+VGZ5oZ44kzf2QwHwYDVR0jBBgwFoAUlLHO+RdfTOTop+VGZ5oZ44kz\n"
	"f2QwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiAYb8bMJrsZpETB\n"
	"KXbwVUIhB/FbuOhSk0p1ar5lOcu1ZwIhAJnMi6hAbR/TLfo+DD44Ex+vWvQqmWrP\n"
	"/qmavq+v/7mC\n"
	"-----END CERTIFICATE-----\n";

static struct tls_trust trust;

static void expect_err(const char *pem, const char *want)
{
	char err[256] = "";

	memset(&trust, 0, sizeof(trust));
	assert_true(tls_trust_add_pem(&trust, pem, "ca.crt", err, sizeof(err)) < 0);
	if (strstr(err, want) == NULL) {
		fail_msg("'%s' lacks '%s'", err, want);
	}
	assert_int_equal(trust.nca, 0);
}

static void test_ca_file(void **state)
{
	static char two[sizeof(CA_PEM) * 2 + 64];
	char err[256] = "";

	memset(&trust, 0, sizeof(trust));
	assert_int_equal(tls_trust_add_pem(&trust, CA_PEM, "ca.crt", err, sizeof(err)), 0);
	assert_int_equal(trust.nca, 1);
	assert_int_equal(trust.ca[0].key_type, BR_KEYTYPE_EC);
	assert_int_equal(trust.ca[0].curve, BR_EC_secp256r1);
	assert_int_equal(trust.ca[0].n_len, 65); /* uncompressed P-256 point */
	assert_true(trust.ca[0].is_ca);
	assert_true(trust.ca[0].dn_len > 10);
	assert_string_equal(trust.ca_source, "ca.crt");
	/* a bundle, with text around the blocks as openssl leaves it */
	snprintf(two, sizeof(two), "subject=CN = Unit Test CA\n%sanother\n%s", CA_PEM, CA_PEM);
	memset(&trust, 0, sizeof(trust));
	assert_int_equal(tls_trust_add_pem(&trust, two, "bundle", err, sizeof(err)), 0);
	assert_int_equal(trust.nca, 2);
}

static void test_ca_file_bad(void **state)
{
	static char cut[sizeof(CA_PEM)], garbled[sizeof(CA_PEM)];

	expect_err("", "no CERTIFICATE in it");
	expect_err("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "no CERTIFICATE in it");
	memcpy(cut, CA_PEM, 200);
	expect_err(cut, "cut short");
	memcpy(garbled, CA_PEM, sizeof(CA_PEM));
	memcpy(garbled + 28, "AAAA", 4); /* the outer SEQUENCE tag */
	expect_err(garbled, "certificate 1 cannot be decoded");
}

static void test_pin(void **state)
{
	static const uint8_t want[TLS_PIN_LEN] = {
		0x31, 0x0B, 0x44, 0x8A, 0x52, 0xDF, 0xDF, 0xA3, 0xE2, 0x95, 0xA1, 0x7F, 0x0C, 0x58, 0x33, 0x2A,
		0xCA, 0xEA, 0x2B, 0x1A, 0x75, 0x3D, 0x34, 0xA4, 0xBC, 0x49, 0x78, 0xAE, 0xC2, 0xBC, 0xD9, 0x8A,
	};
	uint8_t pin[TLS_PIN_LEN];
	char err[256], text[80];

	/* as openssl x509 -fingerprint -sha256 prints it, and plain */
	assert_int_equal(tls_pin_parse("sha256:31:0B:44:8A:52:DF:DF:A3:E2:95:A1:7F:0C:58:33:2A:CA:EA:2B:1A:75:3D:"
				       "34:A4:BC:49:78:AE:C2:BC:D9:8A", pin, err, sizeof(err)), 0);
	assert_memory_equal(pin, want, TLS_PIN_LEN);
	tls_pin_format(pin, text, sizeof(text));
	assert_string_equal(text, "sha256:310b448a52dfdfa3e295a17f0c58332acaea2b1a753d34a4bc4978aec2bcd98a");
	assert_int_equal(tls_pin_parse(text, pin, err, sizeof(err)), 0);
	assert_memory_equal(pin, want, TLS_PIN_LEN);
	assert_int_equal(tls_pin_parse("md5:310b", pin, err, sizeof(err)), -EINVAL);
	assert_int_equal(tls_pin_parse("sha256:310b", pin, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "2 bytes, a SHA-256 has 32"));
	assert_int_equal(tls_pin_parse("sha256:310b448a52dfdfa3e295a17f0c58332acaea2b1a753d34a4bc4978aec2bcd98a00",
				       pin, err, sizeof(err)), -EINVAL);
	assert_int_equal(tls_pin_parse("sha256:zz0b448a52dfdfa3e295a17f0c58332acaea2b1a753d34a4bc4978aec2bcd98a",
				       pin, err, sizeof(err)), -EINVAL);
	assert_int_equal(tls_pin_parse("sha256::31", pin, err, sizeof(err)), -EINVAL);
}

static struct config cfg_with(const char *server, const char *keys, int pin)
{
	struct config c = config_defaults;

	snprintf(c.server, sizeof(c.server), "%s", server);
	snprintf(c.keys_url, sizeof(c.keys_url), "%s", keys);
	c.have_tlspin = pin;
	return c;
}

/* Never in clear once TLS is configured; never https without a way to
 * check the certificate. */
static void test_url_policy(void **state)
{
	struct config c;
	char err[256];

	c = cfg_with("http://10.0.2.2:8080", "http://10.0.2.2:8080/k", 0);
	assert_int_equal(config_url_allowed(&c, c.server, 0, err, sizeof(err)), 0);
	assert_int_equal(config_url_allowed(&c, c.keys_url, 0, err, sizeof(err)), 0);
	/* a CA in the image: plain http refused */
	assert_int_equal(config_url_allowed(&c, c.server, 1, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "refusing http://10.0.2.2:8080 in clear: TLS is configured (a CA in"));
	/* a pin on the command line: the same */
	c = cfg_with("http://10.0.2.2:8080", "", 1);
	assert_int_equal(config_url_allowed(&c, c.server, 0, err, sizeof(err)), -EPERM);
	/* one https URL makes the other one https-only too */
	c = cfg_with("https://10.0.2.2:8443", "http://10.0.2.2:8080/k", 1);
	assert_int_equal(config_url_allowed(&c, c.server, 0, err, sizeof(err)), 0);
	assert_int_equal(config_url_allowed(&c, c.keys_url, 0, err, sizeof(err)), -EPERM);
	/* https with nothing to check the certificate with */
	c = cfg_with("https://10.0.2.2:8443", "", 0);
	assert_int_equal(config_url_allowed(&c, c.server, 0, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "nothing to check its certificate with"));
	assert_int_equal(config_url_allowed(&c, c.server, 1, err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ca_file),
		cmocka_unit_test(test_ca_file_bad),
		cmocka_unit_test(test_pin),
		cmocka_unit_test(test_url_policy),
	};
	return cmocka_run_group_tests_name("tls", tests, NULL, NULL);
}
