import Foundation
import MeekModel
@testable import MeekEngine
@testable import MeekPriors
import Testing

/// A draw whose model input is not a valid number, or whose metric the model cannot
/// compute, is an error of that draw: never counted as "no lead" or "never".
@Suite struct FailedDrawTests {
    func failure(_ text: String, draws: Int = 50_000, threads: Int = 2) throws -> DrawError? {
        try failure(try prior(text), draws: draws, threads: threads)
    }

    func failure(_ file: PriorFile, draws: Int = 50_000, threads: Int = 2) throws -> DrawError? {
        do {
            _ = try Engine.run(RunConfiguration(prior: file, draws: draws, seed: 5, threads: threads))
            return nil
        } catch let error as EngineError {
            guard case .invalidDraw(let e) = error else { Issue.record("\(error)"); return nil }
            return e
        }
    }

    /// `name` drawn from a lognormal with median 1e300 and `sigma10` in a parsed file. The
    /// parser refuses such a prior (it probes the extreme uniforms), so the file is edited
    /// after parsing: the engine's per-draw check is the last line of defence, for whatever
    /// a sampler produces beyond the parser's probe points (a ziggurat's tail, a copula).
    func overflowing(_ name: String, sigma10: Double) throws -> PriorFile {
        var file = try prior("[inputs]\n\(name) = { dist = \"lognormal\", median = 1e300, sigma10 = 1 }")
        file.scenarios[0].definitions[name] = .random(try #require(Prior(.lognormal(mu: 300 * log(10.0), sigma: sigma10 * log(10.0)))))
        return file
    }

    /// A random input that overflows (a lognormal with median 1e300 and a wide spread): its
    /// draws above 1.8e308 are infinite, which made every such draw "never".
    @Test func overflowingRandomInputIsAnError() throws {
        let e = try #require(try failure(try overflowing("g_i", sigma10: 10)))
        #expect(e.input == "g_i" && e.value == .infinity && e.expression == nil)
        #expect(EngineError.invalidDraw(e).description == "draw \(e.draw): g_i = inf, but g_i must be > 0; check its prior")
    }

    /// Issue 13's reproducer: g_i ~ gamma(shape 0.05), where GSL's quantile function
    /// returned NaN at small u and 36% of the draws were reported as no lead. With equal
    /// budgets the SOTA model leads exactly when g_i > 1: every draw counted as no lead must
    /// have a valid g_i ≤ 1 — or the run stops at a draw whose g_i is not valid.
    @Test func noLeadIsNeverAFailedDraw() throws {
        let file = try prior("""
            [inputs]
            g_i = { dist = "gamma", shape = 0.05, scale = 20 }
            """)
        let sink = CollectingSink()
        do {
            let result = try Engine.run(RunConfiguration(prior: file, draws: 20_000, seed: 5, threads: 2), sink: sink)
            let rows = sink.rows
            let gI = 0, peakTime = 1  // columns: the uncertain input, then the metrics
            #expect(rows.count == 20_000)
            for r in rows { #expect((r[peakTime] == -.infinity) == (r[gI] > 0 && r[gI] <= 1), "g_i \(r[gI]): \(r[peakTime])") }
            let s = result.summary().metrics[0]
            #expect(s.noLead == rows.filter { $0[gI] <= 1 }.count)
        } catch let error as EngineError {
            guard case .invalidDraw(let e) = error else { Issue.record("\(error)"); return }
            #expect(e.input == "g_i" && !(e.value > 0 && e.value.isFinite))
        }
    }

    /// The first bad draw is the same for any thread count (lean and full blocks alike).
    @Test func theFailedDrawDoesNotDependOnThreads() throws {
        let file = try overflowing("g_h", sigma10: 6)
        let draws = try [1, 2, 7].map { try #require(try failure(file, draws: 300_000, threads: $0)).draw }
        #expect(Set(draws).count == 1 && draws[0] >= 0)
    }

    /// A drawn sigmoid input must keep the sigmoid valid when benchmark metrics are asked.
    @Test func drawnSigmoidBreakingItsRuleIsAnError() throws {
        let e = try #require(try failure("""
            [metrics]
            benchmark_steps = [1]
            [inputs]
            sigmoid_b = { dist = "uniform", min = 0.1, max = 2 }
            """, draws: 2000))
        #expect(e.input == "sigmoid_b" && e.value > 1 && e.requirement == "in [0, 1]")
    }

    /// Without benchmark metrics the sigmoid is not read, so its rule does not apply.
    @Test func sigmoidRuleOnlyWithBenchmarkMetrics() throws {
        #expect(try failure("""
            [inputs]
            sigmoid_b = { dist = "uniform", min = 0.1, max = 2 }
            """, draws: 2000) == nil)
    }
}
