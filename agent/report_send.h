/* The reporter (`lifeboat report`, a supervised child of PID 1, so the
 * network never delays SSH): sends status reports and fetches
 * lifeboat.keys=, over TLS when configured, and retries with backoff. */
#ifndef LIFEBOAT_REPORT_SEND_H
#define LIFEBOAT_REPORT_SEND_H

/* Runs until killed. */
int report_main(void);

#endif
