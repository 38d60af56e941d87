#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension GapModel {
    /// Whether the SOTA model leads (ΔL(t) > 0) at some t ≥ 0.
    ///
    /// The lead exponent `u(t) = alpha·(ln(Cs/Cm) + b·min(t, T))` is monotone in t, so its
    /// supremum is at t = 0 or at the end (t = T, or t → ∞ when investment never stops).
    @inlinable public var sotaEverLeads: Bool {
        logInitialLead > 0 || (b > 0 && (stop == .infinity || logInitialLead + b * stop > 0))
    }

    /// The stationary point of `K·(e^(−c·t) − r·e^(−(c + alpha·b)·t))`,
    /// `t* = [ln((a+b)/a) − alpha·ln(Cs/Cm)] / (alpha·b)`, when it is a maximum
    /// (a and b of the same sign); not clipped. With Cs = Cm and a, b > 0 this is the
    /// paper's inflection time. `nil` when the gap has no interior maximum.
    @inlinable public var stationaryPeakTime: Double? {
        guard (a > 0 && b > 0) || (a < 0 && b < 0) else { return nil }
        return (FastMath.log1p(b / a) - alpha * logInitialLead) / (alpha * b)
    }

    /// ΔL at the stationary point t* (before any stop) in closed form: there
    /// alpha·(ln(Cs/Cm) + b·t*) = ln(1 + b/a), so 1 − e^(−u) = b/(a + b) and
    /// ΔL(t*) = e^(ln K − c·t*)·b/(a + b) — one exp instead of an exp and an expm1, and no
    /// rounding of u(t*). The block kernel computes the same expression.
    @inlinable func stationaryPeakGap(at ts: Double) -> Double {
        FastMath.exp(logK - c * ts) * (b / (a + b))
    }

    /// The maximum of the training gap ΔL(t) over t ≥ 0: `peak_time` and `peak_gap`.
    ///
    /// With shared progress (a > 0) and growing investment (b > 0) this is docs/MODEL.md's
    /// closed form: `t*` clipped at 0, and `min(t*, T)` with an investment stop at T. In
    /// general the maximum is at t = 0, at the interior stationary point, or at T; the
    /// gap's behaviour as t → ∞ decides whether it is attained at all:
    /// - no lead at any t ≥ 0 → `.noLead`;
    /// - a < 0 with a lasting lead → `.neverPeaks(+∞)` (the gap grows without bound);
    /// - a = 0, growing investment that never stops → `.neverPeaks(K)` (the gap rises
    ///   towards K = A·Cm^−alpha and never reaches it).
    public var trainingPeak: Peak {
        guard sotaEverLeads else { return .noLead }
        // Sign of the lead as t → ∞: constant after a stop, else driven by b.
        let tailLead: Double = stop.isFinite
            ? leadExponent(at: stop)
            : (b > 0 ? .infinity : (b < 0 ? -.infinity : alpha * logInitialLead))
        if tailLead > 0 {
            if c < 0 { return .neverPeaks(supremum: .infinity) }
            if c == 0 && !stop.isFinite && b > 0 { return .neverPeaks(supremum: K) }
        }
        var best = (time: 0.0, gap: trainingGap(at: 0))
        if let ts = stationaryPeakTime, ts > 0, ts < stop {
            let g = stationaryPeakGap(at: ts)
            if g > best.gap { best = (ts, g) }
        }
        if stop.isFinite {
            let g = trainingGap(at: stop)
            if g > best.gap { best = (stop, g) }
        }
        return .attained(time: best.time, gap: best.gap)
    }

    /// The first time t ≥ `peak_time` at which the training gap is at or below `gap`
    /// nats (> 0); the peak time itself when `gap` ≥ the peak gap.
    ///
    /// After its peak the gap never increases (it is unimodal before a stop and a pure
    /// exponential after it), so the answer is the unique crossing in the bracket
    /// `[peak_time, (ln K − ln gap)/c]` — valid because ΔL(t) < K·e^(−c·t). It is solved by
    /// Halley's method on ln ΔL from the right end (ln ΔL is concave, so the steps approach
    /// the root from the right), safeguarded by bisection and bounded in steps.
    public func convergence(gapAtOrBelow gap: Double, peak: Peak) -> Moment {
        guard case .attained(let tp, let gp) = peak else { return peak.time }
        if gap >= gp { return .at(tp) }
        let hi: Double
        if c > 0 {
            hi = max(tp, (logK - FastMath.log(gap)) / c)
        } else if b < 0, -logInitialLead / b <= stop {
            // No shared progress: the gap closes only when the SOTA lead itself runs out.
            hi = max(tp, -logInitialLead / b)
        } else {
            return .never
        }
        let crossing = firstCrossing(from: tp, to: hi, startingAt: hi, convergenceFunction(FastMath.log(gap)))
        return .at(crossing)
    }

    /// `ln ΔL(t) − ln gap` with its Halley step and the estimated error of the point that
    /// step leads to (NaN where the slope is not negative): the function whose root is a
    /// convergence time. With m = 1 − e^(−u), before the stop
    /// f′ = (alpha·b·(1 − m) − c·m)/m, f″ = −(alpha·b)²(1 − m)/m² and
    /// f‴ = −alpha·b·f″·(2 − m)/m; after it ln ΔL is linear (f′ = −c, the step is exact).
    /// With the Newton step s = f/f′ and q = s·f″/(2f′), the Halley step is s/(1 − q) and its
    /// error about |f‴/(6f′) − (f″/(2f′))²|·|s|³ ≤ |q|·(|q·s| + |alpha·b|·(2 − m)/(3m)·s²)
    /// (|alpha·b|: with a shrinking investment, b < 0, a signed term would make the bound
    /// negative and accept any short step).
    @inlinable
    func convergenceFunction(_ logTarget: Double) -> (Double) -> CrossingStep {
        { t in
            let u = leadExponent(at: t)
            guard u > 0 else { return CrossingStep(value: -.infinity, step: .nan, error: .nan) }
            let m = -FastMath.expm1(-u)
            let value = logK - c * t + FastMath.log(m) - logTarget
            guard t < stop else {
                // Linear: the step is exact unless it leads back across the stop.
                let slopeTimesM = -c * m
                guard slopeTimesM < 0 else { return CrossingStep(value: value, step: .nan, error: .nan) }
                let s = value * m / slopeTimesM
                return CrossingStep(value: value, step: s, error: t - s < stop ? .infinity : 0)
            }
            let ab = alpha * b
            let slopeTimesM = ab * (1 - m) - c * m
            guard slopeTimesM < 0 else { return CrossingStep(value: value, step: .nan, error: .nan) }
            let s = value * m / slopeTimesM
            let q = s * (-(ab * ab) * (1 - m) / (2 * m * slopeTimesM))
            let estimate = Swift.abs(q) * (Swift.abs(q * s) + Swift.abs(ab) * (2 - m) / (3 * m) * s * s)
            // The estimate holds for a short step that stays before the stop.
            let error = Swift.abs(s) <= crossingStepBound * t && t - s < stop ? estimate : .infinity
            return CrossingStep(value: value, step: s / (1 - q), error: error)
        }
    }

    /// Continues the convergence solve from a state (bracket and current point) reached
    /// elsewhere — the block kernel's vector iterations — with the iterations left.
    @usableFromInline
    func resumeConvergence(logTarget: Double, lo: Double, hi: Double, t: Double, iterationsLeft: Int) -> Double {
        firstCrossing(from: lo, to: hi, startingAt: t, maxIterations: iterationsLeft, convergenceFunction(logTarget))
    }
}

/// A step whose estimated error is below this share of t ends `firstCrossing` at the
/// point it leads to: 1e-16 is below the rounding of t itself.
public let crossingAcceptance = 1e-16

/// Only a step below this share of t may end `firstCrossing`: the error estimate is a
/// local one.
public let crossingStepBound = 1e-4

/// The iteration bound of `firstCrossing`.
public let firstCrossingIterations = 200

/// One evaluation of the function `firstCrossing` solves: its value, the step towards the
/// root (NaN when there is none), and the estimated error of the point the step leads to.
public struct CrossingStep: Sendable {
    public var value, step, error: Double
    @inlinable public init(value: Double, step: Double, error: Double) {
        self.value = value; self.step = step; self.error = error
    }
}

/// The first crossing of a function from positive to non-positive in `[lo, hi]`.
///
/// Requires `f(lo) > 0 ≥ f(hi)`; `f` returns its value, a step towards the root (Halley's,
/// for the convergence function) and that step's estimated error. Returns a t in
/// `(lo, hi]` with `f(t) ≤ 0`, or the point of a converged step (within rounding of the
/// root). Steps start at `t` (normally `hi`); on a concave decreasing function they
/// approach the root from the right, cubically for Halley's. Any step that leaves the
/// bracket (or a non-finite value) falls back to bisection, and the loop is bounded, so it
/// terminates for any input.
@inlinable
func firstCrossing(
    from lo: Double, to hi: Double, startingAt t: Double, maxIterations: Int = firstCrossingIterations,
    _ f: (Double) -> CrossingStep
) -> Double {
    var lo = lo, hi = hi
    var t = t
    for _ in 0..<maxIterations {
        let e = f(t)
        let v = e.value
        if v > 0 { lo = t } else { hi = t }
        if v == 0 || hi - lo <= 4 * hi.ulp { break }
        var next = (v.isFinite && e.step.isFinite) ? t - e.step : .nan
        // Converged: the point the step leads to is the root to rounding.
        if next.isFinite, e.error <= crossingAcceptance * t, next > lo, next <= hi {
            hi = next
            break
        }
        if !(next > lo && next < hi) { next = lo + 0.5 * (hi - lo) }
        t = next
    }
    return hi
}
