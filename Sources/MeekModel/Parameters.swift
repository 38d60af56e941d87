/// The inputs of one evaluation of the gap model — one Monte Carlo draw.
///
/// Names follow `docs/MODEL.md` §1; each property documents its key there (the key prior files,
/// command-line flags and JSON use) and its unit. Defaults are the paper's point values
/// (Gundlach, Lynch, Thompson 2025, §2 and App. B–C, and the authors' notebook).
public struct Parameters: Sendable, Hashable {
    /// `alpha`: compute-only scaling exponent in L(C) = L0 + A·C^-alpha. Dimensionless, > 0.
    /// Paper: 0.154 (Chinchilla); Kaplan: 0.057.
    public var alpha: Double = 0.154
    /// `A`: scaling coefficient of L(C), nats/token at C = 1 FLOP. > 0. Paper: 1070.
    public var A: Double = 1070
    /// `L0`: irreducible loss, nats/token. ≥ 0. Paper: 1.7.
    public var L0: Double = 1.7
    /// `g_h`: hardware price-performance growth, ×/year. > 0. Paper: 1.4.
    public var gH: Double = 1.4
    /// `g_alg`: algorithmic progress in training (effective compute), ×/year. > 0. Paper: 2.8.
    public var gAlg: Double = 2.8
    /// `g_i`: growth of the SOTA lab's compute investment (dollars), ×/year. > 0.
    /// Paper: 5/1.4 ≈ 3.571 (total compute growth 5×/year divided by hardware growth).
    public var gI: Double = 5.0 / 1.4
    /// `flop_per_usd`: FLOP bought per dollar at t = 0. > 0. Paper: 1e17.
    public var flopPerUSD: Double = 1e17
    /// `meek_budget_usd`: the meek model's fixed training budget, dollars. > 0. Paper: 1000.
    public var meekBudgetUSD: Double = 1000
    /// `sota_budget_usd`: the SOTA lab's budget at t = 0, dollars (grows ×g_i/year). > 0.
    /// Paper: 1000 (its Fig. 8 varies it).
    public var sotaBudgetUSD: Double = 1000
    /// `start_year`: calendar year at t = 0. Default 2019 (GPT-2's year).
    public var startYear: Double = 2019
    /// `invest_stop_years`: the SOTA budget stops growing after this many years (Fig. 9);
    /// `nil` means it never stops. ≥ 0.
    public var investStopYears: Double? = nil
    /// `inference_usd_per_token`: the meek user's fixed inference budget, dollars per token
    /// (App. C). > 0. Paper: 1e-8.
    public var inferenceUSDPerToken: Double = 1e-8
    /// `g_inf`: algorithmic progress in inference, ×/year; `nil` means equal to `g_alg`
    /// (the paper's assumption). > 0.
    public var gInf: Double? = nil
    /// `sigmoid_A`: amplitude of the loss→benchmark sigmoid (eq. 18), fraction of the
    /// benchmark. Paper's notebook fit: 0.5567.
    public var sigmoidA: Double = 0.5567
    /// `sigmoid_k`: steepness of the sigmoid, per nat. Negative: lower loss, higher score.
    /// Paper's fit: −23.77.
    public var sigmoidK: Double = -23.77
    /// `sigmoid_x0`: midpoint of the sigmoid, nats/token. Paper's fit: 1.9739.
    public var sigmoidX0: Double = 1.9739
    /// `sigmoid_b`: floor of the sigmoid (chance level), fraction. Paper's fit: 0.2540.
    public var sigmoidB: Double = 0.2540
    /// `sprt_error`: SPRT error rates alpha = beta (eq. 16), in (0, 0.5). Paper: 0.05.
    public var sprtError: Double = 0.05
    /// `bayes_slowdown`: Bayes slowdown factor (App. A.2), ≥ 1 in practice, > 0. Paper: 1.
    public var bayesSlowdown: Double = 1

    /// The paper's point values.
    public init() {}

    /// Algorithmic progress in inference actually used: `g_inf`, or `g_alg` when unset.
    @inlinable public var effectiveGInf: Double { gInf ?? gAlg }
}

/// The name of one input, as `docs/MODEL.md` §1, prior files, flags (`_` → `-`) and JSON spell it.
public enum ParameterKey: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    case alpha, A, L0
    case gH = "g_h", gAlg = "g_alg", gI = "g_i"
    case flopPerUSD = "flop_per_usd"
    case meekBudgetUSD = "meek_budget_usd", sotaBudgetUSD = "sota_budget_usd"
    case startYear = "start_year", investStopYears = "invest_stop_years"
    case inferenceUSDPerToken = "inference_usd_per_token", gInf = "g_inf"
    case sigmoidA = "sigmoid_A", sigmoidK = "sigmoid_k", sigmoidX0 = "sigmoid_x0", sigmoidB = "sigmoid_b"
    case sprtError = "sprt_error", bayesSlowdown = "bayes_slowdown"

    public var description: String { rawValue }

    /// What the input means, with its unit, in a few words (for tables and help).
    public var meaning: String {
        switch self {
        case .alpha: "compute-only scaling exponent"
        case .A: "scaling coefficient"
        case .L0: "irreducible loss, nats/token"
        case .gH: "hardware price-performance growth, ×/year"
        case .gAlg: "algorithmic progress (training), ×/year"
        case .gI: "SOTA investment growth, ×/year"
        case .flopPerUSD: "FLOP per dollar at t = 0"
        case .meekBudgetUSD: "meek training budget, $"
        case .sotaBudgetUSD: "SOTA budget at t = 0, $"
        case .startYear: "calendar year at t = 0"
        case .investStopYears: "SOTA investment stops growing after, years"
        case .inferenceUSDPerToken: "meek inference budget, $/token"
        case .gInf: "algorithmic progress (inference), ×/year"
        case .sigmoidA: "benchmark sigmoid amplitude"
        case .sigmoidK: "benchmark sigmoid steepness, 1/nat"
        case .sigmoidX0: "benchmark sigmoid midpoint, nats"
        case .sigmoidB: "benchmark sigmoid floor"
        case .sprtError: "SPRT error rate (alpha = beta)"
        case .bayesSlowdown: "Bayes slowdown factor"
        }
    }
}

extension Parameters {
    /// Reads or writes an input by key. `nil` reads an unset optional input
    /// (`invest_stop_years`, `g_inf`); writing `nil` to a required input is ignored.
    /// For set-up code (prior files, flags), not for hot loops.
    public subscript(key: ParameterKey) -> Double? {
        get {
            switch key {
            case .alpha: alpha
            case .A: A
            case .L0: L0
            case .gH: gH
            case .gAlg: gAlg
            case .gI: gI
            case .flopPerUSD: flopPerUSD
            case .meekBudgetUSD: meekBudgetUSD
            case .sotaBudgetUSD: sotaBudgetUSD
            case .startYear: startYear
            case .investStopYears: investStopYears
            case .inferenceUSDPerToken: inferenceUSDPerToken
            case .gInf: gInf
            case .sigmoidA: sigmoidA
            case .sigmoidK: sigmoidK
            case .sigmoidX0: sigmoidX0
            case .sigmoidB: sigmoidB
            case .sprtError: sprtError
            case .bayesSlowdown: bayesSlowdown
            }
        }
        set {
            switch key {
            case .investStopYears: investStopYears = newValue
            case .gInf: gInf = newValue
            default:
                guard let v = newValue else { return }
                switch key {
                case .alpha: alpha = v
                case .A: A = v
                case .L0: L0 = v
                case .gH: gH = v
                case .gAlg: gAlg = v
                case .gI: gI = v
                case .flopPerUSD: flopPerUSD = v
                case .meekBudgetUSD: meekBudgetUSD = v
                case .sotaBudgetUSD: sotaBudgetUSD = v
                case .startYear: startYear = v
                case .inferenceUSDPerToken: inferenceUSDPerToken = v
                case .sigmoidA: sigmoidA = v
                case .sigmoidK: sigmoidK = v
                case .sigmoidX0: sigmoidX0 = v
                case .sigmoidB: sigmoidB = v
                case .sprtError: sprtError = v
                case .bayesSlowdown: bayesSlowdown = v
                case .investStopYears, .gInf: break
                }
            }
        }
    }
}

/// An input outside the values the model accepts.
public struct ParameterError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The offending input.
    public var key: ParameterKey
    /// The value it had.
    public var value: Double
    /// What it must be, e.g. "> 0".
    public var requirement: String

    public init(key: ParameterKey, value: Double, requirement: String) {
        self.key = key
        self.value = value
        self.requirement = requirement
    }

    /// e.g. `g_h must be > 0 (got -1)`.
    public var description: String {
        "\(key) must be \(requirement) (got \(formatValue(value)))"
    }
}

/// Shortest round-tripping text of a value, without a trailing ".0" on integers.
@usableFromInline func formatValue(_ v: Double) -> String {
    if v.isFinite, v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
    return String(v)
}

/// The values an input may take on its own (cross-input rules are in `validate()`).
public enum Domain: Sendable, Hashable, CustomStringConvertible {
    /// Any finite number.
    case finite
    /// > 0 (growth multipliers, alpha, prices, budgets).
    case positive
    /// ≥ 0.
    case nonNegative
    /// In (0, 0.5): the SPRT error rate.
    case belowHalf

    /// Whether `v` is in the domain.
    @inlinable public func contains(_ v: Double) -> Bool {
        guard v.isFinite else { return false }
        switch self {
        case .finite: return true
        case .positive: return v > 0
        case .nonNegative: return v >= 0
        case .belowHalf: return v > 0 && v < 0.5
        }
    }

    /// The domain as a closed interval `[lower, upper]` of finite numbers: `contains(v)`
    /// exactly when `v >= lower && v <= upper` (NaN is in none), for vector checks of a
    /// column of draws.
    public var bounds: (lower: Double, upper: Double) {
        let top = Double.greatestFiniteMagnitude
        switch self {
        case .finite: return (-top, top)
        case .positive: return (Double.leastNonzeroMagnitude, top)
        case .nonNegative: return (0, top)
        case .belowHalf: return (Double.leastNonzeroMagnitude, 0.5.nextDown)
        }
    }

    /// The rule in words, e.g. "> 0".
    public var description: String {
        switch self {
        case .finite: "a finite number"
        case .positive: "> 0"
        case .nonNegative: ">= 0"
        case .belowHalf: "in (0, 0.5)"
        }
    }
}

extension ParameterKey {
    /// The values this input may take.
    public var domain: Domain {
        switch self {
        case .alpha, .A, .gH, .gAlg, .gI, .flopPerUSD, .meekBudgetUSD, .sotaBudgetUSD,
             .inferenceUSDPerToken, .gInf, .bayesSlowdown: .positive
        case .L0, .investStopYears: .nonNegative
        case .sprtError: .belowHalf
        case .startYear, .sigmoidA, .sigmoidK, .sigmoidX0, .sigmoidB: .finite
        }
    }
}

extension Parameters {
    /// Checks every input against the values the model accepts; throws the first violation.
    ///
    /// Rules: each input in its `domain` (every value finite; growth multipliers, alpha, A,
    /// prices and budgets > 0; L0 and the investment stop ≥ 0; SPRT error in (0, 0.5)); and
    /// the benchmark sigmoid must map loss into [0, 1] and score lower loss higher
    /// (sigmoid_A·sigmoid_k < 0).
    public func validate() throws(ParameterError) {
        for key in ParameterKey.allCases {
            guard let v = self[key] else { continue }
            if !key.domain.contains(v) { throw ParameterError(key: key, value: v, requirement: key.domain.description) }
        }
        try validateSigmoid()
    }

    /// The cross-input rules of the benchmark sigmoid.
    public func validateSigmoid() throws(ParameterError) {
        if !(sigmoidA * sigmoidK < 0) {
            throw ParameterError(key: .sigmoidK, value: sigmoidK,
                                 requirement: "of opposite sign to sigmoid_A (lower loss must score higher)")
        }
        if !(sigmoidB >= 0 && sigmoidB <= 1) {
            throw ParameterError(key: .sigmoidB, value: sigmoidB, requirement: "in [0, 1]")
        }
        if !(sigmoidA + sigmoidB >= 0 && sigmoidA + sigmoidB <= 1) {
            throw ParameterError(key: .sigmoidA, value: sigmoidA,
                                 requirement: "such that sigmoid_A + sigmoid_b is in [0, 1]")
        }
    }
}
