import CGSL
import Foundation
@testable import MeekPriors
import Testing

/// Quantiles where GSL's own inverse CDFs return NaN or a wrong finite value. References:
/// 50-digit mpmath (bisection in log x on the regularised incomplete beta and gamma
/// functions; Student's t through its incomplete-beta tail). Tolerance: 1e-9 relative (the
/// inversion asks its tail probability to 1e-12 relative; the worst conditioning here,
/// shape 0.001, multiplies that by 1000).
@Suite struct QuantileTests {
    init() { meek_gsl_disable_abort() }

    static let references: [(dist: Distribution, u: Double, x: Double)] = [
        (.beta(a: 0.02, b: 50, min: 0, max: 1), 0.5, 1.0237490485963415222e-17),  // GSL: NaN
        (.beta(a: 0.02, b: 50, min: 0, max: 1), 0.01, 1.1526389584448511962e-102),
        (.beta(a: 0.02, b: 50, min: 0, max: 1), 0.999, 3.9711485944024544115e-2),
        (.beta(a: 0.005, b: 5, min: 0, max: 1), 0.3, 3.3190377492591951177e-106),
        (.beta(a: 50, b: 0.02, min: 0, max: 1), 0.5, 1),  // 1 − 1.02e-17 rounds to 1
        (.beta(a: 2, b: 5, min: 0, max: 1), 0.3, 1.8180347131894916256e-1),
        (.beta(a: 0.5, b: 0.5, min: 0, max: 1), 0.999999, 9.999999999975325989e-1),
        (.gamma(shape: 0.05, scale: 1), 1e-6, 5.8446320572865840511e-121),  // GSL: NaN
        (.gamma(shape: 0.05, scale: 1), 0.2, 6.1285409041013022283e-15),
        (.gamma(shape: 0.05, scale: 2), 0.5, 2 * 5.5738784407462475222e-7),
        (.gamma(shape: 0.001, scale: 1), 0.6, 7.9602338168268588398e-223),  // GSL Qinv: 5e-11
        (.gamma(shape: 0.005, scale: 1), 0.9, 3.9774244455571241186e-10),
        (.gamma(shape: 1e5, scale: 1), 0.9999999, 1.0165286173245785422e+5),  // GSL Qinv: 6e-3 off
        (.gamma(shape: 2, scale: 1), 0.7, 2.4392164832802041522),
        (.studentT(nu: 0.05, location: 0, scale: 1), 0.999999999884, 5.5887173066493660653e+191),  // GSL: 6.5e181
        (.studentT(nu: 0.05, location: 0, scale: 1), 0.3, -3.1192191460329313733e+3),
        (.studentT(nu: 1, location: 0, scale: 1), 1.16e-10, -2.7440507429637126834e+9),
        (.studentT(nu: 1, location: 0, scale: 1), 0.999999999884, 2.7440510411800229918e+9),
        (.studentT(nu: 3, location: 1, scale: 2), 0.9, 1 + 2 * 1.6377443536962103222),
        (.studentT(nu: 0.001, location: 0, scale: 1), 0.3, -1.1166011909601347474e+220),  // GSL: -1.3e154
        (.studentT(nu: 0.5, location: 0, scale: 1), 0.01, -1.0284910104716218729e+3),
        (.studentT(nu: 50, location: 0, scale: 1), 0.999999999884, 7.9066094070030866618),
    ]

    @Test func quantilesMatchMpmath() {
        for (d, u, x) in Self.references {
            let got = d.quantile(u)
            #expect(abs(got - x) <= 1e-9 * abs(x), "\(d) at \(u): \(got), expected \(x)")
        }
    }

    /// A quantile below the smallest double is 0 (the engine refuses it as a draw); one
    /// beyond the largest is ±∞; never NaN.
    @Test func unrepresentableQuantilesAreZeroOrInfinite() {
        #expect(Distribution.gamma(shape: 0.01, scale: 1).quantile(1e-9) == 0)  // 5.7e-901
        #expect(Distribution.studentT(nu: 0.001, location: 0, scale: 1).quantile(0.2) == -.infinity)  // -1e398
        #expect(Distribution.studentT(nu: 0.001, location: 0, scale: 1).quantile(0.8) == .infinity)
    }

    /// Over a grid of hostile shapes and the engine's whole range of uniforms, every quantile
    /// is a number (or ±∞ / 0 where the true one is beyond the doubles) and monotone in u.
    @Test func neverNaNAndMonotone() {
        let shapes = [0.001, 0.02, 0.3, 1, 7, 300, 1e5]
        var us = [0x1p-33, 1e-8, 1e-4, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 1 - 1e-4, 1 - 1e-8, 1 - 0x1p-33]
        us.sort()
        var dists: [Distribution] = []
        for a in shapes {
            dists.append(.gamma(shape: a, scale: 1))
            dists.append(.studentT(nu: a, location: 0, scale: 1))
            for b in shapes { dists.append(.beta(a: a, b: b, min: 0, max: 1)) }
        }
        for d in dists {
            let xs = us.map(d.quantile)
            #expect(!xs.contains { $0.isNaN }, "\(d): \(xs)")
            #expect(zip(xs, xs.dropFirst()).allSatisfy { $0 <= $1 }, "\(d): \(xs)")
        }
    }

    /// 6000 random shapes across the accepted range [1e-3, 1e5] (log-uniform, a fixed
    /// xorshift stream), each at 10 uniforms including the engine's extremes: never NaN,
    /// monotone. (Compared with scipy offline, these agree within 5e-10 relative.)
    @Test func randomShapesNeverNaN() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func uniform() -> Double {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return (Double(state >> 11) + 0.5) * 0x1p-53
        }
        func shape() -> Double { exp(log(1e-3) + uniform() * (log(1e5) - log(1e-3))) }
        for i in 0..<6000 {
            let d: Distribution = switch i % 3 {
            case 0: .beta(a: shape(), b: shape(), min: 0, max: 1)
            case 1: .gamma(shape: shape(), scale: 1)
            default: .studentT(nu: shape(), location: 0, scale: 1)
            }
            let us = ((0..<6).map { _ in uniform() } + [0x1p-33, 1 - 0x1p-33, exp(-22 * uniform()), 1 - exp(-22 * uniform())]).sorted()
            let xs = us.map(d.quantile)
            #expect(!xs.contains { $0.isNaN } && zip(xs, xs.dropFirst()).allSatisfy { $0 <= $1 }, "\(d): \(us) → \(xs)")
        }
    }

    /// A truncation far in the upper tail keeps its mass (1 − F(10) rounds to 0) and its
    /// median: Q(x) = Q(10)/2 at x = 10.068411836081429405 (mpmath).
    @Test func truncationFarInTheUpperTail() throws {
        let p = try #require(Prior(.normal(mean: 0, sd: 1), truncation: (10, .infinity)))
        #expect(abs(p.sample(0.5) - 10.068411836081429405) < 1e-12)
        #expect(p.sample(1e-9) >= 10 && p.sample(1 - 1e-9) > p.sample(0.5))
        let g = try #require(Prior(.gamma(shape: 2, scale: 1), truncation: (60, 70)))
        #expect(g.sample(0.01) > 60 && g.sample(0.99) < 70 && g.sample(0.99) > g.sample(0.01))
    }
}
