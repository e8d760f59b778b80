/* What a driver needs to reach a BMC, and the operations (power.h has
 * the entry point; store/bmc.h keeps these). */
#ifndef LIFEBOAT_POWER_BMC_H
#define LIFEBOAT_POWER_BMC_H

#define BMC_CA_MAX 8192

struct bmc {
	char driver[16];    /* "ipmi", "redfish" */
	char address[254];  /* ipmi: a host name or IPv4 address; redfish: https://host[:port] */
	unsigned int port;  /* ipmi: 623 */
	char user[65];      /* ipmi: at most 16 bytes */
	char password[129]; /* ipmi 2.0: at most 20 bytes */
	char system[128];   /* redfish: the system's Id ("": the only one) */
	char pin[96];       /* redfish: sha256//BASE64 of the BMC's public key ("": none) */
	char ca[BMC_CA_MAX];/* redfish: the BMC's CA certificates, PEM ("": none) */
	int insecure;       /* redfish: no certificate check at all (said in every answer) */
	int console;        /* ipmi: capture its serial console over SOL (lifeboatd/console.c) */
	unsigned int cipher;/* ipmi: lanplus cipher suite 1..17 (-C); 0: ipmitool's own choice */
	/* what the host is known by (bmc_load; never stored with the BMC):
	 * redfish chooses its system among several by them */
	char host_mac[18];
	char host_serial[65];
};

/* POWER_BOOT_PXE, POWER_BOOT_CD: the next boot (once) from the network,
 * from the virtual CD */
enum power_op { POWER_STATUS, POWER_ON, POWER_OFF, POWER_CYCLE, POWER_BOOT_PXE, POWER_BOOT_CD };

#define POWER_TIMEOUT_MS 30000

#endif
