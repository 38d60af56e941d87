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

    @inline(always) public subscript(i: Int) -> Double { base?[i] ?? constant }
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
/// Four draws at a time (`SIMD4<Double>`): the inputs' logarithms, the derived rates, and —
/// for the draws in the paper's regime (shared progress a > 0, growing investment b > 0,
/// no investment stop) — the peak, the SPRT tokens and inference gap at the peak, inference
/// parity and every convergence time, the latter by the same safeguarded Newton iteration
/// as `GapModel`, lane by lane (a lane needing more than 12 iterations continues in the
/// scalar solver from where it stands). Every other draw (no shared progress, an
/// investment stop, …) goes through `GapModel` one at a time. Operation for operation
/// this is what `GapModel` computes, so results are bit-identical to `meek model` (tested).
///
/// Output `out[m·stride + i]` (stride ≥ count): a finite value, `+∞` for never (or an
/// unbounded supremum), `−∞` for no lead.
public enum GapKernel {
    public typealias Lanes = FastMath.Lanes
    /// Vector Newton iterations before a lane is handed to the scalar solver.
    static let vectorIterations = 12

    public static func evaluate(_ x: BlockInputs, count: Int, metrics: [KernelMetric],
                                into out: UnsafeMutablePointer<Double>, stride: Int) {
        let gInfIsGAlg = x.gInf.base != nil && x.gInf.base == x.gAlg.base
        let sprtConstant = x.sprtError.isConstant && x.bayesSlowdown.isConstant
        let sprtValue = sprtConstant ? x.bayesSlowdown.constant * sprtNumeratorIdeal(errorRate: x.sprtError.constant) : 0
        /// The logarithm of a column's four lanes (a constant's log once per block).
        struct LogColumn {
            let column: Column
            let constantLog: Lanes
            init(_ c: Column) { column = c; constantLog = Lanes(repeating: c.isConstant ? FastMath.log(c.constant) : 0) }
            @inline(always) func lanes(_ i: Int, _ count: Int) -> Lanes {
                column.isConstant ? constantLog : FastMath.log(GapKernel.load(column, i, count))
            }
        }
        let logGH = LogColumn(x.gH), logGAlg = LogColumn(x.gAlg), logGI = LogColumn(x.gI)
        let logFlop = LogColumn(x.flopPerUSD), logMeek = LogColumn(x.meekBudgetUSD), logSota = LogColumn(x.sotaBudgetUSD)
        let logA = LogColumn(x.A), logPrice = LogColumn(x.inferenceUSDPerToken), logGInf = LogColumn(x.gInf)

        var i = 0
        while i < count {
            let lanesHere = Swift.min(4, count - i)
            // Derived rates: exactly the expressions of GapModel.init.
            let alpha = load(x.alpha, i, count)
            let lgH = logGH.lanes(i, count), lgAlg = logGAlg.lanes(i, count), lFlop = logFlop.lanes(i, count)
            let lgInf = gInfIsGAlg ? lgAlg : logGInf.lanes(i, count)
            let d = Derived(
                alpha: alpha, a: lgH + lgAlg, b: logGI.lanes(i, count),
                logMeek: logMeek.lanes(i, count) + lFlop, logSota: logSota.lanes(i, count) + lFlop,
                logInference: 2 * (logPrice.lanes(i, count) + lFlop), inferenceRate: 2 * (lgH + lgInf) + lgAlg,
                logA: logA.lanes(i, count), stop: load(x.investStopYears, i, count))
            var sprt = Lanes(repeating: sprtValue)
            if !sprtConstant {
                for k in 0..<4 {
                    let j = Swift.min(i + k, count - 1)
                    sprt[k] = x.bayesSlowdown[j] * sprtNumeratorIdeal(errorRate: x.sprtError[j])
                }
            }
            let simple = (d.a .> 0) .& (d.b .> 0) .& (d.stop .== .infinity)
            var vectorDone = SIMDMask<SIMD4<Int64>>(repeating: false)
            if any(simple) {
                vectorDone = unsafeBitCast(simple, to: SIMDMask<SIMD4<Int64>>.self)
                var peak = d.peak()
                for m in metrics.indices {
                    let metric = metrics[m]
                    var value: Lanes
                    switch metric {
                    case .peakTime: value = peak.time
                    case .peakGap: value = peak.gap
                    case .sprtTokensAtPeak: value = FastMath.blend(sprt / peak.gap, Lanes(repeating: .infinity), .!(peak.gap .> 0))
                    case .inferenceGapAtPeak: value = d.inferenceGap(at: peak.time)
                    case .inferenceParity: value = d.parity()
                    case .convergence(let threshold):
                        let level: Lanes = switch threshold {
                        case .nats(let g): Lanes(repeating: g)
                        case .fractionOfPeak(let f): f * peak.gap
                        case .sprtTokens(let n): sprt / n
                        }
                        let (time, unfinished) = d.convergence(level: level, peak: &peak)
                        value = time
                        if any(unfinished .& simple) {
                            for k in 0..<lanesHere where unfinished[k] && simple[k] {
                                value[k] = resume(d, lane: k, level: level[k], peak: peak, i: i)
                            }
                        }
                    }
                    for k in 0..<lanesHere { out[m * stride + i + k] = value[k] }
                }
            }
            // Every other draw: the scalar model.
            for k in 0..<lanesHere where !vectorDone[k] {
                scalarDraw(x, d: d, lane: k, sprt: sprt[k], metrics: metrics, into: out + i + k, stride: stride)
            }
            i += 4
        }
    }

    /// Four lanes of a column from draw i (lanes past the end repeat the last draw).
    @inline(always) static func load(_ c: Column, _ i: Int, _ count: Int) -> Lanes {
        guard let base = c.base else { return Lanes(repeating: c.constant) }
        if i + 4 <= count { return UnsafeRawPointer(base + i).loadUnaligned(as: Lanes.self) }
        var v = Lanes(repeating: base[count - 1])
        for k in 0..<(count - i) { v[k] = base[i + k] }
        return v
    }

    /// One draw through `GapModel`, from the derived rates of its lane.
    @inline(never) static func scalarDraw(_ x: BlockInputs, d: Derived, lane k: Int, sprt: Double, metrics: [KernelMetric],
                           into out: UnsafeMutablePointer<Double>, stride: Int) {
        let model = d.model(lane: k, sprt: sprt)
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
            out[m * stride] = value
        }
    }

    /// Finishes a lane's convergence solve in the scalar solver, from the vector state.
    @inline(never) static func resume(_ d: Derived, lane k: Int, level: Double, peak: Derived.PeakLanes, i: Int) -> Double {
        d.model(lane: k, sprt: 0).resumeConvergence(
            logTarget: FastMath.log(level), lo: peak.lo[k], hi: peak.hi[k], t: peak.t[k],
            iterationsLeft: firstCrossingIterations - vectorIterations)
    }

    @inline(always) static func encoded(_ m: Moment) -> Double {
        switch m {
        case .at(let t): t
        case .never: .infinity
        case .noLead: -.infinity
        }
    }
}

/// The derived rates of four draws, and the vector form of `GapModel`'s methods for draws
/// with a > 0, b > 0 and no investment stop.
struct Derived {
    typealias Lanes = FastMath.Lanes
    let alpha, a, b, logMeek, logSota, logInference, inferenceRate, logA, stop: Lanes
    let rho, logK, c: Lanes

    init(alpha: Lanes, a: Lanes, b: Lanes, logMeek: Lanes, logSota: Lanes, logInference: Lanes,
         inferenceRate: Lanes, logA: Lanes, stop: Lanes) {
        (self.alpha, self.a, self.b, self.logMeek, self.logSota) = (alpha, a, b, logMeek, logSota)
        (self.logInference, self.inferenceRate, self.logA, self.stop) = (logInference, inferenceRate, logA, stop)
        rho = logSota - logMeek
        logK = logA - alpha * logMeek
        c = alpha * a
    }

    /// The lane's `GapModel`, built from the same derived values.
    func model(lane k: Int, sprt: Double) -> GapModel {
        var p = Parameters()
        p.alpha = alpha[k]
        p.investStopYears = stop[k].isFinite ? stop[k] : nil
        return GapModel(parameters: p, a: a[k], b: b[k], logMeekCompute: logMeek[k], logSotaCompute: logSota[k],
                        logInferenceCompute: logInference[k], inferenceRate: inferenceRate[k],
                        sprtNumerator: sprt, logA: logA[k])
    }

    /// ΔL(t) = −e^(ln K − c·t)·expm1(−alpha·(ρ + b·t)) (no stop).
    @inline(always) func gap(at t: Lanes) -> Lanes {
        -FastMath.exp(logK - c * t) * FastMath.expm1(-(alpha * (rho + b * t)))
    }

    struct PeakLanes {
        var time, gap: Lanes
        /// Newton state of the last convergence solve (for lanes handed to the scalar solver).
        var lo = Lanes(), hi = Lanes(), t = Lanes()
    }

    /// `GapModel.trainingPeak` for a > 0, b > 0, no stop: the larger of ΔL(0) and ΔL(t*).
    @inline(always) func peak() -> PeakLanes {
        // Equal budgets (ρ = 0, the common case): ΔL(0) is −0 exactly as computed (tested).
        let gap0 = all(rho .== 0) ? Lanes(repeating: -0.0) : gap(at: Lanes(repeating: 0))
        let ts = (FastMath.log1p(b / a) - alpha * rho) / (alpha * b)
        let gts = gap(at: ts)
        let useTs = (ts .> 0) .& (gts .> gap0)
        return PeakLanes(time: FastMath.blend(Lanes(repeating: 0), ts, useTs), gap: FastMath.blend(gap0, gts, useTs))
    }

    /// `GapModel.inferenceGap(at:)` without a stop.
    @inline(always) func inferenceGap(at t: Lanes) -> Lanes {
        let xs = logSota + a * t + b * t
        let xi = logInference + inferenceRate * t
        let g = FastMath.exp(logA - alpha * xs) * FastMath.expm1(alpha * (xs - xi))
        return FastMath.blend(g, Lanes(repeating: 0), .!(xs .> xi))
    }

    /// `GapModel.inferenceParity` without a stop (+∞ = never).
    @inline(always) func parity() -> Lanes {
        let d0 = logInference - logSota
        let slope = inferenceRate - (a + b)
        let crossing = FastMath.blend(-d0 / slope, Lanes(repeating: .infinity), .!(slope .> 0))
        return FastMath.blend(crossing, Lanes(repeating: 0), (d0 .>= 0) .& (slope .>= 0))
    }

    /// `GapModel.convergence(gapAtOrBelow:peak:)` without a stop, by the same Newton
    /// iteration lane by lane. Returns the times and the lanes still unfinished after the
    /// vector iterations (their state is left in `peak.lo/hi/t`).
    @inline(always) func convergence(level: Lanes, peak: inout PeakLanes) -> (Lanes, SIMDMask<SIMD4<Int64>>) {
        let atPeak = level .>= peak.gap
        let logTarget = FastMath.log(level)
        var hi = (logK - logTarget) / c
        hi = FastMath.blend(hi, peak.time, .!(hi .>= peak.time))  // max(tp, …)
        var lo = peak.time, t = hi
        var done = atPeak
        for _ in 0..<GapKernel.vectorIterations {
            if all(done) { break }
            // f(t): value and Newton step (GapModel.convergenceFunction).
            let u = alpha * (rho + b * t)
            let m = -FastMath.expm1(-u)
            let valueRaw = logK - c * t + FastMath.log(m) - logTarget
            let slopeTimesM = alpha * b * (1 - m) - c * m
            let valid = u .> 0
            let v = FastMath.blend(valueRaw, Lanes(repeating: -.infinity), .!valid)
            let step = FastMath.blend(valueRaw * m / slopeTimesM, Lanes(repeating: .nan), .!(valid .& (slopeTimesM .< 0)))
            // Bracket update (active lanes only).
            let active = .!done
            let positive = v .> 0
            lo = FastMath.blend(lo, t, active .& positive)
            hi = FastMath.blend(hi, t, active .& .!positive)
            let stop1 = (v .== 0) .| (hi - lo .<= 4 * ulp(hi))
            let finiteV = (v .== v) .& (v .!= .infinity) .& (v .!= -.infinity)
            let finiteStep = (step .== step) .& (step .!= .infinity) .& (step .!= -.infinity)
            var next = FastMath.blend(t - step, Lanes(repeating: .nan), .!(finiteV .& finiteStep))
            let finiteNext = (next .== next) .& (next .!= .infinity) .& (next .!= -.infinity)
            let stop2 = (v .<= 0) .& finiteNext .& (t - next .<= newtonAcceptance * t) .& (next .> lo)
            let finished = active .& (stop1 .| (.!stop1 .& stop2))
            hi = FastMath.blend(hi, next, active .& .!stop1 .& stop2)
            let inside = (next .> lo) .& (next .< hi)
            next = FastMath.blend(next, lo + 0.5 * (hi - lo), .!inside)
            t = FastMath.blend(t, next, active .& .!finished)
            done = done .| finished
        }
        peak.lo = lo
        peak.hi = hi
        peak.t = t
        let result = FastMath.blend(hi, peak.time, atPeak)
        return (result, unsafeBitCast(.!done, to: SIMDMask<SIMD4<Int64>>.self))
    }

    /// The gap between x and the next larger double, for x ≥ 0 finite (as `Double.ulp`).
    @inline(always) func ulp(_ x: Lanes) -> Lanes {
        unsafeBitCast(unsafeBitCast(x, to: SIMD4<UInt64>.self) &+ 1, to: Lanes.self) - x
    }
}
