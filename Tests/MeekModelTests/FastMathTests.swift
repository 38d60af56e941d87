import Foundation
import MeekModel
import MeekTestSupport
import Testing

/// FastMath against 80-bit references at fixed seeds: exp and log within 1 ulp, expm1
/// within 1.4 ulp and log1p within 1.3 ulp (deterministic scans find 0.96, 0.87, 1.37 — at
/// x ≈ 0.65, where the series is summed without reduction — and 1.13), and the special values.
@Suite struct FastMathTests {
    /// Error in ulps of `y` relative to the 80-bit reference `ref`.
    func ulps(_ y: Double, _ ref: Float80) -> Double {
        let r = Double(ref)
        guard r.isFinite, r != 0 else { return y == r ? 0 : .infinity }
        return Double(abs(Float80(y) - ref) / Float80(r.ulp))
    }

    #if arch(x86_64)
    @Test func expWithinOneUlp() {
        var g = SeededGenerator(seed: 20251124)
        var worst = 0.0
        for _ in 0..<200_000 {
            let x = Double.random(in: -745...709.7, using: &g)
            worst = max(worst, ulps(FastMath.exp(x), expl(Float80(x))))
        }
        for _ in 0..<100_000 {
            let x = Double.random(in: -5...5, using: &g)
            worst = max(worst, ulps(FastMath.exp(x), expl(Float80(x))))
        }
        #expect(worst <= 1.0, "worst \(worst) ulp")
    }

    @Test func expm1WithinOneUlp() {
        var g = SeededGenerator(seed: 20251124)
        var worst = 0.0
        for range in [-40.0...709.0, -1.0...1.0, -1e-6...1e-6] {
            for _ in 0..<100_000 {
                let x = Double.random(in: range, using: &g)
                worst = max(worst, ulps(FastMath.expm1(x), expm1l(Float80(x))))
            }
        }
        for x in [1e-300, -1e-300, 1e-20, 5e-324, 0.3465, 0.3467, -0.3466, 0.6522540666666666, 0.6931471805599453] {
            worst = max(worst, ulps(FastMath.expm1(x), expm1l(Float80(x))))
        }
        #expect(worst <= 1.4, "worst \(worst) ulp")  // stated: 1.4 ulp (a dense scan finds 1.37 near 0.65)
    }

    @Test func logWithinOneUlp() {
        var g = SeededGenerator(seed: 20251124)
        var worst = 0.0
        for _ in 0..<200_000 {
            let x = Foundation.exp(Double.random(in: -700...700, using: &g))
            worst = max(worst, ulps(FastMath.log(x), logl(Float80(x))))
        }
        for _ in 0..<100_000 {
            let x = Double.random(in: 0.5...2, using: &g)
            worst = max(worst, ulps(FastMath.log(x), logl(Float80(x))))
        }
        for x in [1e-310, 5e-324, 1.0000000000000002, 0.9999999999999999, 1.4142135623730951, 2.0.squareRoot().nextUp] {
            worst = max(worst, ulps(FastMath.log(x), logl(Float80(x))))
        }
        #expect(worst <= 1.0, "worst \(worst) ulp")
    }
    #endif

    @Test func log1pWithinOneUlp() {
        var g = SeededGenerator(seed: 20251124)
        var worst = 0.0
        for range in [0.0...1000.0, -0.5...0.5, -1e-8...1e-8] {
            for _ in 0..<100_000 {
                let x = Double.random(in: range, using: &g)
                worst = max(worst, ulps(FastMath.log1p(x), log1pl(Float80(x))))
            }
        }
        #expect(worst <= 1.3, "worst \(worst) ulp")  // stated: 1.3 ulp (a dense scan finds 1.13)
    }

    @Test func lanesAgreeWithOneValue() {
        let x = FastMath.Lanes(0.3, -2.5, 1e-9, 700)
        let ax = x.replacing(with: -x, where: x .< 0)
        let e = FastMath.exp(x), m = FastMath.expm1(x), l = FastMath.log(ax), p = FastMath.log1p(ax)
        for i in 0..<4 {
            #expect(e[i] == FastMath.exp(x[i]) && m[i] == FastMath.expm1(x[i]))
            #expect(l[i] == FastMath.log(ax[i]) && p[i] == FastMath.log1p(ax[i]))
        }
    }

    @Test func specialValues() {
        #expect(FastMath.exp(0) == 1 && FastMath.exp(-800) == 0 && FastMath.exp(710) == .infinity)
        #expect(FastMath.exp(.infinity) == .infinity && FastMath.exp(-.infinity) == 0 && FastMath.exp(.nan).isNaN)
        #expect(FastMath.expm1(0) == 0 && FastMath.expm1(-50) == -1 && FastMath.expm1(800) == .infinity)
        #expect(FastMath.expm1(-.infinity) == -1 && FastMath.expm1(.nan).isNaN)
        #expect(FastMath.log(1) == 0 && FastMath.log(0) == -.infinity && FastMath.log(.infinity) == .infinity)
        #expect(FastMath.log(-1).isNaN && FastMath.log(.nan).isNaN)
        #expect(abs(FastMath.exp(FastMath.log(3)) - 3) <= 2 * 3.0.ulp)
    }
}
