#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension GapModel {
    /// Benchmark score, a fraction in [0, 1], of a model with loss `L` nats/token on a task
    /// of `steps` independent steps (eqs. 18–19): `(sigmoid_A/(1 + e^(−k·(L − x0))) + b)^p`.
    @inlinable public func benchmarkScore(loss L: Double, steps: Int) -> Double {
        let p = parameters
        let single = p.sigmoidA / (1 + FastMath.exp(-p.sigmoidK * (L - p.sigmoidX0))) + p.sigmoidB
        return power(single, steps)
    }

    /// Benchmark gap `ΔB(t) = 100·(Perf(Ls(t)) − Perf(Lm(t)))`, percentage points, positive
    /// while the SOTA model leads.
    ///
    /// Computed from ΔL without subtracting two nearly equal scores:
    /// `σ(Ls) − σ(Lm) = σ(Ls)·(1 − σ(Lm))·(1 − e^(k·ΔL))`, and
    /// `x^p − y^p = (x − y)·Σ x^(p−1−j)·y^j`. Where a factor of that product underflows or
    /// overflows (one model leads by tens of nats: 0·∞), the difference of sigmoids is taken
    /// in logs instead (`sigmoidDifference`), finite for all finite losses.
    @inlinable public func benchmarkGap(at t: Double, steps: Int) -> Double {
        benchmarkGap(sotaLoss: sotaLoss(at: t), meekLoss: meekLoss(at: t),
                     gap: trainingGap(at: t), steps: steps)
    }

    @inlinable func benchmarkGap(sotaLoss ls: Double, meekLoss lm: Double, gap: Double, steps: Int) -> Double {
        let p = parameters
        let sigmaS = 1 / (1 + FastMath.exp(-p.sigmoidK * (ls - p.sigmoidX0)))
        let oneMinusSigmaM = 1 / (1 + FastMath.exp(p.sigmoidK * (lm - p.sigmoidX0)))
        let factor = -FastMath.expm1(p.sigmoidK * gap)
        // The product is exact to rounding while both sigmoid factors are normal numbers
        // and the third is finite; otherwise the log form.
        let dSingle = sigmaS >= .leastNormalMagnitude && oneMinusSigmaM >= .leastNormalMagnitude && factor.isFinite
            ? p.sigmoidA * sigmaS * oneMinusSigmaM * factor
            : p.sigmoidA * sigmoidDifference(p.sigmoidK * (ls - p.sigmoidX0), p.sigmoidK * (lm - p.sigmoidX0),
                                             difference: -p.sigmoidK * gap)
        guard steps > 1 else { return 100 * dSingle }
        let xs = p.sigmoidA * sigmaS + p.sigmoidB
        let xm = p.sigmoidA * (1 - oneMinusSigmaM) + p.sigmoidB
        var sum = 0.0, xPow = 1.0
        for _ in 0..<steps {  // S ← S·xm + xs^j builds Σ_{j<p} xs^j·xm^(p−1−j)
            sum = sum * xm + xPow
            xPow *= xs
        }
        return 100 * dSingle * sum
    }
}

/// `σ(x) − σ(y)` for σ(z) = 1/(1 + e^(−z)), given `difference` = x − y (computed by the
/// caller without cancellation), in logs: σ(x) − σ(y) = sinh(d/2)/(2·cosh(x/2)·cosh(y/2)),
/// with ln cosh z = |z| + ln(1 + e^(−2|z|)) − ln 2 and ln sinh z = z + ln(1 − e^(−2z)) − ln 2
/// (z ≥ 0). Every term is finite for finite arguments and the result's log is ≤ 0, so
/// nothing overflows and no 0·∞ arises; a result below the smallest double is 0.
@inlinable func sigmoidDifference(_ x: Double, _ y: Double, difference d: Double) -> Double {
    let half = Swift.abs(d) / 2
    guard half > 0 else { return 0 }
    @inline(__always) func logCosh(_ z: Double) -> Double {
        let a = Swift.abs(z)
        return a + log1p(FastMath.exp(-2 * a)) - M_LN2
    }
    let logSinh = half + FastMath.log(-FastMath.expm1(-2 * half)) - M_LN2
    let magnitude = FastMath.exp(logSinh - logCosh(x / 2) - logCosh(y / 2) - M_LN2)
    return d < 0 ? -magnitude : magnitude
}

/// `x^n` for a small non-negative integer n by repeated squaring.
@inlinable func power(_ x: Double, _ n: Int) -> Double {
    var result = 1.0, base = x, e = n
    while e > 0 {
        if e & 1 == 1 { result *= base }
        base *= base
        e >>= 1
    }
    return result
}

/// The benchmark gap of one draw for a p-step task: its peak and its convergence.
///
/// ΔB(t) has no closed-form maximum, so it is tabulated on a grid over the window in
/// which either model's score still moves (beyond it both scores are within 1e-12 of
/// their limits), its maximum refined by golden-section search, and each convergence
/// crossing refined by bisection. The grid has `gridPoints` points; a dip below a
/// threshold and back within one grid step (far less than the sigmoid's width) would be
/// missed — documented, never observed for valid inputs.
public struct BenchmarkCurve: Sendable {
    /// Number of steps p of the task.
    public let steps: Int
    /// Peak of ΔB over t ≥ 0, in percentage points.
    public let peak: Peak
    /// Limit of ΔB as t → ∞, percentage points.
    public let limit: Double
    @usableFromInline let model: GapModel
    @usableFromInline let times: [Double]
    @usableFromInline let gaps: [Double]

    /// Grid size for the scan.
    public static let gridPoints = 2048

    /// Analyses ΔB for a p-step task (p ≥ 1).
    public init(model: GapModel, steps: Int) {
        self.model = model
        self.steps = steps
        let window = model.benchmarkWindow(steps: steps)
        limit = window.limit
        guard model.sotaEverLeads else {
            times = []; gaps = []; peak = .noLead
            return
        }
        let n = Self.gridPoints
        var ts = [Double](repeating: 0, count: n)
        var gs = [Double](repeating: 0, count: n)
        var best = 0
        for i in 0..<n {
            let t = window.end * Double(i) / Double(n - 1)
            ts[i] = t
            gs[i] = model.benchmarkGap(at: t, steps: steps)
            if gs[i] > gs[best] { best = i }
        }
        times = ts
        gaps = gs
        // Still rising at the end of the window towards a positive limit: never attained.
        let tolerance = 1e-9
        if window.limit > 0, gs[best] <= window.limit + tolerance, best >= n - 2 {
            peak = .neverPeaks(supremum: window.limit)
            return
        }
        let lo = ts[max(best - 1, 0)], hi = ts[min(best + 1, n - 1)]
        let tPeak = goldenSectionMax(lo, hi) { model.benchmarkGap(at: $0, steps: steps) }
        let gPeak = model.benchmarkGap(at: tPeak, steps: steps)
        peak = gPeak > gs[best] ? .attained(time: tPeak, gap: gPeak) : .attained(time: ts[best], gap: gs[best])
    }

    /// The first time at or after the benchmark gap's own peak at which ΔB is at or below
    /// `points` percentage points (> 0).
    public func convergence(pointsAtOrBelow points: Double) -> Moment {
        guard case .attained(let tp, let gp) = peak else { return peak.time }
        if points >= gp { return .at(tp) }
        let start = times.firstIndex { $0 > tp } ?? times.count
        guard let j = (start..<times.count).first(where: { gaps[$0] <= points }) else { return .never }
        var lo = max(tp, times[j - 1]), hi = times[j]
        for _ in 0..<200 {  // bisection: ΔB(lo) > points ≥ ΔB(hi)
            let mid = lo + 0.5 * (hi - lo)
            if mid <= lo || mid >= hi { break }
            if model.benchmarkGap(at: mid, steps: steps) > points { lo = mid } else { hi = mid }
        }
        return .at(hi)
    }
}

extension GapModel {
    /// The window `[0, end]` after which neither model's p-step score moves by more than
    /// 1e-12 (each score is within that of its limit, or its compute no longer changes),
    /// and the limit of ΔB in points.
    @usableFromInline func benchmarkWindow(steps: Int) -> (end: Double, limit: Double) {
        let p = parameters
        let epsilon = 1e-12
        // Lipschitz bound of the p-step score in the loss: p·max|score|^(p−1)·|A·k|/4 ≤ p·|A·k|/4.
        let lipschitz = Double(steps) * abs(p.sigmoidA * p.sigmoidK) / 4
        // Above xTop the loss is within epsilon/lipschitz of L0: the score is saturated high.
        let xTop = (FastMath.log(p.A) - FastMath.log(epsilon / lipschitz)) / alpha
        // Below xBottom the loss is so high that the sigmoid term is below epsilon/(p·|A|).
        let lossBottom = p.sigmoidX0 + FastMath.log(Double(steps) * abs(p.sigmoidA) / epsilon) / abs(p.sigmoidK)
        let xBottom = lossBottom > p.L0 ? (FastMath.log(p.A) - FastMath.log(lossBottom - p.L0)) / alpha : .infinity
        func settled(from x0: Double, rate: Double, at t0: Double) -> Double {
            if rate > 0 { return t0 + max(0, (xTop - x0) / rate) }
            if rate < 0 { return xBottom.isFinite ? t0 + max(0, (xBottom - x0) / rate) : t0 }
            return t0
        }
        let meekEnd = settled(from: logMeekCompute, rate: a, at: 0)
        let sotaEnd = stop.isFinite
            ? settled(from: sotaLogCompute(at: stop), rate: a, at: stop)
            : settled(from: logSotaCompute, rate: a + b, at: 0)
        let end = max(meekEnd, sotaEnd, 1e-9)
        // Limits of each score: +∞ compute → score at L0; −∞ → the sigmoid's far end.
        func limitScore(x0: Double, rate: Double) -> Double {
            if rate > 0 { return benchmarkScore(loss: p.L0, steps: steps) }
            if rate < 0 { return power(p.sigmoidK < 0 ? p.sigmoidB : p.sigmoidA + p.sigmoidB, steps) }
            return benchmarkScore(loss: loss(logCompute: x0), steps: steps)
        }
        let sotaRate = stop.isFinite ? a : a + b
        let sotaLimit = limitScore(x0: stop.isFinite ? sotaLogCompute(at: stop) : logSotaCompute, rate: sotaRate)
        let meekLimit = limitScore(x0: logMeekCompute, rate: a)
        return (end, 100 * (sotaLimit - meekLimit))
    }
}

/// Maximises a unimodal function on `[lo, hi]` by golden-section search (bounded steps).
@inlinable func goldenSectionMax(_ lo: Double, _ hi: Double, _ f: (Double) -> Double) -> Double {
    let ratio = 0.6180339887498949
    var lo = lo, hi = hi
    var x1 = hi - ratio * (hi - lo), x2 = lo + ratio * (hi - lo)
    var f1 = f(x1), f2 = f(x2)
    for _ in 0..<200 {
        if hi - lo <= 4 * max(hi.ulp, Double.leastNormalMagnitude) { break }
        if f1 < f2 {
            lo = x1; x1 = x2; f1 = f2
            x2 = lo + ratio * (hi - lo); f2 = f(x2)
        } else {
            hi = x2; x2 = x1; f2 = f1
            x1 = hi - ratio * (hi - lo); f1 = f(x1)
        }
    }
    return f1 >= f2 ? x1 : x2
}
