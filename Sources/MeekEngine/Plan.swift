import CGSL
import Foundation
import MeekModel
import MeekPriors

/// An expression compiled against slot indices (no name lookups per draw).
indirect enum SlotExpression: Sendable {
    case number(Double)
    case slot(Int)
    case negate(SlotExpression)
    case binary(Formula.Operator, SlotExpression, SlotExpression)
    case call(Formula.Function, [SlotExpression])

    init(_ e: Formula, slots: [String: Int]) {
        switch e {
        case .number(let x): self = .number(x)
        case .variable(let n): self = .slot(slots[n]!)
        case .negate(let a): self = .negate(SlotExpression(a, slots: slots))
        case .binary(let op, let a, let b): self = .binary(op, SlotExpression(a, slots: slots), SlotExpression(b, slots: slots))
        case .call(let f, let args): self = .call(f, args.map { SlotExpression($0, slots: slots) })
        }
    }

    /// Evaluates over the draws `index(0..<count)` of a block held in slot columns, into
    /// `out[0..<count]`. With `contiguous` (index is the identity) slot columns are read in
    /// place; constants and slots as operands are never copied into temporaries.
    func evaluate(into out: UnsafeMutablePointer<Double>, columns: UnsafeMutablePointer<Double>, stride: Int, count: Int,
                  contiguous: Bool, index: (Int) -> Int) {
        switch self {
        case .number(let x): out.update(repeating: x, count: count)
        case .slot(let s):
            let col = columns + s * stride
            if contiguous { out.update(from: col, count: count) } else { for j in 0..<count { out[j] = col[index(j)] } }
        case .negate(let a):
            a.evaluate(into: out, columns: columns, stride: stride, count: count, contiguous: contiguous, index: index)
            for j in 0..<count { out[j] = -out[j] }
        case .binary(let op, let a, let b):
            if op == .power, case .number(let base) = a, base > 0 {
                // const^y = e^(y·ln const), four at a time.
                b.evaluate(into: out, columns: columns, stride: stride, count: count, contiguous: contiguous, index: index)
                let logBase = FastMath.log(base)
                var j = 0
                while j + 4 <= count {
                    let y = UnsafeRawPointer(out + j).loadUnaligned(as: FastMath.Lanes.self)
                    UnsafeMutableRawPointer(out + j).storeBytes(of: FastMath.exp(y * logBase), as: FastMath.Lanes.self)
                    j += 4
                }
                while j < count { out[j] = FastMath.exp(out[j] * logBase); j += 1 }
                return
            }
            a.evaluate(into: out, columns: columns, stride: stride, count: count, contiguous: contiguous, index: index)
            b.withOperand(columns: columns, stride: stride, count: count, contiguous: contiguous, index: index) { y in
                switch op {
                case .add: for j in 0..<count { out[j] += y(j) }
                case .subtract: for j in 0..<count { out[j] -= y(j) }
                case .multiply: for j in 0..<count { out[j] *= y(j) }
                case .divide: for j in 0..<count { out[j] /= y(j) }
                case .power: for j in 0..<count { out[j] = Foundation.pow(out[j], y(j)) }
                }
            }
        case .call(let f, let args):
            args[0].evaluate(into: out, columns: columns, stride: stride, count: count, contiguous: contiguous, index: index)
            guard args.count > 1 else {
                for j in 0..<count {
                    switch f {
                    case .exp: out[j] = Foundation.exp(out[j])
                    case .log, .ln: out[j] = Foundation.log(out[j])
                    case .log10: out[j] = Foundation.log10(out[j])
                    case .log2: out[j] = Foundation.log2(out[j])
                    case .sqrt: out[j] = out[j].squareRoot()
                    case .abs: out[j] = Swift.abs(out[j])
                    case .min, .max, .pow: preconditionFailure("\(f) takes two arguments")
                    }
                }
                return
            }
            args[1].withOperand(columns: columns, stride: stride, count: count, contiguous: contiguous, index: index) { y in
                for j in 0..<count {
                    switch f {
                    case .min: out[j] = Swift.min(out[j], y(j))
                    case .max: out[j] = Swift.max(out[j], y(j))
                    case .pow: out[j] = Foundation.pow(out[j], y(j))
                    default: preconditionFailure("\(f) takes one argument")
                    }
                }
            }
        }
    }

    /// Calls `body` with the operand's value of draw j, `y(j)`: a constant, a slot column
    /// read in place, or a temporary holding a computed expression.
    func withOperand(columns: UnsafeMutablePointer<Double>, stride: Int, count: Int, contiguous: Bool,
                     index: (Int) -> Int, _ body: ((Int) -> Double) -> Void) {
        switch self {
        case .number(let x): body { _ in x }
        case .slot(let s) where contiguous:
            let col = UnsafePointer(columns + s * stride)
            body { col[$0] }
        default:
            let temporary = UnsafeMutablePointer<Double>.allocate(capacity: max(count, 1))
            defer { temporary.deallocate() }
            evaluate(into: temporary, columns: columns, stride: stride, count: count, contiguous: contiguous, index: index)
            body { temporary[$0] }
        }
    }
}

extension SlotExpression {
    /// The slots the expression reads.
    var slots: Set<Int> {
        switch self {
        case .number: []
        case .slot(let s): [s]
        case .negate(let a): a.slots
        case .binary(_, let a, let b): a.slots.union(b.slots)
        case .call(_, let args): args.reduce(into: Set<Int>()) { $0.formUnion($1.slots) }
        }
    }
}

/// The natural logarithm of a derived input as an expression of its inputs' logarithms,
/// for expressions whose every leaf has a logarithm at no cost (a positive number, a
/// lognormal input's μ + σz, a joint table's logged column, a fixed positive value, another
/// such expression): ln(g_c / g_h) = ln g_c − ln g_h, ln(2^(12/d)) = (12/d)·ln 2. The kernel
/// reads these instead of taking the log of each value.
indirect enum LogExpression: Sendable {
    /// ln of a positive number.
    case constant(Double)
    /// A slot's log column.
    case slot(Int)
    case sum(LogExpression, LogExpression)
    case difference(LogExpression, LogExpression)
    /// ln(a^e) = e·ln a, with e in the value domain.
    case scaled(LogExpression, by: SlotExpression)
    /// ln(e^x) = x.
    case exponent(SlotExpression)

    /// The form of ln(e), or nil when some leaf has no free logarithm (`free(slot)`).
    static func of(_ e: SlotExpression, free: (Int) -> Bool) -> LogExpression? {
        switch e {
        case .number(let x): return x > 0 && x.isFinite ? .constant(FastMath.log(x)) : nil
        case .slot(let s): return free(s) ? .slot(s) : nil
        case .negate: return nil
        case .binary(let op, let a, let b):
            switch op {
            case .multiply:
                guard let la = of(a, free: free), let lb = of(b, free: free) else { return nil }
                return .sum(la, lb)
            case .divide:
                guard let la = of(a, free: free), let lb = of(b, free: free) else { return nil }
                return .difference(la, lb)
            case .power: return of(a, free: free).map { .scaled($0, by: b) }
            case .add, .subtract: return nil
            }
        case .call(let f, let args):
            switch f {
            case .exp: return .exponent(args[0])
            case .sqrt: return of(args[0], free: free).map { .scaled($0, by: .number(0.5)) }
            case .pow: return of(args[0], free: free).map { .scaled($0, by: args[1]) }
            default: return nil
            }
        }
    }

    /// The slots whose logs it reads.
    var logSlots: Set<Int> {
        switch self {
        case .constant, .exponent: []
        case .slot(let s): [s]
        case .sum(let a, let b), .difference(let a, let b): a.logSlots.union(b.logSlots)
        case .scaled(let a, _): a.logSlots
        }
    }

    /// The slots whose values it reads.
    var valueSlots: Set<Int> {
        switch self {
        case .constant, .slot: []
        case .exponent(let e): e.slots
        case .sum(let a, let b), .difference(let a, let b): a.valueSlots.union(b.valueSlots)
        case .scaled(let a, let e): a.valueSlots.union(e.slots)
        }
    }

    /// As `SlotExpression.evaluate`, with the slots' logs in `logs` (same layout).
    func evaluate(into out: UnsafeMutablePointer<Double>, logs: UnsafeMutablePointer<Double>,
                  columns: UnsafeMutablePointer<Double>, stride: Int, count: Int, contiguous: Bool, index: (Int) -> Int) {
        switch self {
        case .constant(let c): out.update(repeating: c, count: count)
        case .slot(let s):
            let col = logs + s * stride
            if contiguous { out.update(from: col, count: count) } else { for j in 0..<count { out[j] = col[index(j)] } }
        case .sum(let a, let b), .difference(let a, let b):
            a.evaluate(into: out, logs: logs, columns: columns, stride: stride, count: count, contiguous: contiguous, index: index)
            let temporary = UnsafeMutablePointer<Double>.allocate(capacity: max(count, 1))
            defer { temporary.deallocate() }
            b.evaluate(into: temporary, logs: logs, columns: columns, stride: stride, count: count, contiguous: contiguous, index: index)
            if case .sum = self { for j in 0..<count { out[j] += temporary[j] } } else { for j in 0..<count { out[j] -= temporary[j] } }
        case .scaled(.constant(let c), let e):
            // e·ln c, as `SlotExpression` computes the exponent of c^e (the same bits).
            e.evaluate(into: out, columns: columns, stride: stride, count: count, contiguous: contiguous, index: index)
            for j in 0..<count { out[j] *= c }
        case .scaled(let a, let e):
            a.evaluate(into: out, logs: logs, columns: columns, stride: stride, count: count, contiguous: contiguous, index: index)
            e.withOperand(columns: columns, stride: stride, count: count, contiguous: contiguous, index: index) { y in
                for j in 0..<count { out[j] *= y(j) }
            }
        case .exponent(let e):
            e.evaluate(into: out, columns: columns, stride: stride, count: count, contiguous: contiguous, index: index)
        }
    }
}

/// A prior file compiled for the hot loop: for each scenario, the steps that turn a draw's
/// uniforms into its inputs, in dependency order, writing into numbered slots.
///
/// Each slot has a value column and, where the model reads the input only through its
/// logarithm (`GapKernel.logInputs`) or an expression's log form reads it, a log column. A
/// lognormal input's log is μ + σz as drawn, a joint table's comes from its column logged
/// once, a derived input's from its `LogExpression`; any other is the log of the value. In a
/// lean block (`drawBlock(…, allValues: false)`) only the values the model and the logs need
/// are computed: for the baseline priors, one exp per draw instead of five exps and five logs.
struct Plan: Sendable {
    enum Step: Sendable {
        case random(slot: Int, prior: Prior, dim: Int)
        /// A table column; `logColumn` is its logs when every value is > 0.
        case joint(slot: Int, column: [Double], logColumn: [Double]?, dim: Int)
        /// `log`: the log form, when it has one.
        case derived(slot: Int, expression: SlotExpression, log: LogExpression?, name: String, text: String)

        var slot: Int {
            switch self {
            case .random(let s, _, _), .joint(let s, _, _, _), .derived(let s, _, _, _, _): s
            }
        }

        /// Whether its log comes without taking the log of its value.
        var freeLog: Bool {
            switch self {
            case .random(_, let p, _): if case .lognormal = p.distribution, p.truncation == nil { true } else { false }
            case .joint(_, _, let logColumn, _): logColumn != nil
            case .derived(_, _, let log, _, _): log != nil
            }
        }
    }

    /// A step, and what it writes: its value in a lean block (it always writes the value in
    /// a full one) and its log.
    struct PlannedStep: Sendable {
        var step: Step
        var leanValue: Bool
        var log: Bool
    }

    struct CompiledScenario: Sendable {
        var steps: [PlannedStep]
        /// Slots holding fixed values in this scenario: the value, its log, and whether the
        /// log is needed.
        var fixed: [(slot: Int, value: Double, log: Double, needsLog: Bool)]
        /// Model inputs drawn in this scenario (random, joint, derived), checked against
        /// their domain on every draw.
        var checked: [CheckedInput]
        /// Where the benchmark sigmoid's inputs come from, when some of them is drawn and
        /// the cross-input rule (`Parameters.validateSigmoid`) must hold draw by draw.
        var sigmoid: [(key: ParameterKey, slot: Int?, value: Double)]
    }

    /// A model input checked on every draw: its value column, or for an input the model
    /// reads as a log and whose log comes free (a lean block may not write its value) its log
    /// column, whose range [−745.13, 709.78] is exactly the logs of positive finite values.
    struct CheckedInput: Sendable {
        var slot: Int
        var key: ParameterKey
        var logged: Bool

        var bounds: (lower: Double, upper: Double) {
            logged ? (-745.1332191019411, 709.782712893384) : key.domain.bounds
        }
    }

    let names: [String]  // slot → input name (union over scenarios)
    /// Slots with a log column in some scenario, and those whose log has a log form.
    let logSlots: Set<Int>
    /// What each uniform dimension drives: an input name, "joint: <file> (<inputs>)", or
    /// "scenario".
    let dimensionNames: [String]
    /// For each joint-table dimension, the table (for tornado ordering); nil otherwise.
    let dimensionTables: [JointTable?]
    /// Whether every scenario draws from the dimension (false: it matters in some only).
    let dimensionInAllScenarios: [Bool]
    let scenarios: [CompiledScenario]
    /// Steps every scenario takes identically (same definition, inputs all shared too): run
    /// once over the whole block, contiguously, before each scenario's own steps.
    let sharedSteps: [PlannedStep]
    /// Model inputs among the shared steps, checked once over the whole block.
    let sharedChecked: [CheckedInput]
    let scenarioNames: [String]
    let cumulativeWeights: [Double]
    let dims: Int
    /// Copula: the dimension of each member and the Cholesky factor.
    let copulaDims: [Int]
    let cholesky: [[Double]]

    /// With `normalScores` (plain Monte Carlo), the dimensions the design fills with
    /// standard normal scores (GSL's ziggurat) instead of uniforms: random inputs that are an
    /// untruncated normal or lognormal in every scenario and not in a copula. Empty otherwise
    /// (LHS, Sobol', sensitivity points: every dimension is a uniform).
    let normalScoreDims: [Bool]

    /// With `sigmoidRule` (the metrics include the benchmark), a drawn sigmoid input is also
    /// checked against the sigmoid's cross-input rule on every draw.
    init(_ prior: PriorFile, normalScores: Bool = false, sigmoidRule: Bool = false) {
        var names = Set<String>()
        for s in prior.scenarios { names.formUnion(s.definitions.keys) }
        self.names = names.sorted()
        let slots = Dictionary(uniqueKeysWithValues: self.names.enumerated().map { ($1, $0) })
        let multi = prior.scenarios.count > 1
        // Random inputs get dimensions by name (so copula members share a dimension across
        // scenarios); joint tables follow.
        var randomNames = Set<String>()
        for s in prior.scenarios {
            for (n, d) in s.definitions { if case .random = d { randomNames.insert(n) } }
        }
        let sortedRandom = randomNames.sorted()
        let base = multi ? 1 : 0
        let randomDim = Dictionary(uniqueKeysWithValues: sortedRandom.enumerated().map { ($1, base + $0) })
        var maxDims = base + sortedRandom.count
        // Inputs defined the same way in every scenario, whose formulas read only such inputs.
        var shared = Set<String>()
        for n in prior.scenarios[0].order {
            guard let d = prior.scenarios[0].definitions[n],
                  prior.scenarios.allSatisfy({ $0.definitions[n] == d }) else { continue }
            switch d {
            case .random: shared.insert(n)
            case .derived(let f, _): if f.variables.isSubset(of: shared) { shared.insert(n) }
            case .fixed, .joint: break
            }
        }
        // Each scenario's steps in dependency order, and which values and logs it needs.
        struct Analysed {
            var steps: [Step] = []
            var fixed: [(slot: Int, value: Double)] = []
            var value = Set<Int>(), log = Set<Int>()
        }
        var analysed: [Analysed] = []
        for s in prior.scenarios {
            var a = Analysed()
            var freeLog = Set<Int>()
            for n in s.order {
                let slot = slots[n]!
                let step: Step
                switch s.definitions[n]! {
                case .fixed(let v):
                    a.fixed.append((slot, v))
                    if v > 0 && v.isFinite { freeLog.insert(slot) }
                    continue
                case .random(let p):
                    step = .random(slot: slot, prior: p, dim: randomDim[n]!)
                case .joint(let t):
                    let dim = base + sortedRandom.count + t
                    maxDims = max(maxDims, dim + 1)
                    let column = s.tables[t].columns[n]!
                    let positive = column.allSatisfy { $0 > 0 && $0.isFinite }
                    step = .joint(slot: slot, column: column, logColumn: positive ? column.map { FastMath.log($0) } : nil, dim: dim)
                case .derived(let e, let text):
                    let expression = SlotExpression(e, slots: slots)
                    step = .derived(slot: slot, expression: expression, log: LogExpression.of(expression, free: freeLog.contains),
                                    name: n, text: text)
                }
                if step.freeLog { freeLog.insert(slot) }
                a.steps.append(step)
            }
            // What the model reads: logs of the log inputs, values of the others; then, last
            // step first, what each needed value or log reads.
            for n in s.definitions.keys {
                guard let key = ParameterKey(rawValue: n) else { continue }
                if GapKernel.logInputs.contains(key) { a.log.insert(slots[n]!) } else { a.value.insert(slots[n]!) }
            }
            for step in a.steps.reversed() {
                let slot = step.slot
                if a.log.contains(slot) {
                    if case .derived(_, _, let log?, _, _) = step {
                        a.log.formUnion(log.logSlots)
                        a.value.formUnion(log.valueSlots)
                    } else if !step.freeLog {
                        a.value.insert(slot)
                    }
                }
                if a.value.contains(slot), case .derived(_, let e, _, _, _) = step { a.value.formUnion(e.slots) }
            }
            analysed.append(a)
        }
        // A shared step is taken once for every scenario, recorded from the first, and writes
        // what any scenario needs.
        var sharedValue = Set<Int>(), sharedLog = Set<Int>()
        for a in analysed { sharedValue.formUnion(a.value); sharedLog.formUnion(a.log) }
        var sharedSteps: [PlannedStep] = []
        var sharedChecked: [CheckedInput] = []
        var compiled: [CompiledScenario] = []
        for (index, a) in analysed.enumerated() {
            var steps: [PlannedStep] = []
            var checked: [CheckedInput] = []
            for step in a.steps {
                let name = self.names[step.slot]
                let isShared = shared.contains(name)
                if let key = ParameterKey(rawValue: name) {
                    let c = CheckedInput(slot: step.slot, key: key, logged: GapKernel.logInputs.contains(key) && step.freeLog)
                    if !isShared { checked.append(c) } else if index == 0 { sharedChecked.append(c) }
                }
                if !isShared {
                    steps.append(PlannedStep(step: step, leanValue: a.value.contains(step.slot), log: a.log.contains(step.slot)))
                } else if index == 0 {
                    sharedSteps.append(PlannedStep(step: step, leanValue: sharedValue.contains(step.slot),
                                                   log: sharedLog.contains(step.slot)))
                }
            }
            let fixed = a.fixed.map { (slot: $0.slot, value: $0.value, log: FastMath.log($0.value), needsLog: a.log.contains($0.slot)) }
            let scenario = prior.scenarios[index]
            let sigmoidKeys: [ParameterKey] = [.sigmoidA, .sigmoidK, .sigmoidB]
            let drawsSigmoid = sigmoidKeys.contains { k in
                scenario.definitions[k.rawValue].map { if case .fixed = $0 { false } else { true } } ?? false
            }
            let sigmoid = sigmoidRule && drawsSigmoid
                ? sigmoidKeys.map { k -> (key: ParameterKey, slot: Int?, value: Double) in
                    switch scenario.definitions[k.rawValue] {
                    case .fixed(let v)?: (k, nil, v)
                    case _?: (k, slots[k.rawValue]!, 0)
                    case nil: (k, nil, Parameters()[k]!)
                    }
                }
                : []
            compiled.append(CompiledScenario(steps: steps, fixed: fixed, checked: checked, sigmoid: sigmoid))
        }
        scenarios = compiled
        self.sharedSteps = sharedSteps
        self.sharedChecked = sharedChecked
        logSlots = analysed.reduce(into: Set<Int>()) { $0.formUnion($1.log) }
        scenarioNames = prior.scenarios.map(\.name)
        var dimNames = [String](repeating: "", count: maxDims)
        var dimTables = [JointTable?](repeating: nil, count: maxDims)
        if multi { dimNames[0] = "scenario" }
        for (name, d) in randomDim { dimNames[d] = name }
        for s in prior.scenarios {
            for (t, table) in s.tables.enumerated() {
                let d = base + sortedRandom.count + t
                if dimNames[d].isEmpty {
                    dimNames[d] = "joint: \(table.file) (\(table.columns.keys.sorted().joined(separator: ", ")))"
                    dimTables[d] = table
                }
            }
        }
        dimensionNames = dimNames
        dimensionTables = dimTables
        var inAll = [Bool](repeating: true, count: maxDims)
        if multi {
            inAll[0] = false
            for (name, d) in randomDim where !prior.scenarios.allSatisfy({ if case .random = $0.definitions[name] { true } else { false } }) {
                inAll[d] = false
            }
            let tableCounts = prior.scenarios.map(\.tables.count)
            for t in 0..<(tableCounts.max() ?? 0) where !tableCounts.allSatisfy({ $0 > t }) {
                inAll[base + sortedRandom.count + t] = false
            }
        }
        dimensionInAllScenarios = inAll
        var cumulative: [Double] = []
        var running = 0.0
        for s in prior.scenarios { running += s.weight; cumulative.append(running) }
        cumulativeWeights = cumulative
        dims = maxDims
        copulaDims = prior.copula?.inputs.map { randomDim[$0]! } ?? []
        cholesky = prior.copula?.cholesky ?? []
        var gaussian = [Bool](repeating: false, count: normalScores ? maxDims : 0)
        for (name, d) in randomDim where normalScores && !copulaDims.contains(d) {
            gaussian[d] = prior.scenarios.allSatisfy { s in
                guard let definition = s.definitions[name] else { return true }
                guard case .random(let p) = definition, p.truncation == nil else { return false }
                switch p.distribution {
                case .normal, .lognormal: return true
                default: return false
                }
            }
        }
        normalScoreDims = gaussian.contains(true) ? gaussian : []
    }

    /// Draws the inputs of a block: `b.u[d·stride + i]` holds dimension d of draw i
    /// (modified in place by the copula); input slot k of draw i goes to
    /// `b.values[k·stride + i]`, its log (for `logSlots`) to `b.logs[k·stride + i]`, and its
    /// scenario to `b.scenarioOf[i]`. With `allValues` false (a lean block) only the values
    /// the model and the logs need are written. Returns the first draw (lowest index) whose
    /// drawn model input (random, joint or derived) is outside its domain — or, with
    /// `sigmoidRule`, breaks the sigmoid's rule — if any; which draw that is does not depend
    /// on `allValues` (inputs the model reads as free logs are checked through their logs).
    func drawBlock(_ b: BlockBuffers, count: Int, allValues: Bool = true) -> DrawError? {
        let u = b.u, stride = b.stride, uStride = b.uStride, scenarioOf = b.scenarioOf
        // Scenario of each draw, and the draws of each scenario, without branches (the
        // choice is random: a branch on it would be mispredicted half the time).
        for s in scenarios.indices { b.memberCounts[s] = 0 }
        if cumulativeWeights.count > 1 {
            // Four draws at a time, compared as vectors (a scalar comparison here compiles to
            // a branch, mispredicted as often as the scenarios alternate).
            let bounds = cumulativeWeights.dropLast().map { SIMD4<Double>(repeating: $0) }
            var i = 0
            while i < count {
                let lanes = Swift.min(4, count - i)
                var picks = SIMD4<Double>(repeating: 0)
                for k in 0..<lanes { picks[k] = u[i + k] }
                var chosen = SIMD4<Int64>()
                for w in bounds { chosen = chosen.replacing(with: chosen &+ 1, where: picks .>= w) }
                for k in 0..<lanes {
                    let s = Int(chosen[k])
                    scenarioOf[i + k] = Int32(truncatingIfNeeded: s)
                    b.members[s * stride + b.memberCounts[s]] = Int32(truncatingIfNeeded: i + k)
                    b.memberCounts[s] &+= 1
                }
                i += 4
            }
        } else {
            for i in 0..<count { scenarioOf[i] = 0 }
            b.memberCounts[0] = count
        }
        if !copulaDims.isEmpty {
            let k = copulaDims.count
            var z = [Double](repeating: 0, count: k)
            for i in 0..<count {
                for a in 0..<k { z[a] = gsl_cdf_ugaussian_Pinv(u[copulaDims[a] * uStride + i]) }
                for a in (0..<k).reversed() {  // in place, last row first (L is lower triangular)
                    var sum = 0.0
                    for c in 0...a { sum += cholesky[a][c] * z[c] }
                    let p = gsl_cdf_ugaussian_P(sum)
                    u[copulaDims[a] * uStride + i] = Swift.min(Swift.max(p, Double.leastNormalMagnitude), 1.0.nextDown)
                }
            }
        }
        for step in sharedSteps {
            execute(step, b, count: count, allValues: allValues, contiguous: true, at: { $0 })
        }
        var firstError: DrawError?
        func record(_ error: DrawError) {
            if firstError == nil || error.draw < firstError!.draw { firstError = error }
        }
        // Drawn model inputs may leave their domain (a quantile function's NaN, an overflow,
        // a derived input's formula): report the first such draw. One branch-free pass per
        // input; the draw is looked for only when some value is outside.
        func check(_ c: CheckedInput, _ scenario: CompiledScenario, count m: Int, contiguous: Bool, at: (Int) -> Int) {
            let col = (c.logged ? b.logs : b.values) + c.slot * stride
            let (lower, upper) = c.bounds
            if contiguous ? allWithin(col, count: m, lower, upper) : allWithin(col, count: m, lower, upper, at: at) { return }
            for j in 0..<m {
                let i = at(j), x = col[i]
                if x >= lower && x <= upper { continue }
                record(DrawError(input: c.key.rawValue, value: c.logged ? Foundation.exp(x) : x,
                                 requirement: c.key.domain.description, expression: expressionText(c.key, scenario), draw: i))
                return
            }
        }
        for c in sharedChecked { check(c, scenarios[0], count: count, contiguous: true, at: { $0 }) }
        for (s, scenario) in scenarios.enumerated() {
            let single = scenarios.count == 1
            let idx = b.members + s * stride
            let m = b.memberCounts[s]
            if m == 0 { continue }
            do {
                @inline(always) func at(_ j: Int) -> Int { single ? j : Int(idx[j]) }
                for f in scenario.fixed {
                    let col = b.values + f.slot * stride
                    for j in 0..<m { col[at(j)] = f.value }
                    if f.needsLog {
                        let logs = b.logs + f.slot * stride
                        for j in 0..<m { logs[at(j)] = f.log }
                    }
                }
                for step in scenario.steps {
                    execute(step, b, count: m, allValues: allValues, contiguous: single, at: at)
                }
                for c in scenario.checked { check(c, scenario, count: m, contiguous: single, at: at) }
                if !scenario.sigmoid.isEmpty, let e = checkSigmoid(scenario, b, count: m, at: at) { record(e) }
            }
        }
        return firstError
    }

    /// The sigmoid's cross-input rule, draw by draw (only with benchmark metrics, whose
    /// per-draw cost dwarfs this).
    private func checkSigmoid(_ scenario: CompiledScenario, _ b: BlockBuffers, count m: Int, at: (Int) -> Int) -> DrawError? {
        for j in 0..<m {
            let i = at(j)
            var p = Parameters()
            for s in scenario.sigmoid { p[s.key] = s.slot.map { b.values[$0 * b.stride + i] } ?? s.value }
            do throws(ParameterError) { try p.validateSigmoid() } catch {
                return DrawError(input: error.key.rawValue, value: error.value, requirement: error.requirement,
                                 expression: expressionText(error.key, scenario), draw: i)
            }
        }
        return nil
    }

    private func expressionText(_ key: ParameterKey, _ s: CompiledScenario) -> String? {
        for planned in sharedSteps + s.steps {
            if case .derived(_, _, _, let n, let text) = planned.step, n == key.rawValue { return text }
        }
        return nil
    }

    /// One step for `count` draws, draw j of them at block position `at(j)`.
    @inline(always)
    private func execute(_ planned: PlannedStep, _ b: BlockBuffers, count m: Int, allValues: Bool, contiguous: Bool,
                         at: (Int) -> Int) {
        let stride = b.stride
        let slot = planned.step.slot
        let col = b.values + slot * stride, logs = b.logs + slot * stride
        let wantValue = allValues || planned.leanValue, wantLog = planned.log
        guard wantValue || wantLog else { return }
        /// Writes e^x (if the value is wanted) and x (if the log is) of draw j's x = `y(j)`.
        @inline(always) func writeExp(_ y: (Int) -> Double) {
            if wantLog { for j in 0..<m { logs[at(j)] = y(j) } }
            guard wantValue else { return }
            var j = 0
            while j + 4 <= m {
                let e = FastMath.exp(FastMath.Lanes(y(j), y(j + 1), y(j + 2), y(j + 3)))
                for k in 0..<4 { col[at(j + k)] = e[k] }
                j += 4
            }
            while j < m { col[at(j)] = FastMath.exp(y(j)); j += 1 }
        }
        switch planned.step {
        case .random(_, let prior, let dim):
            let uu = u(b, dim)
            if !normalScoreDims.isEmpty, normalScoreDims[dim] {
                // The design drew standard normal scores z: x = μ + σz, or e^(μ + σz).
                switch prior.distribution {
                case .normal(let mean, let sd):
                    for j in 0..<m { let i = at(j); col[i] = mean + sd * uu[i] }
                case .lognormal(let mu, let sigma):
                    writeExp { mu + sigma * uu[at($0)] }
                    return
                default: preconditionFailure("only normal and lognormal dimensions hold normal scores")
                }
            } else if prior.truncation == nil, case .lognormal(let mu, let sigma) = prior.distribution {
                // GSL's inverse normal CDF, then e^x four draws at a time.
                let z = UnsafeMutablePointer<Double>.allocate(capacity: max(m, 1))
                defer { z.deallocate() }
                for j in 0..<m { z[j] = mu + sigma * gsl_cdf_ugaussian_Pinv(uu[at(j)]) }
                writeExp { z[$0] }
                return
            } else {
                for j in 0..<m { let i = at(j); col[i] = prior.sample(uu[i]) }
            }
        case .joint(_, let column, let logColumn, let dim):
            let uu = u(b, dim)
            let n = column.count
            guard n > 0 else {
                // A table without rows (the prior layer refuses it): no value, an error of the draw.
                for j in 0..<m { col[at(j)] = .nan; logs[at(j)] = .nan }
                return
            }
            @inline(always) func row(_ i: Int) -> Int { Swift.min(Int(uu[i] * Double(n)), n - 1) }
            if wantValue {
                column.withUnsafeBufferPointer { table in for j in 0..<m { let i = at(j); col[i] = table[row(i)] } }
            }
            if wantLog, let logColumn {
                logColumn.withUnsafeBufferPointer { table in for j in 0..<m { let i = at(j); logs[i] = table[row(i)] } }
                return
            }
        case .derived(_, let e, let log, _, _):
            func evaluate(into out: UnsafeMutablePointer<Double>, logDomain: Bool) {
                if contiguous {
                    if logDomain {
                        log!.evaluate(into: out, logs: b.logs, columns: b.values, stride: stride, count: m, contiguous: true, index: at)
                    } else {
                        e.evaluate(into: out, columns: b.values, stride: stride, count: m, contiguous: true, index: at)
                    }
                    return
                }
                let temporary = UnsafeMutablePointer<Double>.allocate(capacity: max(m, 1))
                defer { temporary.deallocate() }
                if logDomain {
                    log!.evaluate(into: temporary, logs: b.logs, columns: b.values, stride: stride, count: m, contiguous: false, index: at)
                } else {
                    e.evaluate(into: temporary, columns: b.values, stride: stride, count: m, contiguous: false, index: at)
                }
                for j in 0..<m { out[at(j)] = temporary[j] }
            }
            if wantValue { evaluate(into: col, logDomain: false) }
            if wantLog, log != nil {
                evaluate(into: logs, logDomain: true)
                return
            }
        }
        // The log of a value (the kernel's own log, bit for bit).
        guard wantLog else { return }
        var j = 0
        while j + 4 <= m {
            let l = FastMath.log(FastMath.Lanes(col[at(j)], col[at(j + 1)], col[at(j + 2)], col[at(j + 3)]))
            for k in 0..<4 { logs[at(j + k)] = l[k] }
            j += 4
        }
        while j < m { logs[at(j)] = FastMath.log(col[at(j)]); j += 1 }
    }

    @inline(always) private func u(_ b: BlockBuffers, _ dim: Int) -> UnsafeMutablePointer<Double> { b.u + dim * b.uStride }
}

/// One worker's buffers for `Plan.drawBlock`: the design's uniforms (`u[d·uStride + i]`),
/// each slot's values and logs (`values[k·stride + i]`), each draw's scenario, and the draws
/// of each scenario. The uniforms may hold a whole block while the rest holds a part of it
/// (`stride` < `uStride`): `window(at:)` points `u` at the part's first draw.
final class BlockBuffers {
    let stride: Int
    let uStride: Int
    private(set) var u: UnsafeMutablePointer<Double>
    let values, logs: UnsafeMutablePointer<Double>
    /// What the design fills: a whole block's uniforms, or one part's.
    let uniforms: UnsafeMutablePointer<Double>
    let scenarioOf: UnsafeMutablePointer<Int32>
    /// The draws of scenario s: `members[s·stride ..< s·stride + memberCounts[s]]`.
    let members: UnsafeMutablePointer<Int32>
    let memberCounts: UnsafeMutablePointer<Int>

    /// Points `u` at draw `first` of the block's uniforms.
    func window(at first: Int) { u = uniforms + first }

    init(plan: Plan, stride: Int = RunConfiguration.blockSize, uStride: Int? = nil) {
        self.stride = stride
        self.uStride = uStride ?? stride
        uniforms = .allocate(capacity: max(plan.dims, 1) * self.uStride)
        u = uniforms
        values = .allocate(capacity: max(plan.names.count, 1) * stride)
        logs = .allocate(capacity: max(plan.names.count, 1) * stride)
        scenarioOf = .allocate(capacity: stride)
        members = .allocate(capacity: plan.scenarios.count * stride)
        memberCounts = .allocate(capacity: plan.scenarios.count)
        memberCounts.initialize(repeating: 0, count: plan.scenarios.count)
    }

    deinit {
        uniforms.deallocate(); values.deallocate(); logs.deallocate(); scenarioOf.deallocate()
        members.deallocate(); memberCounts.deallocate()
    }
}

/// A draw that gives no outcome: a drawn input outside the values the model accepts (a
/// derived input's formula, a quantile function's NaN, an overflow), or a metric the model
/// could not compute (NaN) for valid inputs.
public struct DrawError: Error, Sendable, Equatable {
    /// The input (or, for a model failure, the metric).
    public var input: String
    public var value: Double
    public var requirement: String
    public var expression: String?
    public var draw: Int = 0
    /// For a model failure: the draw's model inputs, `name = value, …` (else nil).
    public var modelInputs: String? = nil
}

/// Whether every `col[0..<n]` is in [lower, upper] (false for NaN), four at a time without
/// branches.
@inline(always) func allWithin(_ col: UnsafePointer<Double>, count n: Int, _ lower: Double, _ upper: Double) -> Bool {
    typealias Lanes = SIMD4<Double>
    let lo = Lanes(repeating: lower), hi = Lanes(repeating: upper)
    var inside = SIMDMask<SIMD4<Int64>>(repeating: true)
    var j = 0
    while j + 4 <= n {
        let v = UnsafeRawPointer(col + j).loadUnaligned(as: Lanes.self)
        inside = inside .& (v .>= lo) .& (v .<= hi)
        j += 4
    }
    var tail = true
    while j < n { tail = tail && col[j] >= lower && col[j] <= upper; j += 1 }
    return all(inside) && tail
}

/// As `allWithin`, for the draws `at(0..<n)` of a scenario in a mixture.
@inline(always) func allWithin(_ col: UnsafePointer<Double>, count n: Int, _ lower: Double, _ upper: Double,
                               at: (Int) -> Int) -> Bool {
    var inside = true
    for j in 0..<n { let x = col[at(j)]; inside = inside && x >= lower && x <= upper }
    return inside
}
