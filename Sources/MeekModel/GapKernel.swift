#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One input over a block of draws: a column of values, or one value for every draw.
/// A column may come with the values' natural logarithms (`log`), which the kernel then
/// reads instead of taking them itself: an engine that draws ln x (a lognormal's μ + σz)
/// saves an exp and a log per draw, and its kernel sees ln x without the rounding of e^(ln x).
public struct Column: @unchecked Sendable {
    public let base: UnsafePointer<Double>?
    public let constant: Double
    /// ln of each value, for the inputs in `GapKernel.logInputs` (ignored for the others).
    public let log: UnsafePointer<Double>?

    public init(_ base: UnsafePointer<Double>, log: UnsafePointer<Double>? = nil) {
        self.base = base; constant = 0; self.log = log
    }
    public init(constant: Double) { base = nil; self.constant = constant; log = nil }

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
/// parity and every convergence time, the latter by the same safeguarded Halley iteration
/// as `GapModel`, lane by lane (a lane needing more than 12 iterations continues in the
/// scalar solver from where it stands). Every other draw (no shared progress, an
/// investment stop, …) goes through `GapModel` one at a time. Operation for operation
/// this is what `GapModel` computes, so results are bit-identical to `meek model` (tested).
///
/// Output `out[m·stride + i]` (stride ≥ count): a finite value, `+∞` for never (or an
/// unbounded supremum), `−∞` for no lead.
public enum GapKernel {
    public typealias Lanes = FastMath.Lanes

    /// The inputs the kernel uses only through their logarithms (all of them > 0): for
    /// these a `Column` may carry `log`.
    public static let logInputs: Set<ParameterKey> = [.A, .gH, .gAlg, .gI, .flopPerUSD, .meekBudgetUSD, .sotaBudgetUSD,
                                                      .inferenceUSDPerToken, .gInf]
    /// Vector steps of the convergence solve before a lane is handed to the scalar solver.
    static let vectorIterations = 12

    /// Draws per chunk: the kernel makes several passes over a chunk (derived rates, peaks,
    /// then each metric; the convergence solve takes one step per pass), so that the
    /// long dependency chains of consecutive groups of four draws overlap in the CPU
    /// instead of running one after another. 128 draws keep a chunk's state in L1.
    static let chunkDraws = 128

    public static func evaluate(_ x: BlockInputs, count: Int, metrics: [KernelMetric],
                                into out: UnsafeMutablePointer<Double>, stride: Int) {
        let gInfIsGAlg = x.gInf.base != nil && x.gInf.base == x.gAlg.base
        let sprtConstant = x.sprtError.isConstant && x.bayesSlowdown.isConstant
        let sprtValue = sprtConstant ? x.bayesSlowdown.constant * sprtNumeratorIdeal(errorRate: x.sprtError.constant) : 0
        /// The logarithm of a column's four lanes (a constant's log once per block; read from
        /// the column's logs when it has them).
        struct LogColumn {
            let column: Column
            let constantLog: Lanes
            init(_ c: Column) { column = c; constantLog = Lanes(repeating: c.isConstant ? FastMath.log(c.constant) : 0) }
            @inline(always) func lanes(_ i: Int, _ count: Int) -> Lanes {
                if column.isConstant { return constantLog }
                if let log = column.log { return GapKernel.load(Column(log), i, count) }
                return FastMath.log(GapKernel.load(column, i, count))
            }
        }
        let logGH = LogColumn(x.gH), logGAlg = LogColumn(x.gAlg), logGI = LogColumn(x.gI)
        let logFlop = LogColumn(x.flopPerUSD), logMeek = LogColumn(x.meekBudgetUSD), logSota = LogColumn(x.sotaBudgetUSD)
        let logA = LogColumn(x.A), logPrice = LogColumn(x.inferenceUSDPerToken), logGInf = LogColumn(x.gInf)

        let groups = chunkDraws / 4
        let state = ChunkState(groups: groups)
        defer { state.deallocate() }
        var chunkStart = 0
        while chunkStart < count {
            let chunkCount = Swift.min(chunkDraws, count - chunkStart)
            let chunkGroups = (chunkCount + 3) / 4
            var anySimple = false
            // Pass 1: derived rates (exactly the expressions of GapModel.init) and which lanes
            // the vector code handles.
            for g in 0..<chunkGroups {
                let i = chunkStart + 4 * g
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
                state.derived[g] = d
                state.sprt[g] = sprt
                state.simple[g] = simple
                anySimple = anySimple || any(simple)
            }
            if anySimple {
                // Pass 2: the peak of the lanes in the paper's regime.
                for g in 0..<chunkGroups where any(state.simple[g]) { state.peak[g] = state.derived[g].peak() }
                // Pass 3: each metric over the chunk, from the stored rates and peaks.
                for m in metrics.indices {
                    let column = out + m * stride + chunkStart
                    switch metrics[m] {
                    case .convergence(let threshold):
                        convergence(threshold, state: state, draws: chunkCount, into: column)
                    case let metric:
                        for g in 0..<chunkGroups where any(state.simple[g]) {
                            let peak = state.peak[g], d = state.derived[g]
                            let value: Lanes = switch metric {
                            case .peakTime: peak.time
                            case .peakGap: peak.gap
                            case .sprtTokensAtPeak:
                                FastMath.blend(state.sprt[g] / peak.gap, Lanes(repeating: .infinity), .!(peak.gap .> 0))
                            case .inferenceGapAtPeak: d.inferenceGap(at: peak.time)
                            case .inferenceParity: d.parity()
                            case .convergence: preconditionFailure()
                            }
                            store(value, column + 4 * g, lanes: Swift.min(4, chunkCount - 4 * g))
                        }
                    }
                }
            }
            // Every other draw: the scalar model.
            for g in 0..<chunkGroups {
                let simple = state.simple[g]
                if all(simple) { continue }
                let i = chunkStart + 4 * g
                for k in 0..<Swift.min(4, count - i) where !simple[k] {
                    scalarDraw(x, d: state.derived[g], lane: k, sprt: state.sprt[g][k], metrics: metrics,
                               into: out + i + k, stride: stride)
                }
            }
            chunkStart += chunkCount
        }
    }

    /// The first `lanes` lanes of `v` into `p`.
    @inline(always) static func store(_ v: Lanes, _ p: UnsafeMutablePointer<Double>, lanes: Int) {
        if lanes == 4 { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self); return }
        for k in 0..<lanes { p[k] = v[k] }
    }

    /// One convergence metric over a chunk: `firstCrossing`'s solve, lane by lane, one step
    /// of every unfinished group per pass (lanes outside the paper's regime are
    /// marked done from the start; the scalar model overwrites them).
    static func convergence(_ threshold: GapThreshold, state: ChunkState, draws: Int,
                            into column: UnsafeMutablePointer<Double>) {
        let groups = (draws + 3) / 4
        let constantLevel: Lanes?
        if case .nats(let g) = threshold { constantLevel = Lanes(repeating: g) } else { constantLevel = nil }
        let constantLogTarget = constantLevel.map { FastMath.log($0) } ?? Lanes()
        var active = 0
        for g in 0..<groups where any(state.simple[g]) {
            let peak = state.peak[g]
            let level: Lanes = switch threshold {
            case .nats: constantLevel!
            case .fractionOfPeak(let f): f * peak.gap
            case .sprtTokens(let n): state.sprt[g] / n
            }
            let logTarget = constantLevel == nil ? FastMath.log(level) : constantLogTarget
            let solve = state.derived[g].startConvergence(level: level, logTarget: logTarget, peak: peak,
                                                          simple: state.simple[g])
            state.solves[g] = solve
            if !all(solve.done) { state.active[active] = Int32(g); active += 1 }
        }
        var iterations = 0
        while active > 0 && iterations < vectorIterations {
            var still = 0
            for j in 0..<active {
                let g = Int(state.active[j])
                state.derived[g].crossingStep(&state.solves[g])
                if !all(state.solves[g].done) { state.active[still] = Int32(g); still += 1 }
            }
            active = still
            iterations += 1
        }
        for g in 0..<groups where any(state.simple[g]) {
            let solve = state.solves[g], peak = state.peak[g]
            var value = FastMath.blend(solve.hi, peak.time, solve.atPeak)
            let unfinished = .!solve.done .& state.simple[g]
            if any(unfinished) {
                for k in 0..<4 where unfinished[k] {
                    value[k] = state.derived[g].model(lane: k, sprt: 0).resumeConvergence(
                        logTarget: solve.logTarget[k], lo: solve.lo[k], hi: solve.hi[k], t: solve.t[k],
                        iterationsLeft: firstCrossingIterations - vectorIterations)
                }
            }
            store(value, column + 4 * g, lanes: Swift.min(4, draws - 4 * g))
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
                if case .attained(_, let g) = peak { value = model.sprtTokens(gap: g) } else { value = encoded(peak.time) }
            case .inferenceGapAtPeak:
                if case .attained(let t, _) = peak { value = model.inferenceGap(at: t) } else { value = encoded(peak.time) }
            case .inferenceParity: value = encoded(model.inferenceParity)
            case .convergence(let threshold): value = encoded(model.convergence(threshold, peak: peak))
            }
            out[m * stride] = value
        }
    }

    @inline(always) static func encoded(_ m: Moment) -> Double {
        switch m {
        case .at(let t): t
        case .never: .infinity
        case .noLead: -.infinity
        }
    }
}

/// A chunk's per-group values between the kernel's passes (one allocation per block).
struct ChunkState {
    typealias Lanes = FastMath.Lanes
    let derived: UnsafeMutablePointer<Derived>
    let peak: UnsafeMutablePointer<Derived.PeakLanes>
    let sprt: UnsafeMutablePointer<Lanes>
    /// Lanes in the paper's regime (a > 0, b > 0, no stop), which the vector code handles.
    let simple: UnsafeMutablePointer<Derived.Mask>
    let solves: UnsafeMutablePointer<Derived.Solve>
    /// Groups whose convergence solve is unfinished.
    let active: UnsafeMutablePointer<Int32>

    init(groups: Int) {
        derived = .allocate(capacity: groups)
        peak = .allocate(capacity: groups)
        sprt = .allocate(capacity: groups)
        simple = .allocate(capacity: groups)
        solves = .allocate(capacity: groups)
        active = .allocate(capacity: groups)
    }

    func deallocate() {
        derived.deallocate(); peak.deallocate(); sprt.deallocate(); simple.deallocate()
        solves.deallocate(); active.deallocate()
    }
}

/// The derived rates of four draws, and the vector form of `GapModel`'s methods for draws
/// with a > 0, b > 0 and no investment stop.
struct Derived {
    typealias Lanes = FastMath.Lanes
    typealias Mask = SIMDMask<SIMD4<Int64>>
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
    }

    /// `GapModel.trainingPeak` for a > 0, b > 0, no stop: the larger of ΔL(0) and ΔL(t*).
    @inline(always) func peak() -> PeakLanes {
        // Equal budgets (ρ = 0, the common case): ΔL(0) is −0 exactly as computed (tested).
        let gap0 = all(rho .== 0) ? Lanes(repeating: -0.0) : gap(at: Lanes(repeating: 0))
        let ts = (FastMath.log1p(b / a) - alpha * rho) / (alpha * b)
        let gts = FastMath.exp(logK - c * ts) * (b / (a + b))  // GapModel.stationaryPeakGap
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

    /// The state of four convergence solves: `GapModel.convergence(gapAtOrBelow:peak:)`
    /// without a stop, by the same iteration (`firstCrossing`) lane by lane.
    struct Solve {
        var lo, hi, t: Lanes
        var logTarget: Lanes
        /// The level is at or above the peak gap: the answer is the peak time.
        var atPeak: Mask
        /// Finished lanes (and lanes the vector code does not handle).
        var done: Mask
    }

    /// The bracket [peak time, max(peak time, (ln K − ln level)/c)], starting at its right end.
    @inline(always) func startConvergence(level: Lanes, logTarget: Lanes, peak: PeakLanes, simple: Mask) -> Solve {
        let atPeak = level .>= peak.gap
        var hi = (logK - logTarget) / c
        hi = FastMath.blend(hi, peak.time, .!(hi .>= peak.time))  // max(tp, …)
        return Solve(lo: peak.time, hi: hi, t: hi, logTarget: logTarget, atPeak: atPeak, done: atPeak .| .!simple)
    }

    /// One iteration of `firstCrossing` on the unfinished lanes.
    @inline(always) func crossingStep(_ s: inout Solve) {
        let t = s.t, logTarget = s.logTarget
        var lo = s.lo, hi = s.hi
        // f(t): value, Halley step and its error (GapModel.convergenceFunction).
        let u = alpha * (rho + b * t)
        let m = -FastMath.expm1(-u)
        let valueRaw = logK - c * t + FastMath.log(m) - logTarget
        let ab = alpha * b
        let slopeTimesM = ab * (1 - m) - c * m
        let valid = u .> 0
        let v = FastMath.blend(valueRaw, Lanes(repeating: -.infinity), .!valid)
        let s0 = valueRaw * m / slopeTimesM
        let q = s0 * (-(ab * ab) * (1 - m) / (2 * m * slopeTimesM))
        let estimate = abs(q) * (abs(q * s0) + abs(ab) * (2 - m) / (3 * m) * s0 * s0)
        let errorRaw = FastMath.blend(estimate, Lanes(repeating: .infinity), .!(abs(s0) .<= crossingStepBound * t))
        let hasStep = valid .& (slopeTimesM .< 0)
        let step = FastMath.blend(s0 / (1 - q), Lanes(repeating: .nan), .!hasStep)
        let error = FastMath.blend(errorRaw, Lanes(repeating: .nan), .!hasStep)
        // Bracket update (active lanes only).
        let active = .!s.done
        let positive = v .> 0
        lo = FastMath.blend(lo, t, active .& positive)
        hi = FastMath.blend(hi, t, active .& .!positive)
        let stop1 = (v .== 0) .| (hi - lo .<= 4 * ulp(hi))
        let finiteV = (v .== v) .& (v .!= .infinity) .& (v .!= -.infinity)
        let finiteStep = (step .== step) .& (step .!= .infinity) .& (step .!= -.infinity)
        var next = FastMath.blend(t - step, Lanes(repeating: .nan), .!(finiteV .& finiteStep))
        let finiteNext = (next .== next) .& (next .!= .infinity) .& (next .!= -.infinity)
        let stop2 = finiteNext .& (error .<= crossingAcceptance * t) .& (next .> lo) .& (next .<= hi)
        let finished = active .& (stop1 .| (.!stop1 .& stop2))
        hi = FastMath.blend(hi, next, active .& .!stop1 .& stop2)
        let inside = (next .> lo) .& (next .< hi)
        next = FastMath.blend(next, lo + 0.5 * (hi - lo), .!inside)
        s.t = FastMath.blend(t, next, active .& .!finished)
        s.lo = lo
        s.hi = hi
        s.done = s.done .| finished
    }

    /// |x| per lane (the sign of a zero aside: only compared).
    @inline(always) func abs(_ x: Lanes) -> Lanes { FastMath.blend(x, -x, x .< 0) }

    /// The gap between x and the next larger double, for x ≥ 0 finite (as `Double.ulp`).
    @inline(always) func ulp(_ x: Lanes) -> Lanes {
        unsafeBitCast(unsafeBitCast(x, to: SIMD4<UInt64>.self) &+ 1, to: Lanes.self) - x
    }
}
