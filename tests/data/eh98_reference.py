#!/usr/bin/python3
"""Independent reference for the `linpower` generator (src/data/eh98.c).

Implements the Eisenstein & Hu (1998, ApJ 496, 605) transfer function with
baryon acoustic oscillations directly from the paper's equations (numbers in
the comments), in numpy, and normalises P(k) = A k^n_s T(k)^2 to sigma_8 with
scipy's adaptive quadrature (a different integrator from the C code's
Simpson rule). Writes eh98_reference.txt next to this script:

  T  Omega_m  Omega_b  h  k[1/Mpc]  T(k)
  P  Omega_c  Omega_b  h  n_s  sigma_8  k[h/Mpc]  P(k)[(Mpc/h)^3]

Run with Debian's python3 (numpy, scipy):  /usr/bin/python3 eh98_reference.py
"""
import os

import numpy as np
from scipy import integrate

T_CMB = 2.7255  # K, as the C code (EH98_TCMB)


def transfer(k, Om, Ob, h, tcmb=T_CMB):
    """T(k), k in 1/Mpc (array)."""
    k = np.asarray(k, dtype=float)
    w_m, w_b = Om * h**2, Ob * h**2
    fb, fc = Ob / Om, 1.0 - Ob / Om
    theta = tcmb / 2.7
    zeq = 2.50e4 * w_m * theta**-4                                   # eq. 2
    keq = 7.46e-2 * w_m * theta**-2                                  # eq. 3
    b1 = 0.313 * w_m**-0.419 * (1 + 0.607 * w_m**0.674)              # eq. 4
    b2 = 0.238 * w_m**0.223
    zd = 1291 * w_m**0.251 / (1 + 0.659 * w_m**0.828) * (1 + b1 * w_b**b2)
    # eq. 5, R = 3 rho_b / (4 rho_gamma) is proportional to the scale factor,
    # i.e. to 1 / (1 + z): as in Eisenstein & Hu's own tf_fit.c we use 1 + z_d
    # (the paper's (z/10^3)^-1 is the same to 0.1%); zeq is already 1 + z_eq.
    R = lambda one_plus_z: 31.5 * w_b * theta**-4 * (one_plus_z / 1e3)**-1
    Rd, Req = R(1 + zd), R(zeq)
    s = (2 / (3 * keq)) * np.sqrt(6 / Req) * np.log(
        (np.sqrt(1 + Rd) + np.sqrt(Rd + Req)) / (1 + np.sqrt(Req)))  # eq. 6
    ksilk = 1.6 * w_b**0.52 * w_m**0.73 * (1 + (10.4 * w_m)**-0.95)  # eq. 7
    q = k / (13.41 * keq)                                            # eq. 10
    a1 = (46.9 * w_m)**0.670 * (1 + (32.1 * w_m)**-0.532)            # eq. 11
    a2 = (12.0 * w_m)**0.424 * (1 + (45.0 * w_m)**-0.582)
    alpha_c = a1**-fb * a2**-(fb**3)
    bb1 = 0.944 / (1 + (458 * w_m)**-0.708)                          # eq. 12
    bb2 = (0.395 * w_m)**-0.0266
    beta_c = 1 / (1 + bb1 * (fc**bb2 - 1))

    def T0(alpha, beta):                                             # eqs. 19-20
        C = 14.2 / alpha + 386 / (1 + 69.9 * q**1.08)
        L = np.log(np.e + 1.8 * beta * q)
        return L / (L + C * q**2)

    f = 1 / (1 + (k * s / 5.4)**4)                                   # eq. 18
    Tc = f * T0(1, beta_c) + (1 - f) * T0(alpha_c, beta_c)           # eq. 17
    y = zeq / (1 + zd)                                               # eq. 15 (zeq above is already 1 + z_eq)
    G = y * (-6 * np.sqrt(1 + y) + (2 + 3 * y) * np.log((np.sqrt(1 + y) + 1) / (np.sqrt(1 + y) - 1)))
    alpha_b = 2.07 * keq * s * (1 + Rd)**-0.75 * G                   # eq. 14
    beta_node = 8.41 * w_m**0.435                                    # eq. 23
    s_tilde = s / (1 + (beta_node / (k * s))**3)**(1 / 3)            # eq. 22
    beta_b = 0.5 + fb + (3 - 2 * fb) * np.sqrt((17.2 * w_m)**2 + 1)  # eq. 24
    x = k * s_tilde
    Tb = (T0(1, 1) / (1 + (k * s / 5.2)**2)
          + alpha_b / (1 + (beta_b / (k * s))**3) * np.exp(-(k / ksilk)**1.4)) * np.sinc(x / np.pi)  # eq. 21
    return fb * Tb + fc * Tc                                         # eq. 16


def sigma_R(Oc, Ob, h, ns, amp, R=8.0):
    def integrand(lnk):
        k = np.exp(lnk)
        x = k * R
        # series below x = 1e-2, where sin x - x cos x loses its digits
        W = 1 - x**2 / 10 if x < 1e-2 else 3 * (np.sin(x) - x * np.cos(x)) / x**3
        P = amp * k**ns * transfer(k * h, Oc + Ob, Ob, h)**2
        return k**3 * P * W**2 / (2 * np.pi**2)
    # piecewise quad so the oscillations of W are resolved
    edges = np.log(np.logspace(-6, 3, 46))
    lnk = np.linspace(edges[0], edges[-1], 20001)
    crude = np.trapz([integrand(v) for v in lnk], lnk)  # sets the absolute tolerance
    tot = sum(integrate.quad(integrand, a, b, epsabs=1e-12 * crude, epsrel=1e-10, limit=200)[0]
              for a, b in zip(edges[:-1], edges[1:]))
    return np.sqrt(tot)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    cosmos = [  # Omega_c, Omega_b, h, n_s, sigma_8
        (0.25, 0.05, 0.70, 0.96, 0.80),
        (0.10, 0.04, 0.64, 0.84, 0.80),
        (0.60, 0.06, 0.82, 1.10, 1.00),
        (0.30, 0.045, 0.75, 1.00, 0.90),
    ]
    kT = np.array([1e-4, 1e-3, 1e-2, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 3.0, 10.0])
    kgrid = 1e-3 * (1e4)**(np.arange(50) / 49)
    lines = ["# Eisenstein & Hu (1998) reference values from eh98_reference.py (numpy/scipy); T_cmb = 2.7255 K",
             "# T Omega_m Omega_b h k[1/Mpc] T(k)",
             "# P Omega_c Omega_b h n_s sigma_8 k[h/Mpc] P(k)[(Mpc/h)^3]"]
    for Oc, Ob, h, ns, s8 in cosmos:
        for k, t in zip(kT, transfer(kT, Oc + Ob, Ob, h)):
            lines.append("T %.6g %.6g %.6g %.6g %.17g" % (Oc + Ob, Ob, h, k, t))
        amp = (s8 / sigma_R(Oc, Ob, h, ns, 1.0))**2
        P = amp * kgrid**ns * transfer(kgrid * h, Oc + Ob, Ob, h)**2
        for k, p in zip(kgrid, P):
            lines.append("P %.6g %.6g %.6g %.6g %.6g %.17g %.17g" % (Oc, Ob, h, ns, s8, k, p))
    with open(os.path.join(here, "eh98_reference.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
