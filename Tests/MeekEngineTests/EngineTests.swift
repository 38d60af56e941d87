import CGSL
import Foundation
import MeekModel
@testable import MeekEngine
@testable import MeekPriors
import Testing

/// Everything a summary reports, as comparable text (no wall time, no thread count).
func fingerprint(_ s: RunSummary) -> String {
    (s.metrics + s.inputs).map { m in
        "\(m.id) \(m.lead) \(m.never) \(m.noLead) \(m.mean.map { "\($0)" } ?? "-") \(m.sd.map { "\($0)" } ?? "-") "
            + m.quantiles.map { "\($0.value) \($0.mcse.map { "\($0)" } ?? "-")" }.joined(separator: ",")
            + m.highestDensity.map { "\($0.low) \($0.high)" }.joined(separator: ",")
            + m.byYear.map { "\($0.probability)" }.joined(separator: ",")
    }.joined(separator: "\n")
}

@Suite struct EngineTests {
    @Test(arguments: [SamplerKind.mc, .lhs, .sobol])
    func anyThreadCountGivesIdenticalResults(sampler: SamplerKind) throws {
        let file = try PriorFile.load(path: priorsDirectory + "/baseline.toml")
        let runs = try [1, 2, 7].map { threads in
            try Engine.run(RunConfiguration(prior: file, draws: 50_000, seed: 11, sampler: sampler, threads: threads))
        }
        let prints = runs.map { fingerprint($0.summary()) }
        #expect(prints[0] == prints[1])
        #expect(prints[0] == prints[2])
        // …and a different seed gives different draws.
        let other = try Engine.run(RunConfiguration(prior: file, draws: 50_000, seed: 12, sampler: sampler, threads: 2))
        if sampler != .sobol { #expect(fingerprint(other.summary()) != prints[0]) }
    }

    @Test func paperPriorsReproduceTheModelExactly() throws {
        let file = try PriorFile.load(path: priorsDirectory + "/paper.toml")
        let result = try Engine.run(RunConfiguration(prior: file, threads: 2))
        let model = try GapModel(Parameters())
        let outcome = model.evaluate(file.metrics)
        let s = result.summary()
        func value(_ id: String, _ q: Double = 0.5) -> Double? {
            s.metrics.first { $0.id == id }?.quantiles.first { $0.q == q }?.value.value
        }
        for q in [0.05, 0.5, 0.95] {
            #expect(value("peak_time", q) == outcome.peak.time.years)
            #expect(value("peak_gap", q) == outcome.peak.gap)
            #expect(value("inference_parity", q) == outcome.inferenceParity.years)
            #expect(value("converge_gap_0.01nats", q) == outcome.convergence[1].moment.years)
        }
        #expect(s.metrics.allSatisfy { $0.exact })
        #expect(s.metrics.first { $0.id == "peak_time" }!.sd == 0)
    }

    /// With only alpha uncertain, peak time t* = ln((a+b)/a)/(alpha·b) is a decreasing
    /// function of alpha, so each peak-time quantile is t* at alpha's opposite quantile.
    @Test func alphaOnlyPeakTimeQuantilesFollowTheClosedForm() throws {
        let file = try prior("""
            [run]
            quantiles = [0.05, 0.25, 0.5, 0.75, 0.95]
            [inputs]
            alpha = { dist = "lognormal", median = 0.154, sigma = 0.2 }
            """)
        let n = 200_000
        let sink = CollectingSink()
        let result = try Engine.run(RunConfiguration(prior: file, draws: n, seed: 5, threads: 2), sink: sink)
        let columns = Engine.columns(result.configuration)
        let alphaColumn = columns.firstIndex(of: "alpha")!
        let alphas = sink.rows.map { $0[alphaColumn] }.sorted()
        let peak = result.summary().metrics.first { $0.id == "peak_time" }!
        let m = try GapModel(Parameters())
        for (q, estimate, _) in peak.quantiles {
            // Type-7 quantile of t* = t*(alpha at rank (1 − q)(n − 1)).
            let h = (1 - q) * Double(n - 1)
            let k = Int(h)
            let alpha = alphas[k] + (h - Double(k)) * (alphas[k + 1] - alphas[k])
            let closedForm = log((m.a + m.b) / m.a) / (alpha * m.b)
            // Histogram resolution: 1.2e-4 relative, plus interpolation between neighbours.
            #expect(abs(estimate.value! / closedForm - 1) < 2e-4, "q=\(q)")
        }
    }

    /// An independent propagation (priors/SOURCES.md §5, 200k draws, Besiroglu arm, g_i =
    /// g_c/g_h) reported t* 5/50/95% = 2.24/3.01/3.86 years and peak ΔL 0.126/0.172/0.225.
    /// Both are Monte Carlo estimates: agreement to ±0.02 years / ±0.002 nats (several of
    /// their Monte Carlo standard errors) checks the whole chain.
    @Test func agreesWithTheIndependentPropagationInPriorsResearch() throws {
        let file = try prior("""
            [run]
            quantiles = [0.05, 0.5, 0.95]
            [inputs]
            doubling_months = { dist = "lognormal", median = 8.44, sigma = 0.293 }
            g_alg = "2^(12 / doubling_months)"
            g_h = { dist = "lognormal", median = 1.39959, sigma10 = 0.025 }
            g_c = { dist = "lognormal", median = 4.7, sigma10 = 0.025 }
            g_i = "g_c / g_h"
            [[joint]]
            file = "data/besiroglu2024-bootstrap.csv"
            columns = { A = "K_C", alpha = "alpha_C", L0 = "E" }
            """)
        let s = try Engine.run(RunConfiguration(prior: file, draws: 200_000, seed: 2025, threads: 2)).summary()
        let t = s.metrics.first { $0.id == "peak_time" }!.quantiles.map { $0.value.value! }
        let g = s.metrics.first { $0.id == "peak_gap" }!.quantiles.map { $0.value.value! }
        for (x, ref) in zip(t, [2.24, 3.01, 3.86]) { #expect(abs(x - ref) < 0.02, "t* \(x) vs \(ref)") }
        for (x, ref) in zip(g, [0.126, 0.172, 0.225]) { #expect(abs(x - ref) < 0.002, "ΔL \(x) vs \(ref)") }
    }

    @Test func derivedInputOutOfDomainStopsTheRunAtTheSameDraw() throws {
        let file = try prior("""
            [inputs]
            g_c = { dist = "lognormal", median = 4.5, sigma = 0.2 }
            g_i = "g_c - 4"
            """)
        var draws: [Int] = []
        for threads in [1, 2, 7] {
            do {
                _ = try Engine.run(RunConfiguration(prior: file, draws: 100_000, seed: 3, threads: threads))
                Issue.record("a negative g_i was accepted")
            } catch {
                guard case .invalidDraw(let e) = error else { Issue.record("\(error)"); continue }
                #expect(e.input == "g_i" && e.value <= 0 && e.expression == "g_c - 4")
                draws.append(e.draw)
            }
        }
        #expect(Set(draws).count == 1)
    }

    @Test func scenarioMixtureFollowsItsWeights() throws {
        let file = try PriorFile.load(path: priorsDirectory + "/baseline.toml")
        let n = 100_000
        let result = try Engine.run(RunConfiguration(prior: file, draws: n, seed: 9, threads: 2))
        let share = Double(result.scenarioCounts[0]) / Double(n)
        #expect(abs(share - 0.5) < 5 * (0.25 / Double(n)).squareRoot())
    }
}

/// Keeps every saved row (small runs only).
final class CollectingSink: DrawSink, @unchecked Sendable {
    private let lock = NSLock()
    private var blocks: [Int: [[Double]]] = [:]
    var width = 0

    func write(block: Int, firstDraw: Int, rows: Int, values: UnsafeBufferPointer<Double>) {
        let w = values.count / rows
        let chunk = (0..<rows).map { Array(values[($0 * w)..<(($0 + 1) * w)]) }
        lock.lock(); blocks[block] = chunk; width = w; lock.unlock()
    }

    var rows: [[Double]] { blocks.keys.sorted().flatMap { blocks[$0]! } }
}

@Suite struct HistogramTests {
    @Test func orderStatisticsWithinOneBin() {
        var g = SplitMix64(1)
        let values = (0..<50_000).map { _ in exp(Double(g.next() >> 11) / Double(1 << 53) * 10 - 5) }
        let h = Histogram()
        values.forEach(h.add)
        let sorted = values.sorted()
        let bins = h.cumulative()
        for k in stride(from: 0, to: values.count, by: 997) {
            #expect(abs(bins.orderStatistic(UInt64(k)) / sorted[k] - 1) <= 1.0 / 8192)
        }
        #expect(bins.orderStatistic(0) == sorted.first && bins.orderStatistic(UInt64(values.count - 1)) == sorted.last)
    }

    @Test func mergingHalvesEqualsRecordingAll() {
        var g = SplitMix64(2)
        let values = (0..<20_000).map { _ in Double(g.next() >> 11) / Double(1 << 53) * 100 - 30 }
        let all = Histogram(), a = Histogram(), b = Histogram()
        values.forEach(all.add)
        values.prefix(7000).forEach(a.add)
        values.dropFirst(7000).forEach(b.add)
        b.merge(a)
        let x = all.cumulative(), y = b.cumulative()
        #expect(x.total == y.total && x.bins.count == y.bins.count)
        for k in stride(from: 0, to: 20_000, by: 101) { #expect(x.orderStatistic(UInt64(k)) == y.orderStatistic(UInt64(k))) }
    }

    /// The accumulator's column path (vector scan, then bins) against one value at a time:
    /// counts, thresholds, extremes and bins exactly, mean and m2 to rounding; with ±∞,
    /// NaN, zeros, subnormals, negatives and a length that is not a multiple of four.
    @Test func columnPathMatchesValueByValue() {
        var g = SplitMix64(9)
        let specials: [Double] = [.infinity, -.infinity, .nan, 0, -0.0, 1e-310, -3]
        let values = (0..<8191).map { i -> Double in
            if i % 37 == 5 { return specials[i % specials.count] }
            return Double(g.next() >> 11) / Double(1 << 53) * 50 - 10
        }
        let thresholds = [-5.0, 0, 7.5, 20, 30, 100]
        let acc = MetricAccumulator(thresholds: thresholds)
        // Past the exact-values phase, so the column goes through the scan and the bins.
        for v in [1.0, 2, 3, 4, 5, 6, 7, 8, 9] { acc.histogram.add(v) }
        let (sums, failed) = values.withUnsafeBufferPointer { acc.add(column: $0.baseAddress!, count: $0.count) }
        let reference = Histogram()
        for v in [1.0, 2, 3, 4, 5, 6, 7, 8, 9] { reference.add(v) }
        let finite = values.filter(\.isFinite)
        finite.forEach(reference.add)
        #expect(acc.never == UInt64(values.filter { $0 == .infinity }.count))
        // No lead is −∞ only; a NaN is a failed draw, counted as no outcome.
        #expect(acc.noLead == UInt64(values.filter { $0 == -.infinity }.count))
        #expect(failed == UInt64(values.filter(\.isNaN).count) && failed > 0)
        for (k, t) in thresholds.enumerated() { #expect(acc.atOrBelow[k] == UInt64(finite.filter { $0 <= t }.count)) }
        let x = acc.histogram.cumulative(), y = reference.cumulative()
        #expect(x.total == y.total && x.bins.count == y.bins.count && x.minimum == y.minimum && x.maximum == y.maximum)
        for k in stride(from: 0, to: Int(y.total), by: 61) { #expect(x.orderStatistic(UInt64(k)) == y.orderStatistic(UInt64(k))) }
        let mean = finite.reduce(0, +) / Double(finite.count)
        let m2 = finite.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        #expect(sums.count == Double(finite.count))
        #expect(abs(sums.mean - mean) < 1e-12 * abs(mean) && abs(sums.m2 / m2 - 1) < 1e-12)
    }

    @Test func fewDistinctValuesAreExact() {
        let h = Histogram()
        for i in 0..<1000 { h.add([3.3589, 0.1, 7.0][i % 3]) }
        let bins = h.cumulative()
        #expect(bins.orderStatistic(0) == 0.1 && bins.orderStatistic(500) == 3.3589 && bins.orderStatistic(999) == 7)
    }
}
