/* The Sobol sequence (Joe & Kuo's new-joe-kuo-6.21201 direction numbers,
 * 32 dimensions, 32-bit resolution): the method behind search.method sobol.
 * Stateless; depends on nothing else in search/. */
#ifndef MLPS_SOBOL_H
#define MLPS_SOBOL_H

#include <stdint.h>

#define SOBOL_DIMS 32

/* The raw (unscrambled) sequence in Joe & Kuo's (Gray-code) order:
 * coordinate `dim` (0-based, < SOBOL_DIMS) of point `index`, as a 32-bit
 * fraction; u = value * 2^-32. 0 for a dimension out of range. */
uint32_t sobol_coord(uint32_t index, int dim);

/* Point `index` in nd <= SOBOL_DIMS dimensions, coordinate j XORed with the
 * digital shift shift[j] (0 = unscrambled), in the unit cube. */
void sobol_unit(uint32_t index, int nd, const uint32_t *shift, double *u);

#endif
