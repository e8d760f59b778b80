/* The redfish driver's virtual media: the system's virtual CD, an image
 * URL inserted into it, ejected again (as Ironic and sushy learnt it).
 *
 *   where        the system's VirtualMedia collection (newer BMCs,
 *                iDRAC 6+), else that of each manager of the system
 *                (Links.ManagedBy)
 *   which        the first member whose MediaTypes has CD, else DVD
 *                (Cisco UCS offers DVD only), with an InsertMedia action;
 *                a member that refuses (400, 405) gives way to the next
 *   insert       what is in it ejected first (Ironic always does: an
 *                iDRAC says Inserted for a while after an eject), then
 *                POST InsertMedia {Image, Inserted, WriteProtected}; with
 *                Image alone once more when the BMC refuses those two
 *                (Supermicro without a Vendor), with TransferProtocolType
 *                once more when it asks for it;
 *                a 5xx tried again twice, 3 s apart (an eject still
 *                running on an iDRAC); 202: the task followed
 *   eject        POST EjectMedia without a body, then with {} (iLO says
 *                415, iDRAC 400); a refusal while nothing is inserted is
 *                no failure
 *
 * Refused: Dell's iDRAC (a standard Cd override boots its physical
 * drive; its virtual CD needs Dell's OEM ImportSystemConfiguration, not
 * done). Not done (docs/server.md): BMCs without the InsertMedia action
 * (a PATCH of Image, older Lenovo). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/clock.h"
#include "core/json.h"
#include "power/drivers.h"
#include "power/redfish_sys.h"

#define MEDIA_SLOTS_MAX 16
#define MEDIA_RETRY_MS 3000

struct slot {
	char path[512];
	char insert[512];  /* the InsertMedia target */
	char eject[512];   /* the EjectMedia target ("" none) */
	char image[512];   /* what is in it ("" nothing) */
	int inserted;
};

/* MediaTypes (anything: not trusted to be an array) holds type. */
static int media_type(json_object *types, const char *type)
{
	return jarray_has(types, type, 1);
}

static void slot_from(const struct rf_reply *rep, const char *path, struct slot *sl)
{
	json_object *actions = jget(rep->body, "Actions");

	snprintf(sl->path, sizeof(sl->path), "%s", path);
	snprintf(sl->insert, sizeof(sl->insert), "%s", jstr(jget(actions, "#VirtualMedia.InsertMedia"), "target"));
	snprintf(sl->eject, sizeof(sl->eject), "%s", jstr(jget(actions, "#VirtualMedia.EjectMedia"), "target"));
	snprintf(sl->image, sizeof(sl->image), "%s", jstr(rep->body, "Image"));
	sl->inserted = json_object_get_boolean(jget(rep->body, "Inserted")) && sl->image[0] != '\0';
}

/* The CD (else DVD) members of one VirtualMedia collection with an
 * InsertMedia action, CDs first, into slots (n of them so far). */
static void collect_slots(struct rf *r, const char *collection, struct slot *slots, size_t *n)
{
	struct rf_reply list = { .status = 0 }, m = { .status = 0 };
	json_object *members = NULL;
	size_t i, cds = *n;
	int pass;

	if (collection[0] == '\0' || rf_call(r, "GET", collection, NULL, NULL, &list) < 0) {
		return;
	}
	if (list.status != 200 || !json_object_object_get_ex(list.body, "Members", &members) ||
	    !json_object_is_type(members, json_type_array)) {
		rf_reply_free(&list);
		return;
	}
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < json_object_array_length(members) && *n < MEDIA_SLOTS_MAX; i++) {
			const char *path = jstr(json_object_array_get_idx(members, i), "@odata.id");

			if (path[0] == '\0' || rf_call(r, "GET", path, NULL, NULL, &m) < 0) {
				continue;
			}
			if (m.status == 200 && (pass == 0 ? media_type(jget(m.body, "MediaTypes"), "CD") :
					       !media_type(jget(m.body, "MediaTypes"), "CD") &&
						       media_type(jget(m.body, "MediaTypes"), "DVD"))) {
				slot_from(&m, path, &slots[*n]);
				if (slots[*n].insert[0] != '\0') {
					(*n)++;
				}
			}
			rf_reply_free(&m);
		}
		if (pass == 0 && *n > cds) {
			break; /* a CD: no DVD needed */
		}
	}
	rf_reply_free(&list);
}

/* The virtual CDs of the system s: its own collection, else its managers'. */
static int find_slots(struct rf *r, const struct sys *s, struct slot *slots, size_t *n)
{
	struct rf_reply sysr = { .status = 0 }, mgr = { .status = 0 };
	json_object *managers = NULL;
	size_t i;
	int rc = rf_get(r, s->path, "GET the system", &sysr);

	if (rc < 0) {
		return rc;
	}
	*n = 0;
	collect_slots(r, jstr(jget(sysr.body, "VirtualMedia"), "@odata.id"), slots, n);
	managers = jget(jget(sysr.body, "Links"), "ManagedBy");
	for (i = 0; *n == 0 && json_object_is_type(managers, json_type_array) && i < json_object_array_length(managers);
	     i++) {
		if (rf_call(r, "GET", jstr(json_object_array_get_idx(managers, i), "@odata.id"), NULL, NULL, &mgr) == 0) {
			if (mgr.status == 200) {
				collect_slots(r, jstr(jget(mgr.body, "VirtualMedia"), "@odata.id"), slots, n);
			}
			rf_reply_free(&mgr);
		}
	}
	rf_reply_free(&sysr);
	if (*n == 0) {
		snprintf(r->err, r->errlen, "%s: the system has no virtual CD (no VirtualMedia with MediaTypes CD or DVD "
			 "and an InsertMedia action)", r->b->address);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* 0 when the answer is a success, following a 202's task. */
static int media_done(struct rf *r, struct rf_reply *rep, const char *what)
{
	if (rep->status == 202 && rep->location[0] != '\0') {
		char monitor[512];

		snprintf(monitor, sizeof(monitor), "%s", rep->location);
		return rf_follow_task(r, monitor, what);
	}
	return rep->status == 200 || rep->status == 202 || rep->status == 204 ? 0 : 1;
}

static int eject_slot(struct rf *r, struct slot *sl)
{
	struct rf_reply rep = { .status = 0 }, again = { .status = 0 };
	json_object *empty = NULL;
	int rc, tries;

	if (sl->eject[0] == '\0') {
		snprintf(r->err, r->errlen, "%s: the virtual CD has no EjectMedia action", r->b->address);
		return -EOPNOTSUPP;
	}
	for (tries = 0; tries < 2; tries++) {
		empty = tries == 0 ? NULL : json_object_new_object();
		rf_reply_free(&rep);
		rc = rf_call(r, "POST", sl->eject, empty, NULL, &rep);
		json_object_put(empty);
		if (rc < 0) {
			return rc;
		}
		rc = media_done(r, &rep, "eject the virtual CD");
		if (rc <= 0) {
			rf_reply_free(&rep);
			return rc;
		}
		if (rep.status != 415 && rep.status != 400) {
			break; /* the last refusal is kept for its words */
		}
	}
	/* refused: no failure when nothing is in it */
	if (rf_call(r, "GET", sl->path, NULL, NULL, &again) == 0) {
		if (again.status == 200 && !(json_object_get_boolean(jget(again.body, "Inserted")) &&
					       jstr(again.body, "Image")[0] != '\0')) {
			rf_reply_free(&again);
			rf_reply_free(&rep);
			return 0;
		}
		rf_reply_free(&again);
	}
	rc = rf_refused(r, "eject the virtual CD", &rep);
	rf_reply_free(&rep);
	return rc;
}

/* The BMC asks for TransferProtocolType (sushy: a GeneralError naming it,
 * or PropertyMissing / ActionParameterMissing). */
static int wants_protocol(const struct rf_reply *rep)
{
	const char *id = rf_message_id(rep);
	const char *text = json_object_to_json_string(rep->body);

	return rep->status == 400 && text != NULL && strstr(text, "TransferProtocolType") != NULL &&
	       (strstr(id, "GeneralError") != NULL || strstr(id, "PropertyMissing") != NULL ||
		strstr(id, "ActionParameterMissing") != NULL);
}

/* The BMC refuses Inserted or WriteProtected (a Supermicro that does
 * not say its Vendor). */
static int refuses_flags(const struct rf_reply *rep)
{
	const char *text = json_object_to_json_string(rep->body);

	return rep->status == 400 && text != NULL &&
	       (strstr(text, "Inserted") != NULL || strstr(text, "WriteProtected") != NULL);
}

static int insert_slot(struct rf *r, const struct sys *s, struct slot *sl, const char *image)
{
	struct rf_reply rep = { .status = 0 };
	struct timespec pause = { .tv_sec = MEDIA_RETRY_MS / 1000, .tv_nsec = 0 };
	json_object *body = NULL;
	int rc, protocol = 0, busy = 0, bare = (s->quirks & RFQ_MEDIA_BARE) != 0;

	for (;;) {
		body = json_object_new_object();
		json_object_object_add(body, "Image", json_object_new_string(image));
		if (!bare) {
			json_object_object_add(body, "Inserted", json_object_new_boolean(1));
			json_object_object_add(body, "WriteProtected", json_object_new_boolean(1));
		}
		if (protocol) {
			json_object_object_add(body, "TransferProtocolType",
					       json_object_new_string(strncmp(image, "https:", 6) == 0 ? "HTTPS" : "HTTP"));
		}
		rc = rf_call(r, "POST", sl->insert, body, NULL, &rep);
		json_object_put(body);
		if (rc < 0) {
			return rc;
		}
		rc = media_done(r, &rep, "insert the rescue ISO");
		if (rc <= 0) {
			rf_reply_free(&rep);
			return rc;
		}
		if (!bare && refuses_flags(&rep)) {
			bare = 1;
		} else if (!protocol && wants_protocol(&rep)) {
			protocol = 1;
		} else if (rep.status >= 500 && busy < 2 && lb_mono_ms() + MEDIA_RETRY_MS + 5000 < r->deadline) {
			busy++;
			nanosleep(&pause, NULL);
		} else {
			long status = rep.status;

			rc = rf_refused(r, "insert the rescue ISO", &rep);
			rf_reply_free(&rep);
			return status == 400 || status == 405 ? -EAGAIN : rc; /* -EAGAIN: the next slot */
		}
		rf_reply_free(&rep);
	}
}

int redfish_media(const struct bmc *b, const char *image, const char *mine, char *err, size_t errlen)
{
	struct rf r;
	struct sys s = { .path = "", .vendor = "", .quirks = 0 };
	struct slot slots[MEDIA_SLOTS_MAX];
	size_t n = 0, i;
	int rc = rf_open(&r, b, POWER_TIMEOUT_MS, err, errlen);

	if (rc < 0) {
		return rc;
	}
	rc = rf_find_system(&r, &s);
	if (rc == 0 && image != NULL && (s.quirks & RFQ_CD_IS_PHYSICAL)) {
		snprintf(err, errlen, "cannot boot %s from its virtual CD: a standard Cd override boots the physical drive "
			 "of a %s BMC (its OEM boot is not done): use --reset with PXE", b->address, s.vendor);
		rc = -EOPNOTSUPP;
	}
	if (rc == 0) {
		rc = find_slots(&r, &s, slots, &n);
	}
	for (i = 0; rc == 0 && i < n; i++) {
		if (image == NULL) {
			if (slots[i].inserted && (mine == NULL || strncmp(slots[i].image, mine, strlen(mine)) == 0)) {
				rc = eject_slot(&r, &slots[i]);
			}
			continue;
		}
		/* whatever is in it goes first, whatever it says */
		if (slots[i].eject[0] != '\0') {
			eject_slot(&r, &slots[i]);
		}
		rc = insert_slot(&r, &s, &slots[i], image);
		if (rc != -EAGAIN || i + 1 == n) {
			break;
		}
		rc = 0; /* this one refused: the next one */
	}
	if (rc == -EAGAIN) {
		rc = -EIO;
	}
	rf_close(&r);
	if (rc == -ENOENT) {
		rc = -EIO;
	}
	return rc;
}
