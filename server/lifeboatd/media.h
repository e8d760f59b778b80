/* A session's rescue ISO for virtual media, and its eject (media.c). */
#ifndef LIFEBOAT_LIFEBOATD_MEDIA_H
#define LIFEBOAT_LIFEBOATD_MEDIA_H

#include "lifeboatd/http.h"

/* The file in payload_dir that make builds (iso/mkiso.sh media). */
#define LB_MEDIA_ISO "lifeboat-media.iso"

enum MHD_Result handle_media(struct MHD_Connection *c, struct req *r, const char *rest);

/* The thread that ejects (after SSH is up); started before the
 * listeners, stopped after them. 0 or -errno. */
int media_eject_start(void);
void media_eject_stop(void);

/* Queues the eject of the rescue ISO of mac's session (once). */
void media_eject_later(const char *mac, long long session);

#endif
