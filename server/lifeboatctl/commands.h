/* lifeboatctl's commands (commands.c): one table, each row with its
 * positional arguments, its option table (options.h), where it may run,
 * and its function. */
#ifndef LIFEBOAT_CTL_COMMANDS_H
#define LIFEBOAT_CTL_COMMANDS_H

#include <stdio.h>

#include "lifeboatctl/backend.h"
#include "lifeboatctl/options.h"

/* Every option any command has; a command's table names those it takes. */
struct cmd_args {
	struct opt_rest r;          /* positional arguments, and what follows "--" */
	int once, nat, keys_only, reset, media;
	long long seconds;          /* rescue --for; 0: the server's session_timeout */
	struct opt_list keys;       /* rescue --key FILE... */
	const char *host_name;      /* known-hosts --host */
	const char *address, *user, *password_file;
	const char *driver, *system, *ca_file, *pin; /* bmc */
	int insecure, console;
	long long port, cipher;     /* bmc */
	const char *via, *identity;
	long long deadline;         /* ssh */
	const char *server, *subnet, *tftp, *ipxe, *ipv6, *ipv6_mode; /* dhcp-config */
	int trust_owner;            /* import-json */
	const char *since;          /* logs --since DURATION */
	int bundle;                 /* logs --bundle */
	int raw;                    /* console --raw */
	int write;                  /* console --write */
};

enum cmd_where {
	CMD_HOSTS,   /* the hosts: the state directory, the control socket, or --server */
	CMD_STATE,   /* the state directory's database on the boot server only */
	CMD_OFFLINE, /* needs no state at all */
};

struct cmd {
	const char *name;
	const char *args;           /* the positional arguments, for usage */
	int min_args, max_args;
	enum cmd_where where;
	const struct opt *opts;     /* NULL: none */
	int takes_command;          /* "-- COMMAND..." after the options */
	const char *help;
	int (*run)(const struct backend *be, struct cmd_args *a);
};

/* The command called name, or NULL. */
const struct cmd *cmd_find(const char *name);

/* Parses argv (what follows the command's name) into a. 0, or 2 (main's
 * exit code) after saying what is wrong and the command's usage. */
int cmd_parse(const struct cmd *c, int argc, char **argv, struct cmd_args *a);

/* The usage of every command; 0 for stdout, 2 for stderr. */
int cmd_usage(FILE *f);

#endif
