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

/// A prior file compiled for the hot loop: for each scenario, the steps that turn a draw's
/// uniforms into its inputs, in dependency order, writing into numbered slots.
struct Plan: Sendable {
    enum Step: Sendable {
        case random(slot: Int, prior: Prior, dim: Int)
        case joint(slot: Int, column: [Double], dim: Int)
        case derived(slot: Int, expression: SlotExpression, name: String, text: String)
    }

    struct CompiledScenario: Sendable {
        var steps: [Step]
        /// The inputs with every fixed value in place; draws overwrite the others.
        var template: Parameters
        var initialSlots: [Double]
        /// Model inputs that vary (slot, key), and those computed by expressions, which are
        /// checked on every draw.
        var varyingKeys: [(slot: Int, key: ParameterKey)]
        /// Slots holding fixed values in this scenario.
        var fixedSlots: Set<Int>
        /// Derived model inputs, checked against their domain on every draw.
        var checked: [(slot: Int, key: ParameterKey)]
    }

    let names: [String]  // slot → input name (union over scenarios)
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
    let sharedSteps: [Step]
    /// Derived model inputs among the shared steps, checked once over the whole block.
    let sharedChecked: [(slot: Int, key: ParameterKey)]
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

    init(_ prior: PriorFile, normalScores: Bool = false) {
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
        var sharedSteps: [Step] = []
        var sharedChecked: [(slot: Int, key: ParameterKey)] = []
        var compiled: [CompiledScenario] = []
        for (index, s) in prior.scenarios.enumerated() {
            var template = Parameters()
            var initial = [Double](repeating: 0, count: self.names.count)
            var steps: [Step] = []
            var varying: [(Int, ParameterKey)] = []
            var checked: [(Int, ParameterKey)] = []
            var fixed = Set<Int>()
            for n in s.order {
                let slot = slots[n]!
                let key = ParameterKey(rawValue: n)
                let step: Step
                switch s.definitions[n]! {
                case .fixed(let v):
                    initial[slot] = v
                    fixed.insert(slot)
                    if let key { template[key] = v }
                    continue
                case .random(let p):
                    step = .random(slot: slot, prior: p, dim: randomDim[n]!)
                case .joint(let t):
                    let dim = base + sortedRandom.count + t
                    maxDims = max(maxDims, dim + 1)
                    step = .joint(slot: slot, column: s.tables[t].columns[n]!, dim: dim)
                case .derived(let e, let text):
                    step = .derived(slot: slot, expression: SlotExpression(e, slots: slots), name: n, text: text)
                    if let key {
                        if !shared.contains(n) { checked.append((slot, key)) } else if index == 0 { sharedChecked.append((slot, key)) }
                    }
                }
                // A shared step is taken once, for every scenario (recorded from the first).
                if !shared.contains(n) { steps.append(step) } else if index == 0 { sharedSteps.append(step) }
                if let key { varying.append((slot, key)) }
            }
            compiled.append(CompiledScenario(steps: steps, template: template, initialSlots: initial,
                                             varyingKeys: varying, fixedSlots: fixed, checked: checked))
        }
        scenarios = compiled
        self.sharedSteps = sharedSteps
        self.sharedChecked = sharedChecked
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

    /// Draws the inputs of a block: `u[d·stride + i]` holds dimension d of draw i (modified
    /// in place by the copula); input slot k of draw i goes to `columns[k·stride + i]` and its
    /// scenario to `scenarioOf[i]`. Returns the first draw (lowest index) whose derived input
    /// is outside its domain, if any.
    func drawBlock(_ u: UnsafeMutablePointer<Double>, count: Int, stride: Int, columns: UnsafeMutablePointer<Double>,
                   scenarioOf: UnsafeMutablePointer<Int32>, scratch: inout BlockScratch) -> DrawError? {
        // Scenario of each draw, and the draws of each scenario.
        for s in scenarios.indices { scratch.members[s].removeAll(keepingCapacity: true) }
        if cumulativeWeights.count > 1 {
            for i in 0..<count {
                let pick = u[i]
                var s = 0
                while s < cumulativeWeights.count - 1, pick >= cumulativeWeights[s] { s += 1 }
                scenarioOf[i] = Int32(s)
                scratch.members[s].append(Int32(i))
            }
        } else {
            for i in 0..<count { scenarioOf[i] = 0 }
        }
        if !copulaDims.isEmpty {
            let k = copulaDims.count
            var z = [Double](repeating: 0, count: k)
            for i in 0..<count {
                for a in 0..<k { z[a] = gsl_cdf_ugaussian_Pinv(u[copulaDims[a] * stride + i]) }
                for a in (0..<k).reversed() {  // in place, last row first (L is lower triangular)
                    var sum = 0.0
                    for b in 0...a { sum += cholesky[a][b] * z[b] }
                    let p = gsl_cdf_ugaussian_P(sum)
                    u[copulaDims[a] * stride + i] = Swift.min(Swift.max(p, Double.leastNormalMagnitude), 1.0.nextDown)
                }
            }
        }
        for step in sharedSteps {
            execute(step, u: u, stride: stride, columns: columns, count: count, contiguous: true, at: { $0 })
        }
        var firstError: DrawError?
        // Derived model inputs may leave their domain: report the first such draw.
        for (slot, key) in sharedChecked {
            let col = columns + slot * stride
            for i in 0..<count where !key.domain.contains(col[i]) {
                if firstError == nil || i < firstError!.draw {
                    firstError = DrawError(input: key.rawValue, value: col[i], requirement: key.domain.description,
                                           expression: expressionText(key, scenarios[0]), draw: i)
                }
                break
            }
        }
        for (s, scenario) in scenarios.enumerated() {
            let single = scenarios.count == 1
            let members = scratch.members[s]
            let m = single ? count : members.count
            if m == 0 { continue }
            members.withUnsafeBufferPointer { idx in
                @inline(always) func at(_ j: Int) -> Int { single ? j : Int(idx[j]) }
                for (slot, value) in scenario.initialSlots.enumerated() where scenario.fixedSlots.contains(slot) {
                    let col = columns + slot * stride
                    for j in 0..<m { col[at(j)] = value }
                }
                for step in scenario.steps {
                    execute(step, u: u, stride: stride, columns: columns, count: m, contiguous: single, at: at)
                }
                // Derived model inputs may leave their domain: report the first such draw.
                for (slot, key) in scenario.checked {
                    let col = columns + slot * stride
                    for j in 0..<m where !key.domain.contains(col[at(j)]) {
                        let i = at(j)
                        if firstError == nil || i < firstError!.draw {
                            firstError = DrawError(input: key.rawValue, value: col[i], requirement: key.domain.description,
                                                   expression: expressionText(key, scenario), draw: i)
                        }
                        break
                    }
                }
            }
        }
        return firstError
    }

    private func expressionText(_ key: ParameterKey, _ s: CompiledScenario) -> String? {
        for step in sharedSteps + s.steps { if case .derived(_, _, let n, let text) = step, n == key.rawValue { return text } }
        return nil
    }

    /// One step for `count` draws, draw j of them at block position `at(j)`.
    @inline(always)
    private func execute(_ step: Step, u: UnsafeMutablePointer<Double>, stride: Int, columns: UnsafeMutablePointer<Double>,
                         count m: Int, contiguous: Bool, at: (Int) -> Int) {
        switch step {
        case .random(let slot, let prior, let dim):
            let col = columns + slot * stride, uu = u + dim * stride
            if !normalScoreDims.isEmpty, normalScoreDims[dim] {
                // The design drew standard normal scores z: x = μ + σz, or e^(μ + σz).
                switch prior.distribution {
                case .normal(let mean, let sd):
                    for j in 0..<m { let i = at(j); col[i] = mean + sd * uu[i] }
                case .lognormal(let mu, let sigma):
                    var j = 0
                    while j + 4 <= m {
                        let z = FastMath.Lanes(uu[at(j)], uu[at(j + 1)], uu[at(j + 2)], uu[at(j + 3)])
                        let e = FastMath.exp(mu + sigma * z)
                        for k in 0..<4 { col[at(j + k)] = e[k] }
                        j += 4
                    }
                    while j < m { let i = at(j); col[i] = FastMath.exp(mu + sigma * uu[i]); j += 1 }
                default: preconditionFailure("only normal and lognormal dimensions hold normal scores")
                }
            } else if prior.truncation == nil, case .lognormal(let mu, let sigma) = prior.distribution {
                // GSL's inverse normal CDF, then e^x four draws at a time.
                var z = [Double](repeating: 0, count: (m + 3) & ~3)
                for j in 0..<m { z[j] = mu + sigma * gsl_cdf_ugaussian_Pinv(uu[at(j)]) }
                z.withUnsafeBufferPointer { zb in
                    var j = 0
                    while j < m {
                        let e = FastMath.exp(UnsafeRawPointer(zb.baseAddress! + j).loadUnaligned(as: FastMath.Lanes.self))
                        for k in 0..<Swift.min(4, m - j) { col[at(j + k)] = e[k] }
                        j += 4
                    }
                }
            } else {
                for j in 0..<m { let i = at(j); col[i] = prior.sample(uu[i]) }
            }
        case .joint(let slot, let column, let dim):
            let col = columns + slot * stride, uu = u + dim * stride
            let n = column.count
            column.withUnsafeBufferPointer { table in
                for j in 0..<m { let i = at(j); col[i] = table[Swift.min(Int(uu[i] * Double(n)), n - 1)] }
            }
        case .derived(let slot, let e, _, _):
            let col = columns + slot * stride
            if contiguous {
                e.evaluate(into: col, columns: columns, stride: stride, count: m, contiguous: true, index: at)
            } else {
                let values = UnsafeMutablePointer<Double>.allocate(capacity: max(m, 1))
                defer { values.deallocate() }
                e.evaluate(into: values, columns: columns, stride: stride, count: m, contiguous: false, index: at)
                for j in 0..<m { col[at(j)] = values[j] }
            }
        }
    }

}

/// Reusable per-worker buffers for `Plan.drawBlock`.
struct BlockScratch {
    var members: [[Int32]]
    init(scenarios: Int) { members = [[Int32]](repeating: [], count: scenarios) }
}

/// A drawn input outside the values the model accepts (possible only for derived inputs,
/// whose range the prior file cannot guarantee).
public struct DrawError: Error, Sendable, Equatable {
    public var input: String
    public var value: Double
    public var requirement: String
    public var expression: String?
    public var draw: Int = 0
}
