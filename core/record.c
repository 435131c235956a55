/* SPDX-License-Identifier: MIT */
/* Record descriptions (see record.h): reading a field's value. */
#include "core/record.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

bool
record_str(struct record_val *v, const char *s)
{
	v->type = RECORD_T_STR;
	v->s = s;
	v->n = strlen(s);
	v->cut = false;
	return true;
}

bool
record_int(struct record_val *v, int64_t i)
{
	v->type = RECORD_T_INT;
	v->i = i;
	return true;
}

bool
record_uint(struct record_val *v, uint64_t u)
{
	v->type = RECORD_T_UINT;
	v->u = u;
	return true;
}

bool
record_real(struct record_val *v, double d)
{
	v->type = RECORD_T_REAL;
	v->d = d;
	return true;
}

bool
record_bool(struct record_val *v, bool b)
{
	v->type = RECORD_T_BOOL;
	v->b = b;
	return true;
}

bool
record_null(struct record_val *v)
{
	v->type = RECORD_T_NULL;
	return true;
}

bool
record_obj(struct record_val *v, const struct record_desc *desc, const void *rec)
{
	v->type = RECORD_T_OBJ;
	v->desc = desc;
	v->rec = rec;
	return true;
}

bool
record_arr(struct record_val *v, const struct record_desc *desc, const void *first,
    size_t n, size_t stride, bool (*keep)(const void *elem))
{
	v->type = RECORD_T_ARR;
	v->desc = desc;
	v->rec = first;
	v->n = n;
	v->stride = stride;
	v->keep = keep;
	return true;
}

bool
record_map(struct record_val *v, const struct record_desc *desc, const void *first,
    size_t n, size_t stride)
{
	v->type = RECORD_T_MAP;
	v->desc = desc;
	v->rec = first;
	v->n = n;
	v->stride = stride;
	v->keep = NULL;
	return true;
}

bool
record_map_entry(const struct record_desc *d, const void *elem, char name[RECORD_STR_MAX + 1],
    struct record_val *value)
{
	struct record_val kv;

	if (d->n < 2 || !record_get(&d->f[0], elem, &kv) || kv.type != RECORD_T_STR ||
	    !record_get(&d->f[1], elem, value))
		return false;
	/* A char array's name may lack its NUL. */
	memcpy(name, kv.s, record_str_len(&kv));
	name[record_str_len(&kv)] = '\0';
	return true;
}

bool
record_strs(struct record_val *v, const char *const *strs, size_t n)
{
	v->type = RECORD_T_STRS;
	v->strs = strs;
	v->n = n;
	return true;
}

/* Unsigned integer of size bytes at p (memcpy: the field may be unaligned). */
static uint64_t
load_unsigned(const char *p, size_t size)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	switch (size) {
	case 1: memcpy(&u8, p, 1); return u8;
	case 2: memcpy(&u16, p, 2); return u16;
	case 4: memcpy(&u32, p, 4); return u32;
	default: memcpy(&u64, p, 8); return u64;
	}
}

static int64_t
load_signed(const char *p, size_t size)
{
	int8_t i8;
	int16_t i16;
	int32_t i32;
	int64_t i64;

	switch (size) {
	case 1: memcpy(&i8, p, 1); return i8;
	case 2: memcpy(&i16, p, 2); return i16;
	case 4: memcpy(&i32, p, 4); return i32;
	default: memcpy(&i64, p, 8); return i64;
	}
}

bool
record_get(const struct record_field *f, const void *rec, struct record_val *v)
{
	const char *p = (const char *)rec + f->off;

	switch (f->how) {
	case RECORD_AT_SIGNED:
		return record_int(v, load_signed(p, f->size));
	case RECORD_AT_UNSIGNED:
		return record_uint(v, load_unsigned(p, f->size));
	case RECORD_AT_BOOL:
		return record_bool(v, *(const bool *)(const void *)p);
	case RECORD_AT_REAL:
		memcpy(&v->d, p, sizeof(v->d));
		return record_real(v, v->d);
	case RECORD_AT_CHARS:
		v->type = RECORD_T_STR;
		v->s = p;
		v->n = strnlen(p, f->size);
		v->cut = true;
		return true;
	case RECORD_AT_STRP:
		memcpy(&v->s, p, sizeof(v->s));
		return v->s != NULL && record_str(v, v->s);
	case RECORD_GET:
		return f->get(rec, v);
	}
	return record_null(v);
}

/*
 * RFC 3629 section 4: the well-formed sequences, as jansson's utf8_check_*
 * accept them (no overlong forms, no surrogates, nothing above U+10FFFF).
 */
bool
record_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	unsigned int c, need, i;
	uint32_t cp;

	while (p < end) {
		c = *p++;
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if ((size_t)(end - p) < need)
			return false;
		for (i = 0; i < need; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		p += need;
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
	}
	return true;
}

size_t
record_str_len(const struct record_val *v)
{
	return v->cut && v->n > RECORD_STR_MAX ? RECORD_STR_MAX : v->n;
}

/* ---- The jansson rendering (documents still built as a json_t) ---- */

static json_t *
str_json(const struct record_val *v)
{
	size_t n = record_str_len(v), i;
	json_t *j;
	char *ascii;

	if (record_utf8_valid(v->s, n))
		return json_stringn(v->s, n);
	if ((ascii = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		ascii[i] = (unsigned char)v->s[i] < 0x80 ? v->s[i] : '?';
	j = json_stringn(ascii, n);
	free(ascii);
	return j;
}

json_t *
record_val_json(const struct record_val *v)
{
	const char *e;
	json_t *a;
	size_t i;

	switch (v->type) {
	case RECORD_T_NULL:
		return json_null();
	case RECORD_T_BOOL:
		return json_boolean(v->b);
	case RECORD_T_INT:
		return json_integer((json_int_t)v->i);
	case RECORD_T_UINT:
		return json_integer(v->u > (uint64_t)INT64_MAX ? (json_int_t)INT64_MAX : (json_int_t)v->u);
	case RECORD_T_REAL:
		return isfinite(v->d) ? json_real(v->d) : json_null();
	case RECORD_T_STR:
		return str_json(v);
	case RECORD_T_OBJ:
		return record_json(v->desc, v->rec);
	case RECORD_T_ARR:
		if ((a = json_array()) == NULL)
			return NULL;
		for (i = 0, e = v->rec; i < v->n; i++, e += v->stride)
			if ((v->keep == NULL || v->keep(e)) &&
			    json_array_append_new(a, record_json(v->desc, e)) < 0) {
				json_decref(a);
				return NULL;
			}
		return a;
	case RECORD_T_MAP:
		if ((a = json_object()) == NULL)
			return NULL;
		for (i = 0, e = v->rec; i < v->n; i++, e += v->stride) {
			struct record_val vv;
			char name[RECORD_STR_MAX + 1];

			if (!record_map_entry(v->desc, e, name, &vv))
				continue;
			if (json_object_set_new(a, name, record_val_json(&vv)) < 0) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	case RECORD_T_STRS:
		if ((a = json_array()) == NULL)
			return NULL;
		for (i = 0; i < v->n; i++) {
			struct record_val sv;

			record_str(&sv, v->strs[i]);
			if (json_array_append_new(a, str_json(&sv)) < 0) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	}
	return NULL;
}

int
record_json_members(json_t *o, const struct record_desc *d, const void *rec, unsigned int skip)
{
	struct record_val v;
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (d->f[i].key == NULL || (d->f[i].group & skip) || !record_get(&d->f[i], rec, &v))
			continue;
		if ((d->f[i].flags & RECORD_F_INLINE) && v.type == RECORD_T_OBJ) {
			if (record_json_members(o, v.desc, v.rec, 0) < 0)
				return -1;
		} else if (json_object_set_new(o, d->f[i].key, record_val_json(&v)) < 0) {
			return -1;
		}
	}
	return 0;
}

json_t *
record_json(const struct record_desc *d, const void *rec)
{
	json_t *o = json_object();

	if (o != NULL && record_json_members(o, d, rec, 0) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}
