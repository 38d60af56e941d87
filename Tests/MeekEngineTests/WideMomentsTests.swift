import Foundation
@testable import MeekEngine
@testable import MeekPriors
import Testing

/// Moments of values beyond 1e154, whose squares overflow: the sd was +∞ (and a writer
/// trapped on it). They must be finite whenever the true values are.
@Suite struct WideMomentsTests {
    @Test func wideLognormalHasFiniteMoments() throws {
        let file = try prior("""
            [inputs]
            flop_per_usd = { dist = "lognormal", median = 1e17, sigma10 = 41 }
            """)
        let sink = CollectingSink()
        let result = try Engine.run(RunConfiguration(prior: file, draws: 50_000, seed: 8, threads: 2), sink: sink)
        let s = try #require(result.summary().inputs.first { $0.id == "flop_per_usd" })
        // Reference: two passes over the saved draws in units of 2^600 (exact scaling).
        let x = sink.rows.map { $0[0] / 0x1p600 }
        #expect(x.count == 50_000 && x.max()! * 0x1p600 > 1e170)
        let mean = x.reduce(0, +) / Double(x.count)
        let sd = (x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(x.count - 1)).squareRoot()
        let m = try #require(s.mean), d = try #require(s.sd)
        #expect(abs(m / 0x1p600 / mean - 1) < 1e-9, "mean \(m)")
        #expect(abs(d / 0x1p600 / sd - 1) < 1e-9, "sd \(d)")
        #expect(s.quantiles.allSatisfy { $0.mcse.map(\.isFinite) ?? true })
    }

    /// Unscaled sums combine exactly as before (scale 1); a scaled one with an unscaled one
    /// gives the moments of the union.
    @Test func scaledAndUnscaledBlocksCombine() {
        let a: [Double] = [1, 2, 3, 4], b: [Double] = [1e200, -3e200, 2e199]
        func sums(_ v: [Double]) -> BlockSums {
            v.withUnsafeBufferPointer { ColumnScan($0.baseAddress!, count: v.count, limits: .init(repeating: 0)).sums }
        }
        var s = sums(a)
        #expect(s.scale == 1 && s.mean == 2.5 && s.m2 == 5)
        s.combine(sums(b))
        let all = (a + b).map { $0 / 0x1p700 }
        let mean = all.reduce(0, +) / 7
        let sd = (all.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 6).squareRoot() * 0x1p700
        #expect(abs(s.mean / (mean * 0x1p700) - 1) < 1e-14)
        #expect(abs(s.sd! / sd - 1) < 1e-14)
    }
}
