/* Name-table lookups and "did you mean" suggestions. */
#include "util/names.h"

#include <stdio.h>
#include <string.h>

int names_find(const char *const *table, int n, const char *name) {
  for (int i = 0; i < n; i++)
    if (table[i] && strcmp(table[i], name) == 0) return i;
  return -1;
}

const char *names_join(const char *const *table, int n, char *buf, int bufsize) {
  int off = 0;
  buf[0] = '\0';
  for (int i = 0; i < n && off < bufsize; i++)
    off += snprintf(buf + off, (size_t)(bufsize - off), "%s%s", i ? ", " : "", table[i]);
  return buf;
}

int names_edit_distance(const char *a, const char *b) {
  int la = (int)strlen(a), lb = (int)strlen(b);
  if (la > 64 || lb > 64) return la > lb ? la : lb;
  int prev[65], cur[65];
  for (int j = 0; j <= lb; j++) prev[j] = j;
  for (int i = 1; i <= la; i++) {
    cur[0] = i;
    for (int j = 1; j <= lb; j++) {
      int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
      int del = prev[j] + 1, ins = cur[j - 1] + 1;
      cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
    }
    memcpy(prev, cur, sizeof(int) * (size_t)(lb + 1));
  }
  return prev[lb];
}

int names_closest(const char *const *table, int n, const char *name) {
  int best = -1, bestd = 1 << 30;
  for (int i = 0; i < n; i++) {
    int d = names_edit_distance(name, table[i]);
    if (d < bestd) bestd = d, best = i;
  }
  int limit = (int)strlen(name) / 3 + 1;
  return bestd <= limit ? best : -1;
}
