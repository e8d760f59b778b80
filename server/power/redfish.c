/* The redfish driver: power and a one-time boot override through a BMC's
 * Redfish service (redfish_http.h has the conversation).
 *
 *   the system   /redfish/v1 -> Systems -> the member whose Id is the
 *                configured one, or the only one; else an error naming
 *                the candidates
 *   power        PowerState; ComputerSystem.Reset with a ResetType the
 *                system allows (its @Redfish.AllowableValues, or its
 *                ActionInfo), a 202's task monitor followed to the end
 *   boot         PATCH Boot {BootSourceOverrideTarget: Pxe,
 *                BootSourceOverrideEnabled: Once} on the system, or on its
 *                @Redfish.Settings object, with If-Match: its ETag
 *
 * Vendor quirks are flags in one table (quirks[]), chosen by the service
 * root's Vendor, each with the BMC family it is for. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/clock.h"
#include "core/json.h"
#include "power/drivers.h"
#include "power/redfish_http.h"
#include "power/redfish_sys.h"

/* Each row as Ironic or sushy (OpenStack's Redfish client) learnt it. */
static const struct {
	const char *vendor;  /* the service root's Vendor (a prefix, any case) */
	const char *family;  /* what it is for */
	unsigned int flags;
} quirks[] = {
	/* ironic 4a7d50ce5: without Enabled it reverts to its own; sushy
	 * 11a6de24e: InsertMedia refuses Inserted/WriteProtected (X11, X12);
	 * sushy f7c873fe4: its virtual CD is UsbCd */
	{ "Supermicro", "Supermicro X11 and later", RFQ_ENABLED_ALWAYS | RFQ_MEDIA_BARE | RFQ_CD_IS_USBCD },
	/* ironic 54977a14d: wants the whole Boot request */
	{ "AMI", "AMI MegaRAC (ASRockRack and others)", RFQ_ENABLED_ALWAYS },
	/* ironic 2d253a04f: 400 UnableToModifyDuringSystemPOST during POST */
	{ "HPE", "HPE iLO 5/6", RFQ_RETRY_DURING_POST },
	/* sushy-oem-idrac 9aa444dcb: its virtual CD boots through
	 * ImportSystemConfiguration (FirstBootDevice VCD-DVD), not Cd */
	{ "Dell", "Dell iDRAC 9/10", RFQ_CD_IS_PHYSICAL },
};
/* Not flags, for every BMC: the override goes to @Redfish.Settings when
 * the system has one (iDRAC 10: sushy 0865ce5); a 412 is read again and
 * tried once more with the new ETag, then without If-Match (newer Lenovo
 * XCC and some AMI refuse even their own ETag: sushy's connector does the
 * same); Enabled is sent only when it changes (ironic aad54c245). */

#define POST_RETRY_MS 3000

/* GET path: 0 with rep (free it) when the BMC answered 200, else -errno
 * with err naming what (nothing to free). */
int rf_get(struct rf *r, const char *path, const char *what, struct rf_reply *rep)
{
	int rc = rf_call(r, "GET", path, NULL, NULL, rep);

	if (rc == 0 && rep->status != 200) {
		rc = rf_refused(r, what, rep);
		rf_reply_free(rep);
	}
	return rc;
}

/* The service root: the Systems collection and the vendor. */
/* A serial number that says nothing (the board maker left it). */
static int serial_says_something(const char *s)
{
	static const char *const blank[] = { "", "0", "None", "Default string", "To Be Filled By O.E.M.",
					     "Not Specified", "System Serial Number", "0123456789", "Not Applicable" };
	size_t i;

	for (i = 0; i < sizeof(blank) / sizeof(blank[0]); i++) {
		if (strcasecmp(s, blank[i]) == 0) {
			return 0;
		}
	}
	return 1;
}

/* 1 when the system at path has the host's serial number or one of its
 * interfaces the host's MAC, 0 when not, -errno when the BMC did not
 * answer. */
static int is_the_host(struct rf *r, const char *path)
{
	struct rf_reply sysr = { .status = 0 }, list = { .status = 0 }, nic = { .status = 0 };
	json_object *members = NULL;
	size_t i;
	int hit = 0, rc = rf_call(r, "GET", path, NULL, NULL, &sysr);

	if (rc < 0) {
		return rc;
	}
	if (sysr.status == 200) {
		hit = serial_says_something(r->b->host_serial) &&
		      strcmp(jstr(sysr.body, "SerialNumber"), r->b->host_serial) == 0;
		if (!hit && jstr(jget(sysr.body, "EthernetInterfaces"), "@odata.id")[0] != '\0' &&
		    rf_call(r, "GET", jstr(jget(sysr.body, "EthernetInterfaces"), "@odata.id"), NULL, NULL, &list) == 0) {
			if (list.status == 200 && json_object_object_get_ex(list.body, "Members", &members) &&
			    json_object_is_type(members, json_type_array)) {
				for (i = 0; !hit && i < json_object_array_length(members) && i < 16; i++) {
					const char *p = jstr(json_object_array_get_idx(members, i), "@odata.id");

					if (p[0] == '\0' || rf_call(r, "GET", p, NULL, NULL, &nic) < 0) {
						continue;
					}
					hit = nic.status == 200 && r->b->host_mac[0] != '\0' &&
					      (strcasecmp(jstr(nic.body, "MACAddress"), r->b->host_mac) == 0 ||
					       strcasecmp(jstr(nic.body, "PermanentMACAddress"), r->b->host_mac) == 0);
					rf_reply_free(&nic);
				}
			}
			rf_reply_free(&list);
		}
	}
	rf_reply_free(&sysr);
	return hit;
}

/* Among several systems and none configured: the host's (by serial
 * number or MAC). The number that are (path gets the last), or -errno
 * when the BMC did not answer. */
static int system_of_host(struct rf *r, json_object *members, char *path, size_t len)
{
	size_t i;
	int found = 0, rc;

	for (i = 0; i < json_object_array_length(members) && i < 16; i++) {
		const char *id = jstr(json_object_array_get_idx(members, i), "@odata.id");

		rc = id[0] != '\0' ? is_the_host(r, id) : 0;
		if (rc < 0) {
			return rc;
		}
		if (rc == 1) {
			snprintf(path, len, "%s", id);
			found++;
		}
	}
	return found;
}

int rf_find_system(struct rf *r, struct sys *s)
{
	struct rf_reply root = { .status = 0 }, list = { .status = 0 };
	json_object *members = NULL;
	char names[300] = "";
	size_t i, n, found = 0;
	int rc;

	rc = rf_get(r, "/redfish/v1", "GET /redfish/v1", &root);
	if (rc < 0) {
		return rc;
	}
	snprintf(s->vendor, sizeof(s->vendor), "%s", jstr(root.body, "Vendor"));
	for (i = 0; i < sizeof(quirks) / sizeof(quirks[0]); i++) {
		if (strncasecmp(s->vendor, quirks[i].vendor, strlen(quirks[i].vendor)) == 0) {
			s->quirks = quirks[i].flags;
		}
	}
	rc = rf_call(r, "GET", jstr(jget(root.body, "Systems"), "@odata.id")[0] ?
				       jstr(jget(root.body, "Systems"), "@odata.id") : "/redfish/v1/Systems",
		     NULL, NULL, &list);
	rf_reply_free(&root);
	if (rc < 0) {
		return rc;
	}
	if (list.status != 200 || !json_object_object_get_ex(list.body, "Members", &members) ||
	    !json_object_is_type(members, json_type_array)) {
		rc = list.status != 200 ? rf_refused(r, "GET the Systems collection", &list) : -EIO;
		if (list.status == 200) {
			snprintf(r->err, r->errlen, "%s: the Systems collection has no Members", r->b->address);
		}
		rf_reply_free(&list);
		return rc;
	}
	n = json_object_array_length(members);
	for (i = 0; i < n; i++) {
		const char *id = jstr(json_object_array_get_idx(members, i), "@odata.id"), *last = strrchr(id, '/');
		size_t used = strlen(names);

		last = last != NULL ? last + 1 : id;
		if (r->b->system[0] == '\0' ? n == 1 : strcmp(last, r->b->system) == 0) {
			snprintf(s->path, sizeof(s->path), "%s", id);
			found++;
		}
		snprintf(names + used, sizeof(names) - used, "%s%s", used ? ", " : "", last);
	}
	if (found == 0 && r->b->system[0] == '\0' && n > 1) {
		rc = system_of_host(r, members, s->path, sizeof(s->path));
		if (rc < 0) {
			rf_reply_free(&list);
			return rc;
		}
		found = (size_t)rc;
	}
	rf_reply_free(&list);
	if (found == 1) {
		return 0;
	}
	if (r->b->system[0] == '\0' && n > 1) {
		if (found > 1) {
			snprintf(r->err, r->errlen, "%s has %zu systems (%s), %zu with the host's MAC or serial number: "
				 "choose one with --system ID", r->b->address, n, names, found);
		} else {
			snprintf(r->err, r->errlen, "%s has %zu systems (%s), none with the host's MAC %s%s%s: choose one "
				 "with --system ID", r->b->address, n, names, r->b->host_mac,
				 r->b->host_serial[0] ? " or serial number " : "", r->b->host_serial);
		}
		return -ENOENT;
	}
	if (r->b->system[0] != '\0') {
		snprintf(r->err, r->errlen, "%s has no system %s (it has: %s)", r->b->address, r->b->system,
			 names[0] ? names : "none");
	} else {
		snprintf(r->err, r->errlen, "%s has %zu systems (%s): choose one with --system ID", r->b->address, n,
			 names[0] ? names : "none");
	}
	return -ENOENT;
}

static int get_system(struct rf *r, const struct sys *s, struct rf_reply *rep)
{
	return rf_get(r, s->path, "GET the system", rep);
}

/* The ResetTypes the system allows: from the action itself, or from its
 * ActionInfo; NULL when it says nothing (then the standard ones are
 * tried). A new reference. */
static json_object *allowed_resets(struct rf *r, json_object *action)
{
	json_object *v = NULL, *params = NULL;
	struct rf_reply info = { .status = 0 };
	size_t i;

	if (json_object_object_get_ex(action, "ResetType@Redfish.AllowableValues", &v)) {
		return json_object_get(v); /* allows() takes only an array of strings of it */
	}
	if (jstr(action, "@Redfish.ActionInfo")[0] == '\0' ||
	    rf_call(r, "GET", jstr(action, "@Redfish.ActionInfo"), NULL, NULL, &info) < 0) {
		return NULL;
	}
	v = NULL;
	if (info.status == 200 && json_object_object_get_ex(info.body, "Parameters", &params) &&
	    json_object_is_type(params, json_type_array)) {
		for (i = 0; i < json_object_array_length(params); i++) {
			json_object *p = json_object_array_get_idx(params, i);

			if (strcmp(jstr(p, "Name"), "ResetType") == 0 && json_object_object_get_ex(p, "AllowableValues", &v)) {
				v = json_object_get(v);
				break;
			}
			v = NULL;
		}
	}
	rf_reply_free(&info);
	return v;
}

/* allowed: what the BMC said (anything: it is not trusted to be an
 * array of strings); NULL allows every type. */
static int allows(json_object *allowed, const char *type)
{
	return allowed == NULL || jarray_has(allowed, type, 0);
}

/* A 202's task monitor, followed until it answers something else or the
 * conversation's deadline passes. */
static int task_running(const struct rf_reply *t)
{
	static const char *const running[] = { "New", "Starting", "Running", "Pending", "Stopping", "Suspended",
					       "Interrupted", "Service" };
	const char *state = jstr(t->body, "TaskState");
	size_t i;

	if (t->status == 202) {
		return 1;
	}
	for (i = 0; t->status == 200 && i < sizeof(running) / sizeof(running[0]); i++) {
		if (strcmp(state, running[i]) == 0) {
			return 1;
		}
	}
	return 0;
}

int rf_follow_task(struct rf *r, const char *monitor, const char *what)
{
	struct rf_reply t = { .status = 0 };
	struct timespec pause = { .tv_sec = 0, .tv_nsec = 500 * 1000000L };
	int rc;

	for (;;) {
		rc = rf_call(r, "GET", monitor, NULL, NULL, &t);
		if (rc < 0) {
			return rc;
		}
		if (!task_running(&t)) {
			break;
		}
		rf_reply_free(&t);
		/* the last polls keep time for the answer and the logout */
		if (lb_mono_ms() + 2500 >= r->deadline) {
			snprintf(r->err, r->errlen, "%s: %s: its task did not finish within %d s", r->b->address, what,
				 POWER_TIMEOUT_MS / 1000);
			return -EIO;
		}
		nanosleep(&pause, NULL);
	}
	rc = 0;
	if (t.status >= 300) {
		rc = rf_refused(r, what, &t);
	} else if (strcasecmp(jstr(t.body, "TaskState"), "Exception") == 0 ||
		   strcasecmp(jstr(t.body, "TaskState"), "Killed") == 0 ||
		   strcasecmp(jstr(t.body, "TaskState"), "Cancelled") == 0 ||
		   strcasecmp(jstr(t.body, "TaskStatus"), "Critical") == 0) {
		rc = rf_refused(r, what, &t);
		snprintf(r->err + strlen(r->err), r->errlen - strlen(r->err), " (task %s)", jstr(t.body, "TaskState"));
	}
	rf_reply_free(&t);
	return rc;
}

/* op -> the first ResetType the system allows, in the order a careful
 * client prefers (a cycle of a host that is off is an On). */
static const char *reset_type(enum power_op op, int on, json_object *allowed)
{
	static const char *const prefs[][3] = {
		[POWER_ON] = { "On", "ForceOn", NULL },
		[POWER_OFF] = { "ForceOff", "GracefulShutdown", NULL },
		[POWER_CYCLE] = { "PowerCycle", "ForceRestart", "GracefulRestart" },
	};
	size_t i;

	if (op == POWER_CYCLE && !on) {
		op = POWER_ON;
	}
	for (i = 0; i < 3 && prefs[op][i] != NULL; i++) {
		if (allows(allowed, prefs[op][i])) {
			return prefs[op][i];
		}
	}
	return NULL;
}

/* POST ComputerSystem.Reset {ResetType: type}, its task followed. */
static int post_reset(struct rf *r, const char *target, const char *type)
{
	struct rf_reply rep = { .status = 0 };
	json_object *body = json_object_new_object();
	char what[64];
	int rc;

	json_object_object_add(body, "ResetType", json_object_new_string(type));
	rc = rf_call(r, "POST", target, body, NULL, &rep);
	json_object_put(body);
	if (rc < 0) {
		return rc;
	}
	snprintf(what, sizeof(what), "reset %s", type);
	if (rep.status == 202 && rep.location[0] != '\0') {
		char monitor[512];

		snprintf(monitor, sizeof(monitor), "%s", rep.location);
		rf_reply_free(&rep);
		return rf_follow_task(r, monitor, what);
	}
	rc = rep.status == 200 || rep.status == 202 || rep.status == 204 ? 0 : rf_refused(r, what, &rep);
	rf_reply_free(&rep);
	return rc;
}

/* Until the system says PowerState Off, keeping time for the On. */
static int wait_off(struct rf *r, const struct sys *s)
{
	struct timespec pause = { .tv_sec = 1, .tv_nsec = 0 };
	struct rf_reply sysr = { .status = 0 };
	int rc, off;

	for (;;) {
		rc = get_system(r, s, &sysr);
		if (rc < 0) {
			return rc;
		}
		off = strcasecmp(jstr(sysr.body, "PowerState"), "Off") == 0;
		rf_reply_free(&sysr);
		if (off) {
			return 0;
		}
		if (lb_mono_ms() + 8000 >= r->deadline) {
			snprintf(r->err, r->errlen, "%s: the system did not go off for the power cycle within %d s",
				 r->b->address, POWER_TIMEOUT_MS / 1000);
			return -EIO;
		}
		nanosleep(&pause, NULL);
	}
}

static int do_reset(struct rf *r, const struct sys *s, enum power_op op)
{
	struct rf_reply sysr = { .status = 0 };
	json_object *actions = NULL, *action = NULL, *allowed = NULL;
	const char *type = NULL;
	char target[512];
	int rc = get_system(r, s, &sysr), on;

	if (rc < 0) {
		return rc;
	}
	on = strcasecmp(jstr(sysr.body, "PowerState"), "Off") != 0;
	if (!json_object_object_get_ex(sysr.body, "Actions", &actions) ||
	    !json_object_object_get_ex(actions, "#ComputerSystem.Reset", &action)) {
		snprintf(r->err, r->errlen, "%s: the system has no ComputerSystem.Reset action", r->b->address);
		rf_reply_free(&sysr);
		return -EIO;
	}
	snprintf(target, sizeof(target), "%s", jstr(action, "target"));
	if (target[0] == '\0' || (op == POWER_ON && on) || (op == POWER_OFF && !on)) {
		rf_reply_free(&sysr);
		if (target[0] != '\0') {
			return 0; /* already so: a reset would only be refused */
		}
		snprintf(r->err, r->errlen, "%s: the system's ComputerSystem.Reset has no target", r->b->address);
		return -EIO;
	}
	allowed = allowed_resets(r, action);
	type = reset_type(op, on, allowed);
	if (type == NULL && op == POWER_CYCLE && allows(allowed, "ForceOff") && reset_type(POWER_ON, 0, allowed) != NULL) {
		/* no cycle of its own (some OpenBMC allow On and ForceOff
		 * only): off at once, wait for it, and on whatever the wait
		 * said: a host is never left off by a cycle */
		const char *onto = reset_type(POWER_ON, 0, allowed);

		json_object_put(allowed);
		rf_reply_free(&sysr);
		rc = post_reset(r, target, "ForceOff");
		if (rc < 0) {
			return rc;
		}
		wait_off(r, s);
		return post_reset(r, target, onto);
	}
	if (type == NULL) {
		snprintf(r->err, r->errlen, "%s: the system allows no reset for %s (it allows %s)", r->b->address,
			 op == POWER_ON ? "on" : op == POWER_OFF ? "off" : "a cycle", json_object_to_json_string(allowed));
		json_object_put(allowed);
		rf_reply_free(&sysr);
		return -EIO;
	}
	json_object_put(allowed);
	rf_reply_free(&sysr);
	return post_reset(r, target, type);
}

/* The Boot override (target "Pxe", "Cd"), on the system or its settings
 * object. */
static int boot_once(struct rf *r, const struct sys *s, const char *target)
{
	struct rf_reply sysr = { .status = 0 }, rep = { .status = 0 };
	json_object *body = NULL, *boot = NULL, *cur = NULL, *settings = NULL;
	char where[512], etag[128], what[64];
	int rc, stale = 0;

	for (;;) {
		rc = get_system(r, s, &sysr);
		if (rc < 0) {
			return rc;
		}
		settings = jget(jget(sysr.body, "@Redfish.Settings"), "SettingsObject");
		if (jstr(settings, "@odata.id")[0] != '\0') {
			/* the settings object: its own Boot and its own ETag */
			snprintf(where, sizeof(where), "%s", jstr(settings, "@odata.id"));
			rf_reply_free(&sysr);
			rc = rf_get(r, where, "GET the system's settings", &sysr);
			if (rc < 0) {
				return rc;
			}
		} else {
			snprintf(where, sizeof(where), "%s", s->path);
		}
		cur = jget(sysr.body, "Boot");
		if ((s->quirks & RFQ_CD_IS_USBCD) && strcmp(target, "Cd") == 0 &&
		    jget(cur, "BootSourceOverrideTarget@Redfish.AllowableValues") != NULL &&
		    allows(jget(cur, "BootSourceOverrideTarget@Redfish.AllowableValues"), "UsbCd")) {
			target = "UsbCd";
		}
		snprintf(etag, sizeof(etag), "%s", sysr.etag[0] ? sysr.etag : jstr(sysr.body, "@odata.etag"));
		if (!rf_etag_ok(etag)) {
			etag[0] = '\0'; /* not one: sent as nothing rather than as anything */
		}
		boot = json_object_new_object();
		json_object_object_add(boot, "BootSourceOverrideTarget", json_object_new_string(target));
		if ((s->quirks & RFQ_ENABLED_ALWAYS) || strcmp(jstr(cur, "BootSourceOverrideEnabled"), "Once") != 0) {
			json_object_object_add(boot, "BootSourceOverrideEnabled", json_object_new_string("Once"));
		}
		rf_reply_free(&sysr);
		body = json_object_new_object();
		json_object_object_add(body, "Boot", boot);
		rc = rf_call(r, "PATCH", where, body, stale < 2 ? etag : NULL, &rep);
		json_object_put(body);
		if (rc < 0) {
			return rc;
		}
		if (rep.status == 200 || rep.status == 202 || rep.status == 204) {
			rf_reply_free(&rep);
			return 0;
		}
		if (rep.status == 412 && stale < 2) {
			stale++; /* read it again; the second time, no If-Match */
			rf_reply_free(&rep);
			continue;
		}
		if ((s->quirks & RFQ_RETRY_DURING_POST) && strstr(rf_message_id(&rep), "DuringSystemPOST") != NULL &&
		    lb_mono_ms() + POST_RETRY_MS < r->deadline) {
			struct timespec pause = { .tv_sec = POST_RETRY_MS / 1000, .tv_nsec = 0 };

			rf_reply_free(&rep);
			nanosleep(&pause, NULL);
			continue;
		}
		snprintf(what, sizeof(what), "set the next boot to %s", target);
		rc = rf_refused(r, what, &rep);
		rf_reply_free(&rep);
		return rc;
	}
}

int redfish_power(const struct bmc *b, enum power_op op, char state[8], char *err, size_t errlen)
{
	struct rf r;
	struct sys s = { .path = "", .vendor = "", .quirks = 0 };
	struct rf_reply sysr = { .status = 0 };
	int rc = rf_open(&r, b, POWER_TIMEOUT_MS, err, errlen);

	if (rc < 0) {
		return rc;
	}
	rc = rf_find_system(&r, &s);
	if (rc == 0) {
		switch (op) {
		case POWER_STATUS:
			rc = get_system(&r, &s, &sysr);
			if (rc == 0) {
				const char *p = jstr(sysr.body, "PowerState");

				snprintf(state, 8, "%s", strcasecmp(p, "On") == 0 ? "on" : strcasecmp(p, "Off") == 0 ? "off" : "?");
				rf_reply_free(&sysr);
			}
			break;
		case POWER_BOOT_PXE:
			rc = boot_once(&r, &s, "Pxe");
			break;
		case POWER_BOOT_CD:
			rc = boot_once(&r, &s, "Cd");
			break;
		default:
			rc = do_reset(&r, &s, op);
			break;
		}
	}
	rf_close(&r);
	if (rc == -ENOENT) {
		rc = -EIO;
	}
	return rc;
}
