/* A small JSON writer and reader, enough for the journal (trials.jsonl) and
 * summary files: the writer escapes strings correctly and prints doubles with
 * the fewest digits that read back to the same bits (never more than %.17g);
 * NaN and Inf, which JSON cannot represent, are written as null. The reader
 * parses one JSON text (one journal line) into a tree held in one arena, so
 * freeing is one call. */
#ifndef MLPS_JSON_H
#define MLPS_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "util/fmt.h"
#include "util/sbuf.h"

/* ---- writer ---------------------------------------------------------- */

/* A util/sbuf text with a comma-tracking stack: json_key / value calls
 * insert separators themselves, so callers write objects as a flat list. */
#define JSON_MAX_DEPTH 32
typedef struct {
  sbuf text; /* NUL-terminated text, owned */
  int depth;
  unsigned char first[JSON_MAX_DEPTH]; /* 1 until the level has an element */
  int after_key;                       /* a key was just written: the next value needs no comma */
} json_writer;

void json_init(json_writer *w);
void json_free(json_writer *w);
void json_reset(json_writer *w); /* empties the text, keeps the buffer */
void json_obj_begin(json_writer *w);
void json_obj_end(json_writer *w);
void json_arr_begin(json_writer *w);
void json_arr_end(json_writer *w);
void json_key(json_writer *w, const char *key);
void json_str(json_writer *w, const char *s);
void json_num(json_writer *w, double v); /* NaN/Inf -> null */
void json_int(json_writer *w, long long v);
void json_bool(json_writer *w, int v);
/* Appends raw text (e.g. "\n" after a journal line). */
void json_raw(json_writer *w, const char *s);

/* Appends the JSON string literal for s (quotes included) to w's text. */
void json_escape(json_writer *w, const char *s);

/* ---- reader ---------------------------------------------------------- */

typedef enum { JSON_NULL, JSON_BOOL, JSON_NUM, JSON_STR, JSON_ARR, JSON_OBJ } json_type;

typedef struct json_value json_value;
struct json_value {
  json_type type;
  double num;        /* JSON_NUM, JSON_BOOL (0/1) */
  char *str;         /* JSON_STR: unescaped UTF-8, NUL-terminated */
  size_t n;          /* JSON_ARR / JSON_OBJ: number of elements */
  json_value *items; /* JSON_ARR / JSON_OBJ elements */
  char **keys;       /* JSON_OBJ: key of each element */
};

typedef struct json_doc json_doc; /* owns every node and string of one parse */

/* Parses text[0..len) as exactly one JSON value (surrounding whitespace
 * allowed). Returns NULL on a syntax error and writes "column C: problem"
 * into err (errsize bytes) when err is not NULL. */
json_doc *json_parse(const char *text, size_t len, char *err, size_t errsize);
const json_value *json_root(const json_doc *d);
void json_doc_free(json_doc *d);

/* Member of an object by key, or NULL (also when o is not an object). */
const json_value *json_get(const json_value *o, const char *key);
/* Number member: 1 and *out set when key holds a number; *out = NaN and 1
 * when it holds null (how NaN is written); 0 otherwise. */
int json_get_num(const json_value *o, const char *key, double *out);
/* String member or NULL. */
const char *json_get_str(const json_value *o, const char *key);

#endif
