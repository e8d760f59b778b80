#include <string.h>
#include <strings.h>

#include "core/json.h"

json_object *jget(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (o == NULL || !json_object_object_get_ex(o, key, &v)) {
		return NULL;
	}
	return v;
}

const char *jstr(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return v != NULL && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

long long jint(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return v != NULL && json_object_is_type(v, json_type_int) ? (long long)json_object_get_int64(v) : 0;
}

int jbool(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return v != NULL && json_object_is_type(v, json_type_boolean) ? json_object_get_boolean(v) : 0;
}

void jdel(json_object *o, const char *key)
{
	if (o != NULL && json_object_is_type(o, json_type_object)) {
		json_object_object_del(o, key);
	}
}

int jarray_has(json_object *a, const char *s, int nocase)
{
	size_t i;

	if (!json_object_is_type(a, json_type_array)) {
		return 0;
	}
	for (i = 0; i < json_object_array_length(a); i++) {
		json_object *v = json_object_array_get_idx(a, i);

		if (json_object_is_type(v, json_type_string) &&
		    (nocase ? strcasecmp(json_object_get_string(v), s) : strcmp(json_object_get_string(v), s)) == 0) {
			return 1;
		}
	}
	return 0;
}
