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
