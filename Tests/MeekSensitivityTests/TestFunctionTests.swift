import Foundation
import MeekSensitivity
import Testing

/// The estimators on functions with known indices (SALib's test functions).
@Suite struct TestFunctionTests {
    /// Ishigami (a = 7, b = 0.1), x_i ~ U(−π, π): S = (0.3139, 0.4424, 0), ST = (0.5576,
    /// 0.4424, 0.2437), each recovered within its 95% bootstrap interval at the default
    /// base size 2^14.
    @Test func ishigami() throws {
        let design = try SaltelliDesign(baseSize: 1 << 14, columns: 3)
        let f: ([Double]) -> Double = { u in
            let x = u.map { -Double.pi + 2 * Double.pi * $0 }
            return sin(x[0]) + 7 * pow(sin(x[1]), 2) + 0.1 * pow(x[2], 4) * sin(x[0])
        }
        let y = design.evaluate(f)
        let s = SobolIndices(a: y.a, b: y.b, ab: y.ab, bootstrap: 1000, level: 0.95, seed: 7)
        for (index, truth) in zip(s.firstOrder, [0.3139, 0.4424, 0.0]) {
            #expect(index.low <= truth && truth <= index.high, "S: \(index) vs \(truth)")
            #expect(abs(index.estimate - truth) < 0.02)
        }
        for (index, truth) in zip(s.total, [0.5576, 0.4424, 0.2437]) {
            #expect(index.low <= truth && truth <= index.high, "ST: \(index) vs \(truth)")
            #expect(abs(index.estimate - truth) < 0.02)
        }
    }

    /// A linear model with independent inputs: first-order = total = the variance shares.
    @Test func linearModel() throws {
        let c = [1.0, 2.0, 3.0, 0.5]
        let design = try SaltelliDesign(baseSize: 1 << 13, columns: 4)
        let y = design.evaluate { u in zip(c, u).reduce(0) { $0 + $1.0 * ($1.1 - 0.5) } }
        let s = SobolIndices(a: y.a, b: y.b, ab: y.ab, bootstrap: 500, seed: 3)
        let shares = c.map { $0 * $0 / c.reduce(0) { $0 + $1 * $1 } }
        for i in c.indices {
            #expect(abs(s.firstOrder[i].estimate - shares[i]) < 0.01, "S\(i)")
            #expect(abs(s.total[i].estimate - shares[i]) < 0.01, "ST\(i)")
        }
        #expect(s.firstOrder.reduce(0) { $0 + $1.estimate } <= 1.01)
    }

    /// A group moves its columns together: grouping x1 and x3 of Ishigami gives the
    /// group's closed indices (S_13 = S1 + S3 + S13 = 0.5576, ST_13 = 1 − S2 = 0.5576).
    @Test func groupsMoveTogether() throws {
        let design = try SaltelliDesign(baseSize: 1 << 14, columns: 3, factors: [[0, 2], [1]])
        let y = design.evaluate { u in
            let x = u.map { -Double.pi + 2 * Double.pi * $0 }
            return sin(x[0]) + 7 * pow(sin(x[1]), 2) + 0.1 * pow(x[2], 4) * sin(x[0])
        }
        let s = SobolIndices(a: y.a, b: y.b, ab: y.ab, bootstrap: 500, seed: 5)
        #expect(abs(s.firstOrder[0].estimate - 0.5576) < 0.02)
        #expect(abs(s.total[0].estimate - 0.5576) < 0.02)
        #expect(abs(s.firstOrder[1].estimate - 0.4424) < 0.02)
    }

    @Test func badDesignsAreRefused() {
        #expect(throws: SaltelliDesign.Failure.baseSizeNotPowerOfTwo(1000)) { try SaltelliDesign(baseSize: 1000, columns: 3) }
        #expect(throws: SaltelliDesign.Failure.tooManyDimensions(42)) { try SaltelliDesign(baseSize: 1024, columns: 21) }
        #expect(throws: SaltelliDesign.Failure.self) { try SaltelliDesign(baseSize: 1024, columns: 3, factors: [[0], [1]]) }
    }
}
