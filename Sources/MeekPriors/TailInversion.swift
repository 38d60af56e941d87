import CGSL
import Foundation

/// Inverse CDFs that hold where GSL's `gsl_cdf_*_Pinv/Qinv` do not. GSL's gamma, beta and
/// Student-t inverses return NaN for plausible shapes (beta(0.02, 50) at its median, gamma
/// with shape 0.05 at small u) and finite but wrong values in others (gamma Qinv with
/// shape 0.001: 5e-11 where the quantile is 8e-223; t with ν = 0.05 in its upper tail).
///
/// Each quantile is solved in its tail form: x with P(x) = p for u ≤ ½, or Q(x) = q = 1 − u
/// (exact) above, so both tails keep their relative accuracy. GSL's inverse is the first
/// guess and is kept when its tail probability is within `tolerance` of the target (then the
/// result is GSL's, bit for bit); otherwise a bracketed, safeguarded Newton iteration on
/// log T against log x (straight lines for power-law tails) finishes the job.
enum TailInversion {
    /// Relative accuracy asked of the tail probability: the value returned is the exact
    /// quantile of a probability within 1e-12·p of the one asked (u itself is quantised at
    /// 2^-32), where GSL's CDFs are that accurate.
    static let tolerance = 1e-12

    /// The x in (0, `limit`) with T(x) = p, where T is increasing (a lower tail P) or
    /// decreasing (an upper tail Q) and f = |T′| is the density. Returns 0 when the
    /// quantile is below the smallest positive double, `limit` when T never reaches p
    /// below it (the quantile is ∞ or rounds to `limit`).
    static func solve(p: Double, guess: Double, limit: Double, increasing: Bool,
                      tail: (Double) -> Double, density: (Double) -> Double) -> Double {
        if p.isNaN { return .nan }
        guard p > 0 else { return increasing ? 0 : limit }
        // Whether the root lies above x, given T(x).
        func rootAbove(_ t: Double) -> Bool { increasing ? t < p : t > p }
        var x = guess
        var t = Double.nan
        if x.isFinite, x > 0, x < limit {
            t = tail(x)
            if abs(t - p) <= tolerance * p { return x }
        }
        // The bracket [lo, hi]: the root is above lo and not above hi.
        var lo = Double.leastNonzeroMagnitude, hi = limit.nextDown
        guard rootAbove(tail(lo)) else { return 0 }
        guard !rootAbove(tail(hi)) else { return limit }
        if t.isFinite {
            if rootAbove(t) { lo = x } else { hi = x }
        } else {
            x = lo.squareRoot() * hi.squareRoot()
            t = tail(x)
        }
        for _ in 0..<200 {
            if t.isFinite, abs(t - p) <= tolerance * p { return x }
            if rootAbove(t) { lo = Swift.max(lo, x) } else { hi = Swift.min(hi, x) }
            guard lo.nextUp < hi else { return hi }
            // Newton on log T against log x: d log T / d log x = ±x f / T.
            let slope = x * density(x) / t * (increasing ? 1 : -1)
            var next = x * exp(-(log(t) - log(p)) / slope)
            if !(next > lo && next < hi) || !next.isFinite {
                // Bisect: geometrically across orders of magnitude, else arithmetically.
                next = hi > 4 * lo ? lo.squareRoot() * hi.squareRoot() : lo + (hi - lo) / 2
            }
            if abs(next - x) <= 2 * x.ulp, t.isFinite { return next }
            x = next
            t = tail(x)
        }
        return x
    }

    /// Gamma(k, 1): x with P(x) = p, or Q(x) = p when `upper`.
    static func gamma(_ p: Double, upper: Bool, shape k: Double) -> Double {
        let x = solve(p: p, guess: upper ? gsl_cdf_gamma_Qinv(p, k, 1) : gsl_cdf_gamma_Pinv(p, k, 1),
                      limit: .greatestFiniteMagnitude, increasing: !upper,
                      tail: { upper ? gsl_cdf_gamma_Q($0, k, 1) : gsl_cdf_gamma_P($0, k, 1) },
                      density: { gsl_ran_gamma_pdf($0, k, 1) })
        return x == .greatestFiniteMagnitude ? .infinity : x
    }

    /// Beta(a, b) on [0, 1]: x with P(x) = p, or Q(x) = p when `upper`.
    static func beta(_ p: Double, upper: Bool, a: Double, b: Double) -> Double {
        solve(p: p, guess: upper ? gsl_cdf_beta_Qinv(p, a, b) : gsl_cdf_beta_Pinv(p, a, b), limit: 1, increasing: !upper,
              tail: { upper ? gsl_cdf_beta_Q($0, a, b) : gsl_cdf_beta_P($0, a, b) },
              density: { gsl_ran_beta_pdf($0, a, b) })
    }

    /// Student's t (ν degrees of freedom, standard): x with P(x) = p, or Q(x) = p when
    /// `upper`, both from the upper tail by symmetry (Q(x) = P(−x)).
    static func studentT(_ p: Double, upper: Bool, nu: Double) -> Double {
        if p == 0.5 { return 0 }
        let q = Swift.min(p, 1 - p)
        var x = solve(p: q, guess: gsl_cdf_tdist_Qinv(q, nu), limit: .greatestFiniteMagnitude, increasing: false,
                      tail: { tQ($0, nu) }, density: { $0 > tailStart ? nu * tQ($0, nu) / $0 : gsl_ran_tdist_pdf($0, nu) })
        if x == .greatestFiniteMagnitude { x = .infinity }
        return (p < 0.5) == upper ? x : -x
    }

    /// Beyond this, Student's t upper tail is its leading term (GSL's squares x and
    /// overflows above 1.3e154).
    static let tailStart = 1e100

    /// Q(x) of Student's t for x ≥ 0: ½·I_z(ν/2, ½) with z = ν/(ν + x²) (GSL), or far out
    /// (z < 1e-194 for ν ≤ 1e6) its leading term ½·z^(ν/2) / ((ν/2)·B(ν/2, ½)) in logs.
    static func tQ(_ x: Double, _ nu: Double) -> Double {
        guard x > tailStart else { return gsl_cdf_tdist_Q(x, nu) }
        let a = nu / 2
        let logB = lgamma(a) + lgamma(0.5) - lgamma(a + 0.5)
        let logZ = log(nu) - 2 * log(x)
        return 0.5 * exp(a * logZ - log(a) - logB)
    }
}
