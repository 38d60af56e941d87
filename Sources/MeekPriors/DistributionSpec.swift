import Foundation
import CGSL

/// Turns a prior-file entry `{ dist = "...", ... }` into a `Distribution`, accepting the
/// parameterisations researchers use and saying exactly what is missing or wrong.
struct DistributionSpec {
    let dist: String
    let fields: [String: Double]
    /// Percentile keys (`p5 = 1.8, p95 = 5.3`), sorted by probability.
    let percentiles: [(p: Double, value: Double, key: String)]
    let arrays: [String: [Double]]
    let key: [String]
    let parser: PriorParser

    func fail(_ message: String, field: String? = nil) -> PriorError {
        parser.error(field.map { key + [$0] } ?? key, message)
    }

    func need(_ name: String) throws(PriorError) -> Double {
        guard let v = fields[name] else { throw fail("\(dist) needs \(name)") }
        return v
    }

    func positive(_ name: String) throws(PriorError) -> Double {
        let v = try need(name)
        guard v > 0 else { throw fail("\(name) must be > 0 (got \(v))", field: name) }
        return v
    }

    /// Checks that exactly the allowed fields are present (typos are errors).
    func allow(_ names: Set<String>, percentiles allowed: Bool = false) throws(PriorError) {
        for name in fields.keys.sorted() where !names.contains(name) {
            throw fail("unknown key for \(dist) (expected: \(names.sorted().joined(separator: ", "))\(allowed ? ", or two percentiles such as p5 and p95" : ""))", field: name)
        }
        if !allowed, let p = percentiles.first { throw fail("\(dist) does not take percentiles", field: p.key) }
        for name in arrays.keys.sorted() where name != "truncate" && !(dist == "choice" && (name == "values" || name == "weights")) {
            throw fail("unknown key for \(dist)", field: name)
        }
    }

    /// Two percentiles (p, x): their standard-normal scores and values, checked in order.
    func twoPercentiles(log: Bool) throws(PriorError) -> (z1: Double, x1: Double, z2: Double, x2: Double)? {
        guard !percentiles.isEmpty else { return nil }
        guard percentiles.count == 2 else {
            throw fail("give exactly two percentiles (e.g. p5 and p95), got \(percentiles.count)", field: percentiles[0].key)
        }
        let (lo, hi) = (percentiles[0], percentiles[1])
        guard lo.value < hi.value else {
            throw fail("percentiles out of order: \(lo.key) = \(lo.value) must be below \(hi.key) = \(hi.value)", field: hi.key)
        }
        if log {
            guard lo.value > 0 else { throw fail("lognormal percentiles must be > 0 (got \(lo.value))", field: lo.key) }
        }
        let f: (Double) -> Double = log ? { Foundation.log($0) } : { $0 }
        return (gsl_cdf_ugaussian_Pinv(lo.p), f(lo.value), gsl_cdf_ugaussian_Pinv(hi.p), f(hi.value))
    }

    /// The shape parameters (beta a and b, gamma shape, Student-t ν) accepted: GSL's CDFs
    /// hold across this range (beta's returns NaN from a = b = 1e6 on, and its inverse then
    /// loops forever), and the quantiles are tested across it. Beyond it a prior is a point
    /// mass or a normal for any purpose of this model.
    static let shapes = 1e-3...1e5

    /// The distribution, with every parameter checked: finite, in range, and the values it
    /// derives (a range max − min, a fitted sd, a gamma's shape from mean and sd) too.
    func build() throws(PriorError) -> Distribution {
        let d = try parameters()
        switch d {
        case .fixed, .choice: break
        case .normal(let m, let sd):
            guard m.isFinite, sd.isFinite, sd > 0 else { throw fail("gives mean \(m) and sd \(sd); both must be finite and sd > 0") }
        case .lognormal(let mu, let sigma):
            guard mu.isFinite, sigma.isFinite, sigma > 0 else {
                throw fail("gives mu \(mu) and sigma \(sigma); both must be finite and sigma > 0")
            }
        case .uniform(let a, let b), .logUniform(let a, let b), .triangular(let a, _, let b):
            guard (b - a).isFinite else { throw fail("max − min must be finite (got \(a), \(b))", field: "max") }
        case .beta(let a, let b, let lo, let hi):
            guard (hi - lo).isFinite else { throw fail("max − min must be finite (got \(lo), \(hi))", field: "max") }
            for (name, v) in [("a", a), ("b", b)] where !Self.shapes.contains(v) {
                throw fail(dist == "pert" ? "gives beta shapes a = \(a), b = \(b); each must be in \(Self.shapes) (lower lambda)"
                           : "must be in \(Self.shapes) (got \(v))", field: dist == "pert" ? "lambda" : name)
            }
        case .gamma(let k, let theta):
            guard Self.shapes.contains(k), theta.isFinite, theta > 0 else {
                throw fail("gives shape \(k) and scale \(theta); the shape must be in \(Self.shapes) and the scale finite and > 0")
            }
        case .studentT(let nu, let loc, let scale):
            guard Self.shapes.contains(nu) else { throw fail("must be in \(Self.shapes) (got \(nu))", field: "nu") }
            guard loc.isFinite, scale.isFinite else { throw fail("location and scale must be finite") }
        }
        return d
    }

    func parameters() throws(PriorError) -> Distribution {
        switch dist {
        case "fixed":
            try allow(["value"])
            return .fixed(try need("value"))
        case "normal":
            try allow(["mean", "sd"], percentiles: true)
            if let p = try twoPercentiles(log: false) {
                if fields["mean"] != nil || fields["sd"] != nil { throw fail("give mean and sd, or two percentiles, not both") }
                let sd = (p.x2 - p.x1) / (p.z2 - p.z1)
                return .normal(mean: p.x1 - p.z1 * sd, sd: sd)
            }
            return .normal(mean: try need("mean"), sd: try positive("sd"))
        case "lognormal":
            try allow(["median", "mu", "sigma", "sigma10", "mean", "sd"], percentiles: true)
            if let p = try twoPercentiles(log: true) {
                if !fields.isEmpty { throw fail("give two percentiles alone, or median/mu with sigma, or mean with sd") }
                let sigma = (p.x2 - p.x1) / (p.z2 - p.z1)
                return .lognormal(mu: p.x1 - p.z1 * sigma, sigma: sigma)
            }
            if fields["mean"] != nil || fields["sd"] != nil {
                let mean = try positive("mean"), sd = try positive("sd")
                // σ² = ln(1 + (sd/mean)²), without squaring past the doubles.
                let r = sd / mean
                let s2 = r > 1e150 ? 2 * log(r) : log1p(r * r)
                return .lognormal(mu: log(mean) - s2 / 2, sigma: s2.squareRoot())
            }
            let sigma: Double
            if fields["sigma10"] != nil {
                guard fields["sigma"] == nil else { throw fail("give sigma (natural log) or sigma10 (log10), not both") }
                sigma = try positive("sigma10") * log(10)
            } else {
                sigma = try positive("sigma")
            }
            if fields["median"] != nil {
                guard fields["mu"] == nil else { throw fail("give median or mu, not both") }
                return .lognormal(mu: log(try positive("median")), sigma: sigma)
            }
            guard fields["mu"] != nil else { throw fail("lognormal needs median (or mu) and sigma, two percentiles, or mean and sd") }
            return .lognormal(mu: try need("mu"), sigma: sigma)
        case "uniform", "loguniform":
            try allow(["min", "max"])
            let a = try need("min"), b = try need("max")
            guard a < b else { throw fail("needs min < max (got \(a), \(b))", field: "max") }
            if dist == "loguniform" {
                guard a > 0 else { throw fail("loguniform needs min > 0 (got \(a))", field: "min") }
                return .logUniform(min: a, max: b)
            }
            return .uniform(min: a, max: b)
        case "beta":
            try allow(["a", "b", "min", "max"])
            let lo = fields["min"] ?? 0, hi = fields["max"] ?? 1
            guard lo < hi else { throw fail("needs min < max", field: "max") }
            return .beta(a: try positive("a"), b: try positive("b"), min: lo, max: hi)
        case "pert", "triangular":
            try allow(dist == "pert" ? ["min", "mode", "max", "lambda"] : ["min", "mode", "max"])
            let a = try need("min"), c = try need("mode"), b = try need("max")
            guard a < b, a <= c, c <= b else { throw fail("needs min ≤ mode ≤ max and min < max (got \(a), \(c), \(b))") }
            if dist == "pert" {
                let lambda = fields["lambda"] == nil ? 4 : try positive("lambda")
                return .pert(min: a, mode: c, max: b, lambda: lambda)
            }
            return .triangular(min: a, mode: c, max: b)
        case "gamma":
            try allow(["shape", "scale", "mean", "sd"])
            if fields["mean"] != nil || fields["sd"] != nil {
                let mean = try positive("mean"), sd = try positive("sd")
                let r = mean / sd
                return .gamma(shape: r * r, scale: sd / r)
            }
            return .gamma(shape: try positive("shape"), scale: try positive("scale"))
        case "student_t":
            try allow(["nu", "location", "scale"])
            return .studentT(nu: try positive("nu"), location: fields["location"] ?? 0, scale: try positive("scale"))
        case "choice":
            try allow([])
            guard let values = arrays["values"], !values.isEmpty else { throw fail("choice needs values = [...]") }
            let weights = arrays["weights"] ?? [Double](repeating: 1, count: values.count)
            guard weights.count == values.count else {
                throw fail("needs as many weights as values (\(weights.count) vs \(values.count))", field: "weights")
            }
            guard let normalised = normalisedWeights(weights) else {
                throw fail("weights must be ≥ 0 and not all 0", field: "weights")
            }
            return .choice(values: values, weights: normalised)
        default:
            throw fail("unknown distribution '\(echo(dist))'", field: "dist")
        }
    }
}

/// Weights divided by their sum, the sum taken after dividing by the largest (so weights of
/// 1e308 do not overflow it); nil unless all are finite and ≥ 0 and one is > 0.
func normalisedWeights(_ weights: [Double]) -> [Double]? {
    guard let largest = weights.max(), largest > 0, largest.isFinite, weights.allSatisfy({ $0 >= 0 }) else { return nil }
    let scaled = weights.map { $0 / largest }
    let total = scaled.reduce(0, +)
    return scaled.map { $0 / total }
}
