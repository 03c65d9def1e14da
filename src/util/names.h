/* Enum <-> name tables (FANN style): one table per enum, shared by parsing,
 * printing, journals and model files, so a name is spelled in one place. */
#ifndef MLPS_NAMES_H
#define MLPS_NAMES_H

/* Returns the index of name in table[0..n), or -1. Exact, case-sensitive. */
int names_find(const char *const *table, int n, const char *name);
/* Writes "a, b, c" into buf (for "valid names are: ..." messages). */
const char *names_join(const char *const *table, int n, char *buf, int bufsize);
/* Index of the entry closest to name by edit distance (for "did you mean"),
 * or -1 when nothing is within a third of the length plus one. */
int names_closest(const char *const *table, int n, const char *name);
/* Levenshtein distance, for suggestions elsewhere (e.g. config keys). */
int names_edit_distance(const char *a, const char *b);

#endif
