import Foundation
import MeekModel
import MeekTestSupport
import Testing

/// The block kernel computes exactly what `GapModel` computes, draw by draw.
@Suite struct GapKernelTests {
    @Test func kernelIsBitIdenticalToTheScalarModel() {
        var rng = SeededGenerator(seed: 20251124)
        var draws: [Parameters] = []
        for j in 0..<3000 {
            var p = Parameters()
            p.alpha = Double.random(in: 0.03...0.4, using: &rng)
            p.A = Double.random(in: 100...5000, using: &rng)
            p.L0 = Double.random(in: 0...2, using: &rng)
            p.gH = Double.random(in: 0.8...2, using: &rng)  // includes a ≤ 0
            p.gAlg = Double.random(in: 0.9...6, using: &rng)
            p.gI = Double.random(in: 0.7...8, using: &rng)  // includes b ≤ 0
            p.flopPerUSD = exp(Double.random(in: 35...42, using: &rng))
            // The first 1200 draws: equal budgets (the kernel's ρ = 0 shortcut).
            p.sotaBudgetUSD = j < 1200 ? 1000 : [1000, 100, 1e6].randomElement(using: &rng)!
            p.investStopYears = [nil, 2, 5].randomElement(using: &rng)!
            draws.append(p)
        }
        let n = draws.count, stride = n + 17
        func column(_ f: (Parameters) -> Double) -> UnsafeMutablePointer<Double> {
            let c = UnsafeMutablePointer<Double>.allocate(capacity: n)
            for i in 0..<n { c[i] = f(draws[i]) }
            return c
        }
        let cols = [column(\.alpha), column(\.A), column(\.L0), column(\.gH), column(\.gAlg), column(\.gI),
                    column(\.flopPerUSD), column(\.sotaBudgetUSD), column { $0.investStopYears ?? .infinity }]
        defer { cols.forEach { $0.deallocate() } }
        let inputs = BlockInputs(
            alpha: Column(cols[0]), A: Column(cols[1]), L0: Column(cols[2]), gH: Column(cols[3]), gAlg: Column(cols[4]),
            gI: Column(cols[5]), flopPerUSD: Column(cols[6]), meekBudgetUSD: Column(constant: 1000),
            sotaBudgetUSD: Column(cols[7]), investStopYears: Column(cols[8]), inferenceUSDPerToken: Column(constant: 1e-8),
            gInf: Column(cols[4]), sprtError: Column(constant: 0.05), bayesSlowdown: Column(constant: 1))
        let metrics: [KernelMetric] = [.peakTime, .peakGap, .sprtTokensAtPeak, .inferenceGapAtPeak, .inferenceParity,
                                       .convergence(.nats(0.01)), .convergence(.fractionOfPeak(0.5)), .convergence(.sprtTokens(1000))]
        let out = UnsafeMutablePointer<Double>.allocate(capacity: metrics.count * stride)
        defer { out.deallocate() }
        GapKernel.evaluate(inputs, count: n, metrics: metrics, into: out, stride: stride)
        var kinds = Set<String>()
        for (i, p) in draws.enumerated() {
            let m = GapModel(unchecked: p)
            let o = m.evaluate({ var x = Metrics(); x.gapNats = [0.01]; x.peakFractions = [0.5]; x.sprtTokens = [1000]; x.benchmarkSteps = []; return x }())
            func enc(_ x: Moment) -> Double { x.years ?? (x == .never ? .infinity : -.infinity) }
            let expected: [Double] = [
                enc(o.peak.time), o.peak.gap ?? -.infinity, o.sprtTokensAtPeak ?? enc(o.peak.time),
                o.inferenceGapAtPeak ?? enc(o.peak.time), enc(o.inferenceParity),
                enc(o.convergence[0].moment), enc(o.convergence[1].moment), enc(o.convergence[2].moment),
            ]
            for k in metrics.indices where out[k * stride + i].bitPattern != expected[k].bitPattern {
                Issue.record("draw \(i) metric \(metrics[k]): kernel \(out[k * stride + i]) vs model \(expected[k])")
            }
            kinds.insert("\(o.peak)".prefix(8).description)
        }
        #expect(kinds.count >= 3)  // attained, never peaks and no lead all occurred
    }
}

/// The kernel skips ΔL(0) when every lane has equal budgets, taking it as −0: what the
/// model computes there, sign included.
@Suite struct EqualBudgetStartTests {
    @Test func gapAtZeroWithEqualBudgetsIsNegativeZero() {
        for alpha in [0.03, 0.154, 0.4] {
            for gI in [1.01, 3.57, 8.0] {
                var p = Parameters()
                p.alpha = alpha
                p.gI = gI
                let g = GapModel(unchecked: p).trainingGap(at: 0)
                #expect(g.bitPattern == (-0.0).bitPattern, "alpha \(alpha), g_i \(gI): \(g)")
            }
        }
    }
}
