/* JSON writer/reader: escaping round-trips, doubles round-trip bit for bit
 * with the fewest digits, NaN/Inf become null, malformed text is rejected
 * with a column. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sweep/json.h"
#include "test_util.h"

static void roundtrip_string(const char *s) {
  json_writer w;
  json_init(&w);
  json_str(&w, s);
  json_doc *d = json_parse(w.text.s, w.text.len, NULL, 0);
  CHECK(d != NULL);
  if (d) {
    CHECK(json_root(d)->type == JSON_STR);
    CHECK(strcmp(json_root(d)->str, s) == 0);
  }
  json_doc_free(d);
  json_free(&w);
}

int main(void) {
  /* escaping */
  roundtrip_string("");
  roundtrip_string("plain");
  roundtrip_string("quote \" backslash \\ slash / newline \n tab \t cr \r bell \x07 del \x7f");
  roundtrip_string("utf-8: \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  {
    json_writer w;
    json_init(&w);
    json_str(&w, "a\"b\\c\nd\x01");
    CHECK(strcmp(w.text.s, "\"a\\\"b\\\\c\\nd\\u0001\"") == 0);
    json_free(&w);
  }
  /* \u escapes incl. a surrogate pair decode to UTF-8 */
  {
    const char *t = "\"\\u00e9\\u20ac\\ud83d\\ude00\"";
    json_doc *d = json_parse(t, strlen(t), NULL, 0);
    CHECK(d && strcmp(json_root(d)->str, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80") == 0);
    json_doc_free(d);
  }
  /* doubles: shortest text that reads back exactly */
  double vals[] = {
      0.1,  1.0 / 3, 1e-300, 5e-324, 1.7976931348623157e308, -2.5, 123456789.0, 0.30000000000000004,
      1e21, -0.0};
  for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
    char b[32];
    fmt_double(b, vals[i]);
    CHECK(strtod(b, NULL) == vals[i]);
    CHECK(strlen(b) <= 24);
  }
  {
    char b[32];
    CHECK(strcmp(fmt_double(b, 0.1), "0.10000000000000001") != 0);
    CHECK(strcmp(fmt_double(b, 0.1), "0.1") == 0);
  }
  /* object with nested array, NaN/Inf -> null, numbers back exactly */
  {
    json_writer w;
    json_init(&w);
    json_obj_begin(&w);
    json_key(&w, "a");
    json_int(&w, -7);
    json_key(&w, "x");
    json_arr_begin(&w);
    json_num(&w, 1.0 / 3);
    json_num(&w, NAN);
    json_num(&w, INFINITY);
    json_arr_end(&w);
    json_key(&w, "e");
    json_obj_begin(&w);
    json_obj_end(&w);
    json_key(&w, "t");
    json_bool(&w, 1);
    json_key(&w, "s");
    json_str(&w, "v");
    json_obj_end(&w);
    CHECK(strstr(w.text.s, "[0.3333333333333333,null,null]") != NULL);
    char perr[128];
    json_doc *d = json_parse(w.text.s, w.text.len, perr, sizeof perr);
    CHECK(d != NULL);
    if (d) {
      const json_value *r = json_root(d);
      double v;
      CHECK(json_get_num(r, "a", &v) && v == -7);
      const json_value *x = json_get(r, "x");
      CHECK(x && x->type == JSON_ARR && x->n == 3);
      if (x && x->n == 3) {
        CHECK(x->items[0].num == 1.0 / 3);
        CHECK(x->items[1].type == JSON_NULL);
      }
      CHECK(json_get(r, "e") && json_get(r, "e")->type == JSON_OBJ && json_get(r, "e")->n == 0);
      CHECK(json_get(r, "t")->type == JSON_BOOL && json_get(r, "t")->num == 1);
      CHECK(json_get_str(r, "s") && strcmp(json_get_str(r, "s"), "v") == 0);
      CHECK(json_get(r, "missing") == NULL);
    }
    json_doc_free(d);
    json_free(&w);
  }
  /* malformed inputs are rejected, with a column */
  const char *bad[] = {"",        "{",           "{\"a\":}",   "{\"a\" 1}", "[1,]",       "[1 2]",
                       "\"abc",   "01",          "1.",         "-",         "{\"a\":1}x", "tru",
                       "\"\\q\"", "\"\\ud800\"", "{\"a\":1,}", "\"a\nb\""};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char perr[128] = "";
    json_doc *d = json_parse(bad[i], strlen(bad[i]), perr, sizeof perr);
    if (d) fprintf(stderr, "accepted bad JSON: %s\n", bad[i]);
    CHECK(d == NULL);
    CHECK(strncmp(perr, "column ", 7) == 0);
    json_doc_free(d);
  }
  /* a truncated journal line (torn write) does not parse */
  {
    const char *t = "{\"trial\":3,\"fold\":1,\"params\":{\"lr\":0.001},\"status\":\"o";
    CHECK(json_parse(t, strlen(t), NULL, 0) == NULL);
  }
  return TEST_RESULT("sweep_json");
}
