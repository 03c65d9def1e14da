/* Eisenstein & Hu (1998) transfer function with baryon wiggles, and sigma(R)
 * normalisation. Equation numbers refer to the paper (ApJ 496, 605). */
#include "data/eh98.h"

#include <math.h>

#define EH_E 2.718281828459045
#define EH_PI 3.141592653589793

void eh98_init(eh98 *c, double omega_m, double omega_b, double h, double t_cmb) {
  double omhh = omega_m * h * h, obhh = omega_b * h * h, fb = omega_b / omega_m;
  double th = t_cmb / 2.7, th2 = th * th, th4 = th2 * th2;
  c->omhh = omhh;
  c->obhh = obhh;
  c->f_baryon = fb;
  c->h = h;
  double z_eq = 2.50e4 * omhh / th4;  /* eq. 2 (really 1 + z_eq) */
  double k_eq = 7.46e-2 * omhh / th2; /* eq. 3, 1/Mpc */
  double b1 = 0.313 * pow(omhh, -0.419) * (1 + 0.607 * pow(omhh, 0.674));
  double b2 = 0.238 * pow(omhh, 0.223);
  double z_d = 1291 * pow(omhh, 0.251) / (1 + 0.659 * pow(omhh, 0.828)) *
               (1 + b1 * pow(obhh, b2));               /* eq. 4 */
  double R_d = 31.5 * obhh / th4 * (1000 / (1 + z_d)); /* eq. 5 at z_d */
  double R_eq = 31.5 * obhh / th4 * (1000 / z_eq);     /* eq. 5 at z_eq */
  double s = 2.0 / (3.0 * k_eq) * sqrt(6.0 / R_eq) *
             log((sqrt(1 + R_d) + sqrt(R_d + R_eq)) / (1 + sqrt(R_eq))); /* eq. 6, Mpc */
  double k_silk =
      1.6 * pow(obhh, 0.52) * pow(omhh, 0.73) * (1 + pow(10.4 * omhh, -0.95)); /* eq. 7 */
  double a1 = pow(46.9 * omhh, 0.670) * (1 + pow(32.1 * omhh, -0.532));        /* eq. 11 */
  double a2 = pow(12.0 * omhh, 0.424) * (1 + pow(45.0 * omhh, -0.582));
  double alpha_c = pow(a1, -fb) * pow(a2, -fb * fb * fb);
  double bb1 = 0.944 / (1 + pow(458 * omhh, -0.708)); /* eq. 12 */
  double bb2 = pow(0.395 * omhh, -0.0266);
  double beta_c = 1.0 / (1 + bb1 * (pow(1 - fb, bb2) - 1));
  double y = z_eq / (1 + z_d); /* eq. 15 */
  double G = y * (-6 * sqrt(1 + y) + (2 + 3 * y) * log((sqrt(1 + y) + 1) / (sqrt(1 + y) - 1)));
  double alpha_b = 2.07 * k_eq * s * pow(1 + R_d, -0.75) * G;              /* eq. 14 */
  double beta_b = 0.5 + fb + (3 - 2 * fb) * sqrt(pow(17.2 * omhh, 2) + 1); /* eq. 24 */
  double beta_node = 8.41 * pow(omhh, 0.435);                              /* eq. 23 */
  c->k_equality = k_eq;
  c->sound_horizon = s;
  c->k_silk = k_silk;
  c->alpha_c = alpha_c;
  c->beta_c = beta_c;
  c->alpha_b = alpha_b;
  c->beta_b = beta_b;
  c->beta_node = beta_node;
}

/* T0~(k, alpha_c, beta_c), eq. 19-20. */
static double t0_tilde(double q, double a, double b) {
  double L = log(EH_E + 1.8 * b * q);
  double C = 14.2 / a + 386.0 / (1 + 69.9 * pow(q, 1.08));
  return L / (L + C * q * q);
}

double eh98_transfer(const eh98 *c, double k) {
  k = fabs(k);
  double q = k / (13.41 * c->k_equality); /* eq. 10 */
  double ks = k * c->sound_horizon;
  /* CDM part, eq. 17-18. */
  double f = 1.0 / (1.0 + pow(ks / 5.4, 4));
  double Tc = f * t0_tilde(q, 1, c->beta_c) + (1 - f) * t0_tilde(q, c->alpha_c, c->beta_c);
  /* Baryon part, eq. 21-22. */
  double s_tilde = c->sound_horizon / cbrt(1 + pow(c->beta_node / ks, 3));
  double kst = k * s_tilde;
  double j0 = kst > 1e-8 ? sin(kst) / kst : 1.0;
  double Tb = (t0_tilde(q, 1, 1) / (1 + pow(ks / 5.2, 2)) +
               c->alpha_b / (1 + pow(c->beta_b / ks, 3)) * exp(-pow(k / c->k_silk, 1.4))) *
              j0;
  return c->f_baryon * Tb + (1 - c->f_baryon) * Tc; /* eq. 16 */
}

double eh98_power(const eh98 *c, double n_s, double amp, double k) {
  double t = eh98_transfer(c, k * c->h);
  return amp * pow(k, n_s) * t * t;
}

static double tophat(double x) {
  if (x < 1e-3) return 1.0 - x * x / 10.0;
  return 3.0 * (sin(x) - x * cos(x)) / (x * x * x);
}

double eh98_sigma_r(const eh98 *c, double n_s, double amp, double r, int nint) {
  if (nint < 2) nint = 2;
  if (nint % 2) nint++;
  double a = log(1e-5), b = log(1e2), dx = (b - a) / nint, sum = 0.0;
  for (int i = 0; i <= nint; i++) {
    double k = exp(a + i * dx), w = tophat(k * r);
    double f = k * k * k * eh98_power(c, n_s, amp, k) * w * w;
    sum += f * (i == 0 || i == nint ? 1.0 : (i % 2 ? 4.0 : 2.0));
  }
  return sqrt(sum * dx / 3.0 / (2.0 * EH_PI * EH_PI));
}

double eh98_amplitude(const eh98 *c, double n_s, double sigma8) {
  double s = eh98_sigma_r(c, n_s, 1.0, 8.0, 1024);
  return (sigma8 / s) * (sigma8 / s);
}
