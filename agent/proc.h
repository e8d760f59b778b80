/* PID 1 process mechanism: signals read synchronously through a signalfd,
 * children spawned with the signal mask restored, every child reaped,
 * supervised services respawned with backoff. Nothing here ever exits. */
#ifndef LIFEBOAT_PROC_H
#define LIFEBOAT_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "clock.h" /* lb_mono_ms(): the clock of every deadline here */

struct spawn_opts {
	char *const *argv;
	const char *tty;    /* when set: new session, tty as controlling terminal and stdio */
	int stdout_fd;      /* when >= 0 (and no tty): becomes stdout */
};

/* The init phase's policy for its own failures: every signal but the
 * synchronous crash signals is blocked and read from a signalfd. If the
 * signalfd cannot be had, the same signals are read with sigtimedwait();
 * if they cannot even be blocked, children are still reaped every second
 * (shutdown signals are then lost). Either way init goes on: a rescue
 * system with weaker supervision beats a kernel panic. Returns 0 or the
 * failure (-errno), for the caller to say. As PID 1 it also installs the
 * crash handler (say so, keep reaping, never exit) and turns Ctrl-Alt-Del
 * into SIGINT. PROC_NO_SIGNALFD forces the fallback (tests). */
#define PROC_NO_SIGNALFD 1u
int proc_init(unsigned int flags);

/* Called on SIGHUP (the reporter's "keys fetched"; also kill -HUP 1). */
void proc_set_reload_hook(void (*hook)(void));

pid_t proc_spawn(const struct spawn_opts *o);

/* Runs argv, waits at most timeout_ms, captures stdout into out (NUL
 * terminated). Returns the exit status (>= 0) or -errno / -ETIMEDOUT. */
int proc_run(char *const *argv, char *out, size_t outlen, unsigned int timeout_ms);

/* Services PID 1's signals for ms milliseconds: reaps children, respawns
 * services that are due, acts on shutdown signals. */
void proc_sleep(unsigned int ms);

/* Supervised services: started now and restarted with backoff (1 s doubling
 * to 30 s) whenever they exit. Returns the service's id. */
int proc_service_add(const char *name, char *const *argv, const char *tty);

/* Sends sig to a running service; 0, or -ESRCH when it is not running. */
int proc_service_signal(int id, int sig);

/* PID 1's policy on SIGTERM/SIGINT (reboot), SIGUSR2 (power off), SIGUSR1
 * (halt): the hook runs first (e.g. to report), then proc_shutdown(). */
void proc_set_shutdown_hook(void (*hook)(const char *what));

/* Mechanism: stop services, kill everything, sync, unmount every mount
 * (read-only remount when busy), then reboot(how). Never returns. */
void proc_shutdown(int how, const char *what) __attribute__((noreturn));

#endif
