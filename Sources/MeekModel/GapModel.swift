#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The deterministic gap model of Gundlach, Lynch & Thompson (2025) for one set of inputs.
///
/// Built once per draw from validated `Parameters`; holds the derived rates so every
/// trajectory and metric is a few arithmetic operations and transcendental calls. Time `t`
/// is in years since `start_year`, losses in nats/token, compute in FLOP.
///
/// Everything is computed in log-compute space and the training gap in its factored form
/// `ΔL = K·e^(−c·t)·(1 − e^(−u(t)))` with `K = A·Cm^−alpha`, `c = alpha·a` and
/// `u(t) = alpha·(ln(Cs/Cm) + b·min(t, T))`, using `expm1`, so gaps far below 1e-12 nats
/// keep full relative precision and nothing overflows for extreme but valid inputs.
public struct GapModel: Sendable, Hashable {
    /// The inputs this model was built from.
    public let parameters: Parameters
    /// `a = ln(g_h·g_alg)`: growth rate of shared effective compute, 1/year.
    public let a: Double
    /// `b = ln(g_i)`: growth rate of the SOTA lab's investment, 1/year.
    public let b: Double
    /// `ln Cm`: log of the meek model's training compute, `meek_budget_usd·flop_per_usd`.
    public let logMeekCompute: Double
    /// `ln Cs`: log of the SOTA model's training compute at t = 0.
    public let logSotaCompute: Double
    /// `ln(Cs/Cm)`: the SOTA lab's initial log-compute lead.
    public let logInitialLead: Double
    /// `ln A`.
    public let logA: Double
    /// `ln K`, `K = A·Cm^−alpha`: the meek model's reducible loss at t = 0, nats.
    public let logK: Double
    /// `c = alpha·a`: decay rate of the meek model's reducible loss (and of the gap's
    /// envelope `K·e^(−c·t)`), 1/year.
    public let c: Double
    /// `T`: the time the SOTA investment stops growing, years; `+∞` when it never stops.
    public let stop: Double
    /// `2·ln Cinf`: log of the training-equivalent compute of the meek inference budget at
    /// t = 0 (inference compute squared, App. C).
    public let logInferenceCompute: Double
    /// Growth rate of that compute, `2·ln(g_h·g_inf) + ln g_alg`, 1/year.
    public let inferenceRate: Double
    /// SPRT numerator `bayes_slowdown·[(1−e)·ln((1−e)/e) + e·ln(e/(1−e))]`, nats (eq. 16).
    public let sprtNumerator: Double

    /// Builds the model after checking every input; throws the first invalid one.
    public init(_ parameters: Parameters) throws(ParameterError) {
        try parameters.validate()
        self.init(unchecked: parameters)
    }

    /// Builds the model without validation, for callers that validated the inputs already
    /// (the Monte Carlo engine checks priors' supports once, not every draw).
    public init(unchecked p: Parameters) {
        parameters = p
        a = FastMath.log(p.gH) + FastMath.log(p.gAlg)
        b = FastMath.log(p.gI)
        logMeekCompute = FastMath.log(p.meekBudgetUSD) + FastMath.log(p.flopPerUSD)
        logSotaCompute = FastMath.log(p.sotaBudgetUSD) + FastMath.log(p.flopPerUSD)
        logInitialLead = logSotaCompute - logMeekCompute
        logA = FastMath.log(p.A)
        logK = logA - p.alpha * logMeekCompute
        c = p.alpha * a
        stop = p.investStopYears ?? .infinity
        logInferenceCompute = 2 * (FastMath.log(p.inferenceUSDPerToken) + FastMath.log(p.flopPerUSD))
        inferenceRate = 2 * (FastMath.log(p.gH) + FastMath.log(p.effectiveGInf)) + FastMath.log(p.gAlg)
        sprtNumerator = p.bayesSlowdown * sprtNumeratorIdeal(errorRate: p.sprtError)
    }

    /// Builds the model from derived quantities computed elsewhere (the block kernel, which
    /// takes each varying input's logarithm once). The caller guarantees they are exactly
    /// what `init(unchecked:)` would compute, so both paths give identical results.
    @usableFromInline
    init(parameters p: Parameters, a: Double, b: Double, logMeekCompute: Double, logSotaCompute: Double,
         logInferenceCompute: Double, inferenceRate: Double, sprtNumerator: Double, logA: Double) {
        parameters = p
        self.a = a
        self.b = b
        self.logMeekCompute = logMeekCompute
        self.logSotaCompute = logSotaCompute
        logInitialLead = logSotaCompute - logMeekCompute
        self.logA = logA
        logK = logA - p.alpha * logMeekCompute
        c = p.alpha * a
        stop = p.investStopYears ?? .infinity
        self.logInferenceCompute = logInferenceCompute
        self.inferenceRate = inferenceRate
        self.sprtNumerator = sprtNumerator
    }

    /// `alpha`, for brevity in formulas.
    @inlinable public var alpha: Double { parameters.alpha }
    /// `K = A·Cm^−alpha`, nats/token.
    @inlinable public var K: Double { FastMath.exp(logK) }

    // MARK: Log compute

    /// `ln` of the meek model's effective training compute at time t: `ln Cm + a·t`.
    @inlinable public func meekLogCompute(at t: Double) -> Double { logMeekCompute + a * t }

    /// `ln` of the SOTA model's effective training compute: `ln Cs + a·t + b·min(t, T)`.
    @inlinable public func sotaLogCompute(at t: Double) -> Double {
        logSotaCompute + a * t + b * min(t, stop)
    }

    /// `ln` of the meek inference budget's training-equivalent effective compute (eq. 20).
    @inlinable public func inferenceLogCompute(at t: Double) -> Double {
        logInferenceCompute + inferenceRate * t
    }

    // MARK: Trajectories

    /// Loss `L0 + A·e^(−alpha·x)` at log compute `x`, nats/token.
    @inlinable public func loss(logCompute x: Double) -> Double {
        parameters.L0 + FastMath.exp(logA - alpha * x)
    }

    /// Meek training loss `Lm(t)`, nats/token.
    @inlinable public func meekLoss(at t: Double) -> Double { loss(logCompute: meekLogCompute(at: t)) }

    /// SOTA training loss `Ls(t)`, nats/token.
    @inlinable public func sotaLoss(at t: Double) -> Double { loss(logCompute: sotaLogCompute(at: t)) }

    /// Meek inference loss `Li(t)` (eq. 20), nats/token.
    @inlinable public func inferenceLoss(at t: Double) -> Double {
        loss(logCompute: inferenceLogCompute(at: t))
    }

    /// `u(t) = alpha·(ln(Cs/Cm) + b·min(t, T))`: alpha times the SOTA lab's log-compute
    /// lead. The SOTA model leads (ΔL > 0) exactly when u > 0.
    @inlinable public func leadExponent(at t: Double) -> Double {
        alpha * (logInitialLead + b * min(t, stop))
    }

    /// Training gap `ΔL(t) = Lm(t) − Ls(t)` (eq. 3), nats/token; negative when the meek
    /// model is ahead. Factored form, no cancellation.
    @inlinable public func trainingGap(at t: Double) -> Double {
        -FastMath.exp(logK - c * t) * FastMath.expm1(-leadExponent(at: t))
    }

    /// `ln ΔL(t)`; `−∞` where the gap is ≤ 0.
    @inlinable public func logTrainingGap(at t: Double) -> Double {
        let u = leadExponent(at: t)
        guard u > 0 else { return -.infinity }
        return logK - c * t + FastMath.log(-FastMath.expm1(-u))
    }

    /// Inference gap `ΔLinf(t) = max(Li(t) − Ls(t), 0)` (eq. 21), nats/token.
    @inlinable public func inferenceGap(at t: Double) -> Double {
        let xs = sotaLogCompute(at: t)
        let xi = inferenceLogCompute(at: t)
        guard xs > xi else { return 0 }
        return FastMath.exp(logA - alpha * xs) * FastMath.expm1(alpha * (xs - xi))
    }

    /// SPRT tokens an ideal observer (scaled by the Bayes slowdown) needs to tell the two
    /// models apart at time t (eq. 16); `+∞` where ΔL(t) ≤ 0 (never distinguishable).
    @inlinable public func sprtTokens(at t: Double) -> Double { sprtTokens(gap: trainingGap(at: t)) }

    /// Tokens an ideal observer needs at a given training gap (`+∞` where it is ≤ 0).
    @inlinable public func sprtTokens(gap: Double) -> Double { gap > 0 ? sprtNumerator / gap : .infinity }
}

/// `(1−e)·ln((1−e)/e) + e·ln(e/(1−e)) = (1 − 2e)·ln((1−e)/e)`: the SPRT numerator of
/// eq. 16 for error rates alpha = beta = e, nats. 2.65 at e = 0.05.
@inlinable public func sprtNumeratorIdeal(errorRate e: Double) -> Double {
    (1 - 2 * e) * (log1p(-e) - FastMath.log(e))
}
