/* make bench's stand-in for one BMC's Serial-over-LAN: what lifeboatd's
 * console worker runs as "ipmitool ... sol activate" (found first in the
 * PATH bench.py gives lifeboatd). 200 real SOL endpoints would be 200
 * BMC simulators each with a serial device behind it; what lifeboatd pays
 * for is the same either way (a process on a terminal, its lines cut,
 * stored and read), so this prints a console's lines at FAKE_SOL_MS
 * intervals (default 100 ms) until its terminal goes away. Anything but
 * "sol activate" succeeds at once ("sol deactivate", the first call). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
	const char *ms = getenv("FAKE_SOL_MS");
	long every = ms != NULL ? atol(ms) : 100;
	struct timespec ts = { every / 1000, (every % 1000) * 1000000L };
	unsigned long n;

	if (argc < 3 || strcmp(argv[argc - 2], "sol") != 0 || strcmp(argv[argc - 1], "activate") != 0) {
		return 0;
	}
	signal(SIGPIPE, SIG_DFL);
	printf("[SOL Session operational.  Use ~? for help]\r\n");
	for (n = 1;; n++) {
		if (printf("[%8lu.000000] simulated console line %lu: the quick brown fox jumps over the lazy dog\r\n",
			   n, n) < 0 || fflush(stdout) != 0) {
			return 0; /* the terminal is gone */
		}
		nanosleep(&ts, NULL);
	}
}
