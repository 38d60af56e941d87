import CGSL
import Foundation

/// A univariate prior, sampled by its inverse CDF so that plain Monte Carlo, Latin
/// hypercube, Sobol' points, truncation and the Gaussian copula all share one path:
/// a uniform u in (0, 1) goes in, a value comes out.
public enum Distribution: Sendable, Equatable {
    /// A point mass.
    case fixed(Double)
    /// Normal with mean and standard deviation.
    case normal(mean: Double, sd: Double)
    /// ln X ~ Normal(mu, sigma).
    case lognormal(mu: Double, sigma: Double)
    /// Uniform on [min, max].
    case uniform(min: Double, max: Double)
    /// ln X uniform on [ln min, ln max].
    case logUniform(min: Double, max: Double)
    /// Beta(a, b) rescaled to [min, max].
    case beta(a: Double, b: Double, min: Double, max: Double)
    /// Triangular on [min, max] with the given mode.
    case triangular(min: Double, mode: Double, max: Double)
    /// Gamma with shape k and scale θ (mean kθ).
    case gamma(shape: Double, scale: Double)
    /// Student's t with ν degrees of freedom, shifted and scaled.
    case studentT(nu: Double, location: Double, scale: Double)
    /// A discrete choice among values with weights (normalised).
    case choice(values: [Double], weights: [Double])

    /// PERT(min, mode, max) with shape λ (default 4): a beta on [min, max] with
    /// a = 1 + λ(mode − min)/(max − min), b = 1 + λ(max − mode)/(max − min).
    public static func pert(min: Double, mode: Double, max: Double, lambda: Double = 4) -> Distribution {
        let range = max - min
        return .beta(a: 1 + lambda * (mode - min) / range, b: 1 + lambda * (max - mode) / range, min: min, max: max)
    }

    /// The inverse CDF at u in (0, 1). Finite wherever the quantile is a finite double; a
    /// quantile beyond the doubles is ±∞ (or 0 when it underflows), never NaN.
    public func quantile(_ u: Double) -> Double {
        switch self {
        case .fixed(let v): return v
        case .normal(let m, let s): return m + s * gsl_cdf_ugaussian_Pinv(u)
        case .lognormal(let mu, let s): return exp(mu + s * gsl_cdf_ugaussian_Pinv(u))
        case .uniform(let a, let b): return a + u * (b - a)
        case .logUniform(let a, let b): return exp(log(a) + u * (log(b) - log(a)))
        case .triangular(let a, let c, let b):
            let fc = (c - a) / (b - a)
            return u < fc ? a + (u * (b - a)).squareRoot() * (c - a).squareRoot()
                : b - ((1 - u) * (b - a)).squareRoot() * (b - c).squareRoot()
        case .beta, .gamma, .studentT:
            return u <= 0.5 ? quantile(tail: u, upper: false) : quantile(tail: 1 - u, upper: true)
        case .choice(let values, let weights):
            var cumulative = 0.0
            for (v, w) in zip(values, weights) {
                cumulative += w
                if u < cumulative { return v }
            }
            return values[values.count - 1]
        }
    }

    /// The x with P(X ≤ x) = p, or P(X > x) = p when `upper`: the tail form keeps a
    /// quantile far in the upper tail accurate (1 − p would lose it).
    public func quantile(tail p: Double, upper: Bool) -> Double {
        switch self {
        case .normal(let m, let s): return m + s * (upper ? gsl_cdf_ugaussian_Qinv(p) : gsl_cdf_ugaussian_Pinv(p))
        case .lognormal(let mu, let s): return exp(mu + s * (upper ? gsl_cdf_ugaussian_Qinv(p) : gsl_cdf_ugaussian_Pinv(p)))
        case .uniform(let a, let b): return upper ? b - p * (b - a) : a + p * (b - a)
        case .logUniform(let a, let b): return upper ? exp(log(b) - p * (log(b) - log(a))) : exp(log(a) + p * (log(b) - log(a)))
        case .beta(let a, let b, let lo, let hi): return lo + (hi - lo) * TailInversion.beta(p, upper: upper, a: a, b: b)
        case .gamma(let k, let theta): return theta * TailInversion.gamma(p, upper: upper, shape: k)
        case .studentT(let nu, let loc, let scale): return loc + scale * TailInversion.studentT(p, upper: upper, nu: nu)
        case .triangular(let a, let c, let b):
            guard upper, p < (b - c) / (b - a) else { return quantile(upper ? 1 - p : p) }
            return b - (p * (b - a)).squareRoot() * (b - c).squareRoot()
        case .fixed, .choice: return quantile(upper ? 1 - p : p)
        }
    }

    /// The CDF at x (GSL's CDFs take no infinite x: its ends are answered here).
    public func cdf(_ x: Double) -> Double {
        if x.isInfinite { return x > 0 ? 1 : 0 }
        switch self {
        case .fixed(let v): return x >= v ? 1 : 0
        case .normal(let m, let s): return gsl_cdf_gaussian_P(x - m, s)
        case .lognormal(let mu, let s): return x <= 0 ? 0 : gsl_cdf_lognormal_P(x, mu, s)
        case .uniform(let a, let b): return Swift.min(Swift.max((x - a) / (b - a), 0), 1)
        case .logUniform(let a, let b):
            return x <= a ? 0 : Swift.min((log(x) - log(a)) / (log(b) - log(a)), 1)
        case .beta(let a, let b, let lo, let hi):
            return x <= lo ? 0 : (x >= hi ? 1 : gsl_cdf_beta_P((x - lo) / (hi - lo), a, b))
        case .triangular(let a, let c, let b):
            if x <= a { return 0 }
            if x >= b { return 1 }
            return x <= c ? (x - a) * (x - a) / ((b - a) * (c - a)) : 1 - (b - x) * (b - x) / ((b - a) * (b - c))
        case .gamma(let k, let theta): return x <= 0 ? 0 : gsl_cdf_gamma_P(x, k, theta)
        case .studentT(let nu, let loc, let scale): return gsl_cdf_tdist_P((x - loc) / scale, nu)
        case .choice(let values, let weights):
            return zip(values, weights).reduce(0) { $0 + ($1.0 <= x ? $1.1 : 0) }
        }
    }

    /// P(X > x), computed as an upper tail (not 1 − CDF) where GSL has one.
    public func ccdf(_ x: Double) -> Double {
        if x.isInfinite { return x > 0 ? 0 : 1 }
        switch self {
        case .normal(let m, let s): return gsl_cdf_gaussian_Q(x - m, s)
        case .lognormal(let mu, let s): return x <= 0 ? 1 : gsl_cdf_lognormal_Q(x, mu, s)
        case .beta(let a, let b, let lo, let hi):
            return x <= lo ? 1 : (x >= hi ? 0 : gsl_cdf_beta_Q((x - lo) / (hi - lo), a, b))
        case .gamma(let k, let theta): return x <= 0 ? 1 : gsl_cdf_gamma_Q(x, k, theta)
        case .studentT(let nu, let loc, let scale): return gsl_cdf_tdist_Q((x - loc) / scale, nu)
        case .uniform(let a, let b): return Swift.min(Swift.max((b - x) / (b - a), 0), 1)
        case .logUniform(let a, let b):
            return x >= b ? 0 : Swift.min((log(b) - log(x)) / (log(b) - log(a)), 1)
        case .triangular(let a, let c, let b):
            if x >= b { return 0 }
            if x > c { return (b - x) * (b - x) / ((b - a) * (b - c)) }
            return 1 - cdf(x)
        case .fixed, .choice: return 1 - cdf(x)
        }
    }

    /// The smallest and largest values the distribution can produce, and whether each is
    /// reachable (a closed end) or only approached (an open end).
    public var support: Support {
        switch self {
        case .fixed(let v): return Support(lower: v, upper: v, lowerClosed: true, upperClosed: true)
        case .normal, .studentT: return Support(lower: -.infinity, upper: .infinity, lowerClosed: false, upperClosed: false)
        case .lognormal, .gamma: return Support(lower: 0, upper: .infinity, lowerClosed: false, upperClosed: false)
        case .uniform(let a, let b), .logUniform(let a, let b), .beta(_, _, let a, let b), .triangular(let a, _, let b):
            return Support(lower: a, upper: b, lowerClosed: true, upperClosed: true)
        case .choice(let values, _):
            return Support(lower: values.min()!, upper: values.max()!, lowerClosed: true, upperClosed: true)
        }
    }

    /// Whether every draw is the same value.
    public var isFixed: Bool {
        if case .fixed = self { return true }
        return false
    }
}

/// The set of values a prior can produce.
public struct Support: Sendable, Equatable {
    public var lower: Double, upper: Double
    public var lowerClosed: Bool, upperClosed: Bool

    /// Whether the support can produce a value ≤ `bound` (< when `strict` is false).
    func reaches(below bound: Double, inclusive: Bool) -> Bool {
        inclusive ? (lower < bound || (lower == bound && lowerClosed)) : lower < bound
    }

    func reaches(above bound: Double, inclusive: Bool) -> Bool {
        inclusive ? (upper > bound || (upper == bound && upperClosed)) : upper > bound
    }

    public var description: String {
        "\(lowerClosed ? "[" : "(")\(lower), \(upper)\(upperClosed ? "]" : ")")"
    }
}

/// A distribution, optionally truncated to [low, high]: sampled as
/// `F⁻¹(F(low) + u·(F(high) − F(low)))`, or, when the interval lies above the median, in the
/// upper-tail form `Q⁻¹(Q(low) − u·(Q(low) − Q(high)))`, so that a truncation far in the
/// upper tail keeps its mass (1 − F would round it to 0).
public struct Prior: Sendable, Equatable {
    public let distribution: Distribution
    public let truncation: (low: Double, high: Double)?
    /// The tail probability at `low` (P, or Q when `upperTail`) and the kept mass.
    @usableFromInline let tailLow: Double
    @usableFromInline let mass: Double
    @usableFromInline let upperTail: Bool

    public static func == (l: Prior, r: Prior) -> Bool {
        l.distribution == r.distribution && l.truncation?.low == r.truncation?.low
            && l.truncation?.high == r.truncation?.high
    }

    /// Fails (returns nil) when the truncation keeps no probability mass. Truncation
    /// applies to continuous distributions (the parser refuses it on `fixed` and `choice`).
    public init?(_ distribution: Distribution, truncation: (low: Double, high: Double)? = nil) {
        self.distribution = distribution
        self.truncation = truncation
        if let t = truncation {
            let pLow = distribution.cdf(t.low)
            upperTail = pLow > 0.5
            if upperTail {
                tailLow = distribution.ccdf(t.low)
                mass = tailLow - distribution.ccdf(t.high)
            } else {
                tailLow = pLow
                mass = distribution.cdf(t.high) - pLow
            }
            guard t.low < t.high, mass > 0, mass.isFinite, tailLow.isFinite else { return nil }
        } else {
            tailLow = 0
            mass = 1
            upperTail = false
        }
    }

    /// The value for a uniform u in (0, 1).
    @inlinable public func sample(_ u: Double) -> Double {
        guard let t = truncation else { return distribution.quantile(u) }
        let p = upperTail ? tailLow - u * mass : tailLow + u * mass
        let x = distribution.quantile(tail: Swift.min(Swift.max(p, Double.leastNormalMagnitude), 1.0.nextDown),
                                      upper: upperTail)
        return Swift.min(Swift.max(x, t.low), t.high)
    }

    /// The support after truncation.
    public var support: Support {
        var s = distribution.support
        if let t = truncation {
            if t.low > s.lower || (t.low == s.lower && !s.lowerClosed) {
                s.lower = t.low; s.lowerClosed = true
            }
            if t.high < s.upper || (t.high == s.upper && !s.upperClosed) {
                s.upper = t.high; s.upperClosed = true
            }
        }
        return s
    }
}
