#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One input over a block of draws: a column of values, or one value for every draw.
public struct Column: @unchecked Sendable {
    public let base: UnsafePointer<Double>?
    public let constant: Double

    public init(_ base: UnsafePointer<Double>) { self.base = base; constant = 0 }
    public init(constant: Double) { base = nil; self.constant = constant }

    @inline(__always) public subscript(i: Int) -> Double { base?[i] ?? constant }
    public var isConstant: Bool { base == nil }
}

/// The inputs of a block of draws as columns (structure of arrays).
public struct BlockInputs: Sendable {
    public var alpha, A, L0, gH, gAlg, gI, flopPerUSD, meekBudgetUSD, sotaBudgetUSD: Column
    /// `+∞` where the investment never stops.
    public var investStopYears: Column
    public var inferenceUSDPerToken, gInf, sprtError, bayesSlowdown: Column

    public init(alpha: Column, A: Column, L0: Column, gH: Column, gAlg: Column, gI: Column, flopPerUSD: Column,
                meekBudgetUSD: Column, sotaBudgetUSD: Column, investStopYears: Column, inferenceUSDPerToken: Column,
                gInf: Column, sprtError: Column, bayesSlowdown: Column) {
        (self.alpha, self.A, self.L0, self.gH, self.gAlg, self.gI) = (alpha, A, L0, gH, gAlg, gI)
        (self.flopPerUSD, self.meekBudgetUSD, self.sotaBudgetUSD, self.investStopYears) = (flopPerUSD, meekBudgetUSD, sotaBudgetUSD, investStopYears)
        (self.inferenceUSDPerToken, self.gInf, self.sprtError, self.bayesSlowdown) = (inferenceUSDPerToken, gInf, sprtError, bayesSlowdown)
    }
}

/// A metric the block kernel computes (the benchmark metrics go through `BenchmarkCurve`).
public enum KernelMetric: Sendable, Hashable {
    case peakTime, peakGap, sprtTokensAtPeak, inferenceGapAtPeak, inferenceParity
    case convergence(GapThreshold)
}

/// Evaluates the gap model over a block of draws held as columns.
///
/// The logarithm of each input is taken once per draw only where the input varies (a
/// constant input's logarithm is taken once per block), then the draw's `GapModel` is
/// assembled from those derived values and its own methods compute the metrics — the same
/// code, in the same order, as `GapModel(unchecked:)`, so results are bit-identical to
/// `meek model`. Output `out[m·stride + i]` (stride ≥ count): a finite value, `+∞` for never (or an unbounded
/// supremum), `−∞` for no lead.
public enum GapKernel {
    public static func evaluate(_ x: BlockInputs, count: Int, metrics: [KernelMetric],
                                into out: UnsafeMutablePointer<Double>, stride: Int) {
        /// ln of a column at draw i, with a constant column's log computed once.
        struct LogColumn {
            let column: Column
            let constantLog: Double
            init(_ c: Column) { column = c; constantLog = c.isConstant ? log(c.constant) : 0 }
            @inline(__always) subscript(i: Int) -> Double { column.base.map { log($0[i]) } ?? constantLog }
        }
        let logGH = LogColumn(x.gH), logGAlg = LogColumn(x.gAlg), logGI = LogColumn(x.gI)
        let logFlop = LogColumn(x.flopPerUSD), logMeek = LogColumn(x.meekBudgetUSD), logSota = LogColumn(x.sotaBudgetUSD)
        let logA = LogColumn(x.A), logPrice = LogColumn(x.inferenceUSDPerToken), logGInf = LogColumn(x.gInf)
        let gInfIsGAlg = x.gInf.base != nil && x.gInf.base == x.gAlg.base
        let sprtConstant = x.sprtError.isConstant && x.bayesSlowdown.isConstant
            ? x.bayesSlowdown.constant * sprtNumeratorIdeal(errorRate: x.sprtError.constant) : 0
        var p = Parameters()
        for i in 0..<count {
            p.alpha = x.alpha[i]
            p.A = x.A[i]
            p.L0 = x.L0[i]
            let stop = x.investStopYears[i]
            p.investStopYears = stop.isFinite ? stop : nil
            // Exactly the expressions of GapModel.init(unchecked:).
            let lgH = logGH[i], lgAlg = logGAlg[i], lFlop = logFlop[i]
            let lgInf = gInfIsGAlg ? lgAlg : logGInf[i]
            let sprt = x.sprtError.isConstant && x.bayesSlowdown.isConstant
                ? sprtConstant : x.bayesSlowdown[i] * sprtNumeratorIdeal(errorRate: x.sprtError[i])
            let model = GapModel(
                parameters: p, a: lgH + lgAlg, b: logGI[i],
                logMeekCompute: logMeek[i] + lFlop, logSotaCompute: logSota[i] + lFlop,
                logInferenceCompute: 2 * (logPrice[i] + lFlop), inferenceRate: 2 * (lgH + lgInf) + lgAlg,
                sprtNumerator: sprt, logA: logA[i])
            let peak = model.trainingPeak
            for (m, metric) in metrics.enumerated() {
                let value: Double
                switch metric {
                case .peakTime: value = encoded(peak.time)
                case .peakGap:
                    switch peak {
                    case .attained(_, let g): value = g
                    case .neverPeaks(let sup): value = sup
                    case .noLead: value = -.infinity
                    }
                case .sprtTokensAtPeak:
                    if case .attained(let t, _) = peak { value = model.sprtTokens(at: t) } else { value = encoded(peak.time) }
                case .inferenceGapAtPeak:
                    if case .attained(let t, _) = peak { value = model.inferenceGap(at: t) } else { value = encoded(peak.time) }
                case .inferenceParity: value = encoded(model.inferenceParity)
                case .convergence(let threshold): value = encoded(model.convergence(threshold, peak: peak))
                }
                out[m * stride + i] = value
            }
        }
    }

    @inline(__always) static func encoded(_ m: Moment) -> Double {
        switch m {
        case .at(let t): t
        case .never: .infinity
        case .noLead: -.infinity
        }
    }
}
