#include <stdio.h>
#include <string.h>

#include "status.h"

static const char *const phases[] = { "booted", "network-up", "ssh-ready", "error", "shutting-down" };

static int is_type(json_object *o, const char *key, json_type t, json_object **out)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, t)) {
		return 0;
	}
	if (out != NULL) {
		*out = v;
	}
	return 1;
}

json_object *status_parse(const char *body, size_t len, char *err, size_t errlen)
{
	json_tokener *tok = NULL;
	json_object *o = NULL, *v = NULL;
	enum json_tokener_error jerr;
	size_t i;
	int known = 0;

	if (len == 0) {
		snprintf(err, errlen, "empty body");
		return NULL;
	}
	if (len > STATUS_MAX_BYTES) {
		snprintf(err, errlen, "report larger than %d bytes", STATUS_MAX_BYTES);
		return NULL;
	}
	if (memchr(body, '\0', len) != NULL) {
		snprintf(err, errlen, "NUL byte in body");
		return NULL;
	}
	tok = json_tokener_new_ex(24);
	if (tok == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	if (o != NULL && jerr == json_tokener_success && json_tokener_get_parse_end(tok) != len) {
		snprintf(err, errlen, "trailing bytes after the JSON value");
		goto err_parse;
	}
	if (o == NULL || jerr != json_tokener_success) {
		snprintf(err, errlen, "malformed JSON: %s", json_tokener_error_desc(jerr == json_tokener_continue ?
										 json_tokener_error_parse_eof : jerr));
		goto err_parse;
	}
	json_tokener_free(tok);
	tok = NULL;
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "the report is not a JSON object");
		goto err_parse;
	}
	if (!is_type(o, "format", json_type_string, &v) || strcmp(json_object_get_string(v), "lifeboat-status") != 0) {
		snprintf(err, errlen, "format is not \"lifeboat-status\"");
		goto err_parse;
	}
	if (!is_type(o, "version", json_type_int, &v) || json_object_get_int(v) != 1) {
		snprintf(err, errlen, "version is not 1");
		goto err_parse;
	}
	if (!is_type(o, "phase", json_type_string, &v)) {
		snprintf(err, errlen, "phase is missing");
		goto err_parse;
	}
	for (i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
		known |= strcmp(json_object_get_string(v), phases[i]) == 0;
	}
	if (!known) {
		snprintf(err, errlen, "phase is not one of booted, network-up, ssh-ready, error, shutting-down");
		goto err_parse;
	}
	if (!is_type(o, "seq", json_type_int, NULL)) {
		snprintf(err, errlen, "seq is missing or not a number");
		goto err_parse;
	}
	return o;

err_parse:
	if (tok != NULL) {
		json_tokener_free(tok);
	}
	if (o != NULL) {
		json_object_put(o);
	}
	return NULL;
}
