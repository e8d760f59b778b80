/* What redfish.c (power, boot) and redfish_media.c (virtual media) share:
 * the system found from the service root, with the quirks of its BMC. */
#ifndef LIFEBOAT_REDFISH_SYS_H
#define LIFEBOAT_REDFISH_SYS_H

#include "power/redfish_http.h"

enum {
	/* send BootSourceOverrideEnabled with every override, not only when
	 * it changes (the BMC falls back to its own default without it) */
	RFQ_ENABLED_ALWAYS = 1 << 0,
	/* 400 UnableToModifyDuringSystemPOST: the BMC takes no boot override
	 * while the host is in POST: wait and try again */
	RFQ_RETRY_DURING_POST = 1 << 1,
	/* InsertMedia with Image alone: the BMC refuses Inserted and
	 * WriteProtected (which default to true) */
	RFQ_MEDIA_BARE = 1 << 2,
	/* the virtual CD is the override target UsbCd (when the system
	 * allows it; Cd is its physical drive) */
	RFQ_CD_IS_USBCD = 1 << 3,
	/* the override target Cd is the physical drive; the virtual CD needs
	 * the vendor's OEM boot (virtual media is refused) */
	RFQ_CD_IS_PHYSICAL = 1 << 4,
};

struct sys {
	char path[512];      /* /redfish/v1/Systems/<id> */
	char vendor[64];
	unsigned int quirks;
};

/* GET path: 0 with rep (free it) when the BMC answered 200, else -errno
 * with err naming what (nothing to free). */
int rf_get(struct rf *r, const char *path, const char *what, struct rf_reply *rep);

/* The service root's system: the configured Id, or the only one; else
 * -ENOENT with err naming the candidates. Sets the quirks. */
int rf_find_system(struct rf *r, struct sys *s);

/* A 202's task monitor, followed until it is done or the conversation's
 * deadline: 0, or -errno with err (what failed, the task's state). */
int rf_follow_task(struct rf *r, const char *monitor, const char *what);

#endif
