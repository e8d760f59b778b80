/* Webhooks (webhook.c; core/webhook.h has the events and the signature). */
#ifndef LIFEBOAT_LIFEBOATD_WEBHOOK_H
#define LIFEBOAT_LIFEBOATD_WEBHOOK_H

#include <stddef.h>

/* With webhook_url: reads the secret, follows the store's events and
 * starts the sending thread (before the listeners). 0 or -errno with err. */
int webhook_start(char *err, size_t errlen);
/* Stops the thread (what is still queued is said, not sent). */
void webhook_stop(void);

#endif
