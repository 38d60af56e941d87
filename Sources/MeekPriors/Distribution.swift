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

    /// The inverse CDF at u in (0, 1).
    public func quantile(_ u: Double) -> Double {
        switch self {
        case .fixed(let v): return v
        case .normal(let m, let s): return m + s * gsl_cdf_ugaussian_Pinv(u)
        case .lognormal(let mu, let s): return exp(mu + s * gsl_cdf_ugaussian_Pinv(u))
        case .uniform(let a, let b): return a + u * (b - a)
        case .logUniform(let a, let b): return exp(log(a) + u * (log(b) - log(a)))
        case .beta(let a, let b, let lo, let hi): return lo + (hi - lo) * gsl_cdf_beta_Pinv(u, a, b)
        case .triangular(let a, let c, let b):
            let fc = (c - a) / (b - a)
            return u < fc ? a + sqrt(u * (b - a) * (c - a)) : b - sqrt((1 - u) * (b - a) * (b - c))
        case .gamma(let k, let theta): return gsl_cdf_gamma_Pinv(u, k, theta)
        case .studentT(let nu, let loc, let scale): return loc + scale * gsl_cdf_tdist_Pinv(u, nu)
        case .choice(let values, let weights):
            var cumulative = 0.0
            for (v, w) in zip(values, weights) {
                cumulative += w
                if u < cumulative { return v }
            }
            return values[values.count - 1]
        }
    }

    /// The CDF at x.
    public func cdf(_ x: Double) -> Double {
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
/// `F⁻¹(F(low) + u·(F(high) − F(low)))`.
public struct Prior: Sendable, Equatable {
    public let distribution: Distribution
    public let truncation: (low: Double, high: Double)?
    @usableFromInline let cdfLow: Double
    @usableFromInline let cdfMass: Double

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
            cdfLow = distribution.cdf(t.low)
            cdfMass = distribution.cdf(t.high) - cdfLow
            guard t.low < t.high, cdfMass > 0 else { return nil }
        } else {
            cdfLow = 0
            cdfMass = 1
        }
    }

    /// The value for a uniform u in (0, 1).
    @inlinable public func sample(_ u: Double) -> Double {
        guard let t = truncation else { return distribution.quantile(u) }
        let p = cdfLow + u * cdfMass
        let x = distribution.quantile(Swift.min(Swift.max(p, Double.leastNormalMagnitude), 1.0.nextDown))
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
