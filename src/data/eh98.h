/* Linear matter power spectrum at z = 0 from the Eisenstein & Hu (1998,
 * ApJ 496, 605) fitting formula for the transfer function, with baryon
 * acoustic oscillations (their eqs. 2-24 and 26-28 for the BAO node shift).
 * Used by the `linpower` generator; the test compares against an
 * independent numpy implementation (tests/data/eh98_reference.py). */
#ifndef MLPS_EH98_H
#define MLPS_EH98_H

#define EH98_TCMB 2.7255 /* K (Fixsen 2009) */

typedef struct {
  double omhh, obhh, f_baryon, h;
  double k_equality, sound_horizon, k_silk;
  double alpha_c, beta_c, alpha_b, beta_b, beta_node;
} eh98;

/* omega_m = Omega_c + Omega_b (total matter), h = H0 / 100 km/s/Mpc. */
void eh98_init(eh98 *c, double omega_m, double omega_b, double h, double t_cmb);
/* Transfer function at k in 1/Mpc (not h/Mpc). */
double eh98_transfer(const eh98 *c, double k_mpc);

/* Linear P(k) = amp * k^n_s * T(k h)^2 with k in h/Mpc, P in (Mpc/h)^3.
 * eh98_sigma_r is sigma(R) [R in Mpc/h, top-hat] of that spectrum:
 *   sigma^2 = 1/(2 pi^2) Int dln k  k^3 P(k) W(kR)^2,  W(x) = 3 (sin x - x cos x) / x^3,
 * by Simpson's rule on ln k in [1e-5, 1e2] h/Mpc with nint intervals (even;
 * 1024 is used for the normalisation). */
double eh98_sigma_r(const eh98 *c, double n_s, double amp, double r_mpch, int nint);
/* The amplitude that makes sigma_8 equal sigma8. */
double eh98_amplitude(const eh98 *c, double n_s, double sigma8);
/* P(k) at k_hmpc (h/Mpc) for that amplitude. */
double eh98_power(const eh98 *c, double n_s, double amp, double k_hmpc);

#endif
