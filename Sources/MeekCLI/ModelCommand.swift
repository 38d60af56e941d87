import ArgumentParser
import MeekModel
import MeekReport

/// `meek model`: the gap model at point inputs — every output as a table or JSON.
public struct ModelCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Evaluate the gap model at point inputs (defaults: the paper's values).",
        discussion: """
            Prints the peak of the training gap (the paper's inflection time), its convergence \
            after the peak for gap thresholds in nats, as fractions of the peak and as SPRT \
            token counts, inference parity, and the benchmark gap for p-step tasks. \
            Times are years after --start-year; years are calendar years. \
            Example: meek model --alpha 0.057   (Kaplan's exponent: peak after 9.07 years)
            """
    )

    // MARK: Inputs (one flag per MODEL.md input; `_` in its name becomes `-`)

    @Option(name: .customLong("alpha"), parsing: .unconditional, help: help(.alpha), transform: ValueParsing.number)
    var alpha: Double?
    @Option(name: .customLong("A"), parsing: .unconditional, help: help(.A), transform: ValueParsing.number)
    var coefficient: Double?
    @Option(name: .customLong("L0"), parsing: .unconditional, help: help(.L0), transform: ValueParsing.number)
    var irreducibleLoss: Double?
    @Option(name: .customLong("g-h"), parsing: .unconditional, help: help(.gH), transform: ValueParsing.number)
    var gH: Double?
    @Option(name: .customLong("g-alg"), parsing: .unconditional, help: help(.gAlg), transform: ValueParsing.number)
    var gAlg: Double?
    @Option(name: .customLong("g-i"), parsing: .unconditional, help: help(.gI), transform: ValueParsing.number)
    var gI: Double?
    @Option(name: .customLong("flop-per-usd"), parsing: .unconditional, help: help(.flopPerUSD), transform: ValueParsing.number)
    var flopPerUSD: Double?
    @Option(name: .customLong("meek-budget-usd"), parsing: .unconditional, help: help(.meekBudgetUSD), transform: ValueParsing.number)
    var meekBudgetUSD: Double?
    @Option(name: .customLong("sota-budget-usd"), parsing: .unconditional, help: help(.sotaBudgetUSD), transform: ValueParsing.number)
    var sotaBudgetUSD: Double?
    @Option(name: .customLong("start-year"), parsing: .unconditional, help: help(.startYear), transform: ValueParsing.number)
    var startYear: Double?
    @Option(name: .customLong("invest-stop-years"), parsing: .unconditional, help: help(.investStopYears), transform: ValueParsing.number)
    var investStopYears: Double?
    @Option(name: .customLong("inference-usd-per-token"), parsing: .unconditional, help: help(.inferenceUSDPerToken), transform: ValueParsing.number)
    var inferenceUSDPerToken: Double?
    @Option(name: .customLong("g-inf"), parsing: .unconditional, help: help(.gInf), transform: ValueParsing.number)
    var gInf: Double?
    @Option(name: .customLong("sigmoid-A"), parsing: .unconditional, help: help(.sigmoidA), transform: ValueParsing.number)
    var sigmoidA: Double?
    @Option(name: .customLong("sigmoid-k"), parsing: .unconditional, help: help(.sigmoidK), transform: ValueParsing.number)
    var sigmoidK: Double?
    @Option(name: .customLong("sigmoid-x0"), parsing: .unconditional, help: help(.sigmoidX0), transform: ValueParsing.number)
    var sigmoidX0: Double?
    @Option(name: .customLong("sigmoid-b"), parsing: .unconditional, help: help(.sigmoidB), transform: ValueParsing.number)
    var sigmoidB: Double?
    @Option(name: .customLong("sprt-error"), parsing: .unconditional, help: help(.sprtError), transform: ValueParsing.number)
    var sprtError: Double?
    @Option(name: .customLong("bayes-slowdown"), parsing: .unconditional, help: help(.bayesSlowdown), transform: ValueParsing.number)
    var bayesSlowdown: Double?

    // MARK: What to report

    @Option(name: .customLong("gap-nats"), parsing: .unconditional,
            help: "Convergence thresholds: gap levels in nats/token, comma-separated (default 0.05,0.01,0.001).",
            transform: ValueParsing.list)
    var gapNats: [Double]?
    @Option(name: .customLong("peak-fractions"), parsing: .unconditional,
            help: "Convergence thresholds: fractions of the peak gap, in (0, 1) (default 0.5,0.1).",
            transform: ValueParsing.list)
    var peakFractions: [Double]?
    @Option(name: .customLong("sprt-tokens"), parsing: .unconditional,
            help: "Convergence thresholds: SPRT token counts (default 100,1000).",
            transform: ValueParsing.list)
    var sprtTokens: [Double]?
    @Option(name: .customLong("steps-p"), parsing: .unconditional,
            help: "Benchmark tasks: numbers of steps p (eq. 19), comma-separated (default 1,2,5).",
            transform: ValueParsing.steps)
    var stepsP: [Int]?
    @Option(name: .customLong("benchmark-points"), parsing: .unconditional,
            help: "Benchmark convergence thresholds, percentage points in (0, 100) (default 5,1).",
            transform: ValueParsing.list)
    var benchmarkPoints: [Double]?
    @Option(name: .customLong("at"), parsing: .unconditional,
            help: "Also tabulate the trajectories at these times, years after the start: a list and/or ranges start:end:step, e.g. 1,2,5 or 0:40:1.",
            transform: ValueParsing.times)
    var at: [Double]?
    @Flag(name: .customLong("json"), help: "Print JSON instead of tables.")
    var json = false

    public init() {}

    /// The inputs: the paper's values, overridden by the flags given.
    func parameters() -> Parameters {
        var p = Parameters()
        let given: [(ParameterKey, Double?)] = [
            (.alpha, alpha), (.A, coefficient), (.L0, irreducibleLoss), (.gH, gH), (.gAlg, gAlg),
            (.gI, gI), (.flopPerUSD, flopPerUSD), (.meekBudgetUSD, meekBudgetUSD),
            (.sotaBudgetUSD, sotaBudgetUSD), (.startYear, startYear), (.investStopYears, investStopYears),
            (.inferenceUSDPerToken, inferenceUSDPerToken), (.gInf, gInf), (.sigmoidA, sigmoidA),
            (.sigmoidK, sigmoidK), (.sigmoidX0, sigmoidX0), (.sigmoidB, sigmoidB),
            (.sprtError, sprtError), (.bayesSlowdown, bayesSlowdown),
        ]
        for (key, value) in given where value != nil { p[key] = value }
        return p
    }

    /// The outputs asked for: the defaults, overridden by the flags given.
    func metrics() -> Metrics {
        var m = Metrics()
        if let gapNats { m.gapNats = gapNats }
        if let peakFractions { m.peakFractions = peakFractions }
        if let sprtTokens { m.sprtTokens = sprtTokens }
        if let stepsP { m.benchmarkSteps = stepsP }
        if let benchmarkPoints { m.benchmarkPoints = benchmarkPoints }
        return m
    }

    public func validate() throws {
        do {
            try parameters().validate()
        } catch {
            throw ValidationError("\(flag(error.key)) must be \(error.requirement) (got \(formatNumber(error.value)))")
        }
        try check(gapNats, "--gap-nats", "> 0") { $0 > 0 }
        try check(peakFractions, "--peak-fractions", "in (0, 1)") { $0 > 0 && $0 < 1 }
        try check(sprtTokens, "--sprt-tokens", "> 0") { $0 > 0 }
        try check(benchmarkPoints, "--benchmark-points", "in (0, 100)") { $0 > 0 && $0 < 100 }
        try check(at, "--at", ">= 0 (years after the start)") { $0 >= 0 }
    }

    private func check(_ values: [Double]?, _ name: String, _ rule: String, _ ok: (Double) -> Bool) throws {
        guard let values else { return }
        if values.isEmpty { throw ValidationError("\(name) needs at least one value") }
        if let bad = values.first(where: { !ok($0) }) {
            throw ValidationError("\(name) values must be \(rule) (got \(bad))")
        }
    }

    public func run() throws {
        let model = try GapModel(parameters())  // validated above; cannot throw here
        let report = ModelReport(model: model, outcome: model.evaluate(metrics()), times: at ?? [])
        print(json ? report.json().rendered() : report.text(), terminator: "")
    }
}

/// The command-line flag of an input: `g_h` → `--g-h`.
func flag(_ key: ParameterKey) -> String {
    "--" + key.rawValue.replacingAll("_", with: "-")
}

private func help(_ key: ParameterKey) -> ArgumentHelp {
    let defaults = Parameters()
    let value: String = switch key {
    case .gI: "5/1.4"
    case .investStopYears: "never"
    case .gInf: "= g_alg"
    default: defaults[key].map(formatNumber) ?? "none"
    }
    return ArgumentHelp("\(key.meaning.prefix(1).uppercased() + key.meaning.dropFirst()) (default \(value)).",
                        valueName: key.rawValue)
}

extension String {
    func replacingAll(_ target: Character, with replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}
