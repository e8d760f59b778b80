/* Attached to a host's console (attach.h): the live stream printed as it
 * comes, and with --write what is typed sent to it. On a terminal,
 * typing is in raw mode (Ctrl-C goes to the host, as on its own console)
 * and "~." leaves; the terminal is restored however it ends. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "lifeboatctl/attach.h"
#include "store/console.h"

size_t escape_scan(struct escape *e, const char *in, size_t n, char *out, int *leave)
{
	size_t o = 0, i;

	*leave = 0;
	for (i = 0; i < n; i++) {
		char ch = in[i];

		if (e->pending) {
			e->pending = 0;
			if (ch == '.') {
				*leave = 1;
				return o;
			}
			if (ch != '~') {
				out[o++] = '~';
			}
		} else if (e->line_start && ch == '~') {
			e->pending = 1;
			continue;
		}
		out[o++] = ch;
		e->line_start = ch == '\r' || ch == '\n';
	}
	return o;
}

static struct {
	const struct backend *be;
	const char *mac;
	volatile int stop;
	int tty;                    /* stdin is a terminal, in raw mode */
	struct termios saved;
	struct escape esc;
} at;

static void restore_terminal(void)
{
	if (at.tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &at.saved);
		at.tty = 0;
	}
}

static void on_signal(int sig)
{
	(void)sig;
	at.stop = 1; /* the stream notices within a second; the terminal is restored then */
}

static int print_line(const char *line, void *ctx)
{
	(void)ctx;
	fputs(line, stdout);
	fputs(at.tty ? "\r\n" : "\n", stdout); /* raw mode: no CR of the terminal's own */
	fflush(stdout);
	return 0;
}

static void *typing(void *arg)
{
	char in[CONSOLE_INPUT_MAX / 2], out[CONSOLE_INPUT_MAX / 2 + 1], err[700];
	int leave = 0;

	(void)arg;
	while (!at.stop && !leave) {
		ssize_t n = read(STDIN_FILENO, in, sizeof(in));
		size_t o;

		if (n <= 0) {
			if (n < 0 && errno == EINTR) {
				continue;
			}
			break; /* the end of what was typed: the console is still followed */
		}
		o = escape_scan(&at.esc, in, (size_t)n, out, &leave);
		if (o > 0 && at.be->console_type(at.mac, out, o, err, sizeof(err)) < 0) {
			fprintf(stderr, "lifeboatctl: %s%s", err, at.tty ? "\r\n" : "\n");
		}
	}
	if (leave) {
		at.stop = 1;
	}
	return NULL;
}

int console_attach(const struct backend *be, const char *mac, int raw, int write)
{
	struct sigaction sa = { .sa_handler = on_signal };
	char err[700] = "";
	pthread_t typist;
	int rc;

	at.be = be;
	at.mac = mac;
	at.esc.line_start = 1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (!write) {
		sigaction(SIGINT, &sa, NULL);
	}
	if (write && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &at.saved) == 0) {
		struct termios t = at.saved;

		cfmakeraw(&t);
		if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) == 0) {
			at.tty = 1;
			atexit(restore_terminal);
		}
	}
	fprintf(stderr, "lifeboatctl: the console of %s as it comes (%s)%s", mac,
		write ? "what you type goes to it; ~. to leave" : "Ctrl-C to leave", at.tty ? "\r\n" : "\n");
	if (write && pthread_create(&typist, NULL, typing, NULL) != 0) {
		restore_terminal();
		fprintf(stderr, "lifeboatctl: cannot read what is typed\n");
		return 1;
	}
	rc = be->console_follow(mac, raw, print_line, NULL, &at.stop, err, sizeof(err));
	restore_terminal();
	if (rc < 0 && !at.stop) {
		fprintf(stderr, "lifeboatctl: %s\n", err);
		return 1;
	}
	return 0; /* the typist may still wait in read(): it ends with us */
}
