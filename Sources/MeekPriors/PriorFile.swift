import CGSL
import Foundation
import MeekModel
import MeekTOML

/// How the uniforms behind the draws are generated.
public enum SamplerKind: String, Sendable, CaseIterable {
    /// Plain Monte Carlo: GSL's mt19937, one stream per block of draws.
    case mc
    /// Latin hypercube: each block of draws is stratified in every dimension.
    case lhs
    /// Sobol' quasi-random points (GSL's `gsl_qrng_sobol`), at most 40 dimensions.
    case sobol
}

/// The `[run]` table: how many draws, which seed and sampler, what to report.
public struct RunSettings: Sendable, Equatable {
    public var draws = 100_000
    public var seed: UInt64 = 1
    public var sampler: SamplerKind = .mc
    /// Calendar year at t = 0 (fixed for a run; times are reported after it and as years).
    public var startYear = 2019.0
    /// Quantiles to print, in (0, 1).
    public var quantiles = [0.05, 0.25, 0.5, 0.75, 0.95]
    /// Credible levels, in (0, 1): an equal-tailed and a highest-density interval each.
    public var credibleLevels = [0.5, 0.9]
    /// Calendar years for "probability that it has happened by".
    public var convergeBy = [2030.0, 2040, 2050]

    /// The most draws a run may ask for (the engine's block and count arithmetic stays
    /// exact far beyond; the CLI's `--draws` uses the same bound).
    public static let maxDraws = 1 << 50
    /// The most entries of each list in [run] and [metrics] (each is a column or row of
    /// every result).
    public static let maxListLength = 32
    /// The calendar years a run may start in, and `converge_by` years.
    public static let startYears = 1900.0...2200.0
    public static let years = 1900.0...3000.0

    public init() {}
}

/// How one input is drawn in a scenario.
public enum Definition: Sendable, Equatable {
    /// A number.
    case fixed(Double)
    /// A prior distribution (one uniform dimension).
    case random(Prior)
    /// An expression of other inputs.
    case derived(Formula, text: String)
    /// The input's column of a table whose rows are resampled jointly (one dimension per
    /// table; the column is `tables[table].columns[name]`).
    case joint(table: Int)
}

/// A table of joint draws (e.g. the Besiroglu et al. 2024 bootstrap), resampled by row.
public struct JointTable: Sendable, Equatable {
    /// The path as written in the prior file, and where it was found.
    public var file: String
    public var resolvedPath: String
    public var sha256: String
    /// The table's columns used, by input name → values by row.
    public var columns: [String: [Double]]
    public var rowCount: Int
}

/// One arm of a scenario mixture, or the only scenario.
public struct Scenario: Sendable, Equatable {
    public var name: String
    /// Normalised weight (the weights of a file's scenarios sum to 1).
    public var weight: Double
    /// Every input's definition in this scenario (model inputs and auxiliary ones).
    public var definitions: [String: Definition]
    /// Joint tables referenced by `.joint(table:column:)`.
    public var tables: [JointTable]
    /// Inputs in evaluation order (dependencies first).
    public var order: [String]
}

/// A Gaussian copula over some random inputs.
public struct CopulaSpec: Sendable, Equatable {
    public var inputs: [String]
    /// Spearman rank correlations as written.
    public var rankCorrelation: [[Double]]
    /// Lower Cholesky factor of the Pearson correlation 2·sin(π·ρs/6) of the normal scores.
    public var cholesky: [[Double]]
}

/// A parsed and checked prior file.
public struct PriorFile: Sendable {
    public var path: String
    public var sha256: String
    /// The file's text as parsed (shard partials carry it, so a merge uses exactly it).
    public var text: String = ""
    /// The folder relative data-file paths resolve against.
    public var directory: String = "."
    public var title: String?
    public var run: RunSettings
    public var metrics: Metrics
    /// Optional per-draw metrics asked for in [metrics]: `sprt_tokens_at_peak`,
    /// `inference_gap_at_peak`.
    public var sprtTokensAtPeak = false
    public var inferenceGapAtPeak = false
    public var scenarios: [Scenario]
    public var copula: CopulaSpec?

    /// Inputs that are uncertain in at least one scenario (random, joint, or derived from
    /// those), in a stable order.
    public var uncertainInputs: [String] {
        var names = Set<String>()
        for s in scenarios {
            for name in s.order {
                switch s.definitions[name]! {
                case .random, .joint: names.insert(name)
                case .derived(let e, _): if !e.variables.isDisjoint(with: names) { names.insert(name) }
                case .fixed: break
                }
            }
        }
        if scenarios.count > 1 {
            for name in scenarios[0].definitions.keys where Set(scenarios.map { $0.definitions[name] }).count > 1 {
                names.insert(name)
            }
        }
        return names.sorted()
    }

    /// Reads, parses and checks the prior file at `path`.
    public static func load(path: String) throws(PriorError) -> PriorFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw PriorError(file: path, key: "", message: exists ? "cannot be read" : "no such file")
        }
        let text: String
        do throws(TOMLParseError) { text = try decodeUTF8(Array(data)) } catch {
            throw PriorError(file: path, key: "", line: error.line, message: "is not UTF-8 text: \(error.message)")
        }
        let directory = (path as NSString).deletingLastPathComponent
        return try parse(text, path: path, directory: directory.isEmpty ? "." : directory)
    }

    /// Parses prior-file text; `directory` resolves relative data-file paths.
    public static func parse(_ text: String, path: String, directory: String) throws(PriorError) -> PriorFile {
        // Building priors calls GSL (CDFs at truncation bounds, quantiles), whose default
        // handler aborts: off, for every caller (idempotent), and every result is checked.
        meek_gsl_disable_abort()
        var parser = PriorParser(text: text, path: path, directory: directory)
        return try parser.parse()
    }
}

extension Definition: Hashable {
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .fixed(let v): hasher.combine(0); hasher.combine(v)
        case .random(let p): hasher.combine(1); hasher.combine(String(describing: p.distribution))
        case .derived(_, let t): hasher.combine(2); hasher.combine(t)
        case .joint(let t): hasher.combine(3); hasher.combine(t)
        }
    }
}

// MARK: - Parser

struct PriorParser {
    let text: String
    let path: String
    let directory: String
    /// The parsed document: its key positions give every error its line.
    var root = TOMLTable()

    init(text: String, path: String, directory: String) {
        self.text = text
        self.path = path
        self.directory = directory
    }

    func error(_ key: [String], _ message: String) -> PriorError {
        PriorError(file: path, key: display(key), line: root.line(of: key), message: message)
    }

    /// `scenario.2.inputs.alpha` → `scenario[2].inputs.alpha`.
    func display(_ key: [String]) -> String {
        var out = ""
        for part in key {
            if Int(part) != nil, !out.isEmpty { out += "[\(part)]" } else { out += out.isEmpty ? part : ".\(part)" }
        }
        return out
    }

    mutating func parse() throws(PriorError) -> PriorFile {
        do throws(TOMLParseError) {
            root = try TOMLTable(string: text)
        } catch {
            throw PriorError(file: path, key: "", line: error.line, message: "TOML syntax: \(error.message)")
        }
        try allowOnly(root, ["title", "run", "metrics", "inputs", "joint", "copula", "scenario"], at: [])
        let run = try parseRun(root["run"])
        let metrics = try parseMetrics(root["metrics"])
        let flags = try parseMetricFlags(root["metrics"])

        // Base definitions: [inputs] and [[joint]].
        var baseTables: [JointTable] = []
        var base = try parseInputs(root["inputs"], at: ["inputs"])
        // Where each input is defined (its key path), for errors found once scenarios merge.
        var baseOrigins = Dictionary(uniqueKeysWithValues: base.keys.map { ($0, ["inputs", $0]) })
        if let joints = root["joint"] {
            guard let array = joints.array else { throw error(["joint"], "must be an array of tables: [[joint]]") }
            for (i, entry) in array.enumerated() {
                try addJoint(entry, at: ["joint", String(i + 1)], into: &base, origins: &baseOrigins, tables: &baseTables,
                             overriding: false)
            }
        }
        var origins: [[String: [String]]] = []

        // Scenarios: each overrides the base.
        var scenarios: [Scenario] = []
        if let list = root["scenario"] {
            guard let array = list.array, !array.isEmpty else {
                throw error(["scenario"], "must be a non-empty array of tables: [[scenario]]")
            }
            var names = Set<String>()
            for (i, entry) in array.enumerated() {
                let key = ["scenario", String(i + 1)]
                guard let table = entry.table else { throw error(key, "must be a table") }
                try allowOnly(table, ["name", "weight", "inputs", "joint", "source", "note"], at: key)
                let name = try table["name"].map { v throws(PriorError) in
                    guard let s = v.string, !s.isEmpty else { throw error(key + ["name"], "must be a non-empty string") }
                    return s
                } ?? "scenario \(i + 1)"
                guard names.insert(name).inserted else { throw error(key + ["name"], "'\(echo(name))' is used twice") }
                guard let weightValue = table["weight"] else { throw error(key, "needs a weight") }
                let weight = try number(weightValue, at: key + ["weight"])
                guard weight > 0 else { throw error(key + ["weight"], "must be > 0 (got \(weight))") }
                var definitions = base
                var own = baseOrigins
                var tables = baseTables
                let overrides = try parseInputs(table["inputs"], at: key + ["inputs"])
                for (k, v) in overrides {
                    definitions[k] = v
                    own[k] = key + ["inputs", k]
                }
                if let joints = table["joint"] {
                    guard let array = joints.array else { throw error(key + ["joint"], "must be an array of tables") }
                    for (j, entry) in array.enumerated() {
                        try addJoint(entry, at: key + ["joint", String(j + 1)], into: &definitions, origins: &own,
                                     tables: &tables, overriding: true)
                    }
                }
                origins.append(own)
                scenarios.append(Scenario(name: name, weight: weight, definitions: definitions, tables: tables, order: []))
            }
            let weights = normalisedWeights(scenarios.map(\.weight))!  // each is finite and > 0
            for i in scenarios.indices { scenarios[i].weight = weights[i] }
        } else {
            scenarios = [Scenario(name: "base", weight: 1, definitions: base, tables: baseTables, order: [])]
            origins = [baseOrigins]
        }

        for i in scenarios.indices { try complete(&scenarios[i], origins: origins[i]) }
        let copula = try parseCopula(root["copula"], scenarios: scenarios)
        if run.sampler == .sobol {
            let dims = PriorParser.dimensionCount(scenarios: scenarios)
            guard dims <= 40 else {
                throw error(["run", "sampler"], "sobol supports at most 40 uncertain dimensions; this file has \(dims)")
            }
        }
        return PriorFile(path: path, sha256: SHA256.hex(text), text: text, directory: directory,
                         title: root["title"]?.string, run: run,
                         metrics: metrics, sprtTokensAtPeak: flags.sprt, inferenceGapAtPeak: flags.inference,
                         scenarios: scenarios, copula: copula)
    }

    /// Dimensions of the uniform design: one per random input and per joint table (the
    /// largest over scenarios), plus one to choose the scenario when there are several.
    static func dimensionCount(scenarios: [Scenario]) -> Int {
        let perScenario = scenarios.map { s in
            s.definitions.values.reduce(0) { n, d in if case .random = d { n + 1 } else { n } } + s.tables.count
        }
        return (perScenario.max() ?? 0) + (scenarios.count > 1 ? 1 : 0)
    }

    // MARK: Tables

    func allowOnly(_ table: TOMLTable, _ keys: Set<String>, at path: [String]) throws(PriorError) {
        for key in table.keys.sorted() where !keys.contains(key) {
            throw error(path + [key], "unknown key (expected one of: \(keys.sorted().joined(separator: ", ")))")
        }
    }

    func number(_ value: TOMLValueConvertible, at key: [String]) throws(PriorError) -> Double {
        if let d = value.double { guard d.isFinite else { throw error(key, "must be finite (got \(d))") }; return d }
        if let i = value.int { return Double(i) }
        throw error(key, "must be a number (got \(value.type))")
    }

    func bound(_ value: TOMLValueConvertible, at key: [String]) throws(PriorError) -> Double {
        if let d = value.double, !d.isNaN { return d }
        if let i = value.int { return Double(i) }
        throw error(key, "must be a number (inf and -inf allowed)")
    }

    /// An array of finite numbers, of at most `limit` entries.
    func numbers(_ value: TOMLValueConvertible?, at key: [String], limit: Int = .max) throws(PriorError) -> [Double]? {
        guard let value else { return nil }
        guard let array = value.array else { throw error(key, "must be an array of numbers") }
        guard array.count <= limit else { throw error(key, "has \(array.count) entries; at most \(limit) are allowed") }
        var out: [Double] = []
        for (i, v) in array.enumerated() { out.append(try number(v, at: key + [String(i + 1)])) }
        return out
    }

    func parseRun(_ value: TOMLValueConvertible?) throws(PriorError) -> RunSettings {
        var run = RunSettings()
        guard let value else { return run }
        guard let t = value.table else { throw error(["run"], "must be a table: [run]") }
        try allowOnly(t, ["draws", "seed", "sampler", "start_year", "quantiles", "credible_levels", "converge_by"], at: ["run"])
        if let v = t["draws"] {
            guard let n = v.int, n > 0, n <= RunSettings.maxDraws else {
                throw error(["run", "draws"], "must be a whole number from 1 to 2^50 = \(RunSettings.maxDraws) (got \(echo(v)))")
            }
            run.draws = n
        }
        if let v = t["seed"] {
            // TOML integers are 64-bit signed: every one ≥ 0 fits the UInt64 seed.
            guard let n = v.int, n >= 0 else { throw error(["run", "seed"], "must be a whole number >= 0 (got \(echo(v)))") }
            run.seed = UInt64(n)
        }
        if let v = t["sampler"] {
            guard let s = v.string, let kind = SamplerKind(rawValue: s) else {
                throw error(["run", "sampler"], "must be one of \(SamplerKind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))")
            }
            run.sampler = kind
        }
        if let v = t["start_year"] {
            run.startYear = try number(v, at: ["run", "start_year"])
            guard RunSettings.startYears.contains(run.startYear) else {
                throw error(["run", "start_year"], "must be in \(RunSettings.startYears) (got \(run.startYear))")
            }
        }
        if let q = try numbers(t["quantiles"], at: ["run", "quantiles"], limit: RunSettings.maxListLength) {
            guard !q.isEmpty, q.allSatisfy({ $0 > 0 && $0 < 1 }) else { throw error(["run", "quantiles"], "must be numbers in (0, 1)") }
            run.quantiles = q
        }
        if let c = try numbers(t["credible_levels"], at: ["run", "credible_levels"], limit: RunSettings.maxListLength) {
            guard c.allSatisfy({ $0 > 0 && $0 < 1 }) else { throw error(["run", "credible_levels"], "must be numbers in (0, 1)") }
            run.credibleLevels = c
        }
        if let y = try numbers(t["converge_by"], at: ["run", "converge_by"], limit: RunSettings.maxListLength) {
            if let bad = y.first(where: { !RunSettings.years.contains($0) }) {
                throw error(["run", "converge_by"], "years must be in \(RunSettings.years) (got \(bad))")
            }
            run.convergeBy = y
        }
        return run
    }

    func parseMetrics(_ value: TOMLValueConvertible?) throws(PriorError) -> Metrics {
        var m = Metrics()
        m.gapNats = [0.01]
        m.peakFractions = []
        m.sprtTokens = []
        m.benchmarkSteps = []
        guard let value else { return m }
        guard let t = value.table else { throw error(["metrics"], "must be a table: [metrics]") }
        try allowOnly(t, ["gap_nats", "peak_fractions", "sprt_tokens", "benchmark_steps", "benchmark_points",
                          "sprt_tokens_at_peak", "inference_gap_at_peak"], at: ["metrics"])
        func list(_ name: String, _ rule: String, _ ok: (Double) -> Bool) throws(PriorError) -> [Double]? {
            guard let values = try numbers(t[name], at: ["metrics", name], limit: RunSettings.maxListLength) else { return nil }
            if let bad = values.first(where: { !ok($0) }) { throw error(["metrics", name], "values must be \(rule) (got \(bad))") }
            return values
        }
        if let v = try list("gap_nats", "> 0", { $0 > 0 }) { m.gapNats = v }
        if let v = try list("peak_fractions", "in (0, 1)", { $0 > 0 && $0 < 1 }) { m.peakFractions = v }
        if let v = try list("sprt_tokens", "> 0", { $0 > 0 }) { m.sprtTokens = v }
        if let v = try list("benchmark_steps", "whole numbers from 1 to 1000", { $0 >= 1 && $0 <= 1000 && $0 == $0.rounded() }) {
            m.benchmarkSteps = v.map { Int($0) }
        }
        if let v = try list("benchmark_points", "in (0, 100)", { $0 > 0 && $0 < 100 }) { m.benchmarkPoints = v }
        return m
    }

    func parseMetricFlags(_ value: TOMLValueConvertible?) throws(PriorError) -> (sprt: Bool, inference: Bool) {
        guard let t = value?.table else { return (false, false) }
        func flag(_ name: String) throws(PriorError) -> Bool {
            guard let v = t[name] else { return false }
            guard let b = v.bool else { throw error(["metrics", name], "must be true or false") }
            return b
        }
        return (try flag("sprt_tokens_at_peak"), try flag("inference_gap_at_peak"))
    }

    // MARK: Inputs

    func parseInputs(_ value: TOMLValueConvertible?, at key: [String]) throws(PriorError) -> [String: Definition] {
        guard let value else { return [:] }
        guard let table = value.table else { throw error(key, "must be a table") }
        var out: [String: Definition] = [:]
        for name in table.keys.sorted() {
            if name == ParameterKey.startYear.rawValue {
                throw error(key + [name], "start_year is a run setting: put it under [run]")
            }
            out[name] = try parseDefinition(table[name]!, name: name, at: key + [name])
        }
        return out
    }

    func parseDefinition(_ value: TOMLValueConvertible, name: String, at key: [String]) throws(PriorError) -> Definition {
        if value.double != nil || value.int != nil { return .fixed(try number(value, at: key)) }
        if let s = value.string {
            do {
                return .derived(try Formula.parse(s), text: s)
            } catch let e {
                throw error(key, "expression \"\(echo(s))\": \(e)")
            }
        }
        guard let t = value.table else {
            throw error(key, "must be a number, an expression in quotes, or a table { dist = ... }")
        }
        return .random(try parsePrior(t, at: key))
    }

    func parsePrior(_ t: TOMLTable, at key: [String]) throws(PriorError) -> Prior {
        guard let distValue = t["dist"] else { throw error(key, "needs dist = \"...\" (\(Self.distributions.joined(separator: ", ")))") }
        guard let dist = distValue.string, Self.distributions.contains(dist) else {
            throw error(key + ["dist"], "unknown distribution \(echo(distValue)) (known: \(Self.distributions.joined(separator: ", ")))")
        }
        var fields: [String: Double] = [:]
        var percentiles: [(p: Double, value: Double, key: String)] = []
        var arrays: [String: [Double]] = [:]
        for k in t.keys.sorted() where k != "dist" && k != "source" && k != "note" {
            let v = t[k]!
            if k == "truncate" || k == "values" || k == "weights" {
                arrays[k] = k == "truncate" ? try bounds(v, at: key + [k]) : try numbers(v, at: key + [k], limit: Self.maxChoices)
            } else if let p = Self.percentile(k) {
                percentiles.append((p, try number(v, at: key + [k]), k))
            } else {
                fields[k] = try number(v, at: key + [k])
            }
        }
        let spec = DistributionSpec(dist: dist, fields: fields, percentiles: percentiles.sorted { $0.p < $1.p },
                                    arrays: arrays, key: key, parser: self)
        let distribution = try spec.build()
        var truncation: (Double, Double)?
        if let tr = arrays["truncate"] {
            if case .fixed = distribution { throw error(key + ["truncate"], "applies to continuous distributions only") }
            if case .choice = distribution { throw error(key + ["truncate"], "applies to continuous distributions only") }
            guard tr[0] < tr[1] else { throw error(key + ["truncate"], "needs low < high (got [\(tr[0]), \(tr[1])])") }
            truncation = (tr[0], tr[1])
        }
        if let (low, high) = truncation {
            // GSL's CDFs return NaN where they fail (its abort handler is off): check them.
            let masses = [distribution.cdf(low), distribution.cdf(high), distribution.ccdf(low), distribution.ccdf(high)]
            guard masses.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1 }) else {
                throw error(key + ["truncate"], "the distribution's CDF cannot be computed at [\(low), \(high)]")
            }
        }
        guard let prior = Prior(distribution, truncation: truncation) else {
            throw error(key + ["truncate"], "excludes all of the distribution's mass")
        }
        return prior
    }

    func bounds(_ v: TOMLValueConvertible, at key: [String]) throws(PriorError) -> [Double] {
        guard let a = v.array, a.count == 2 else { throw error(key, "must be [low, high] (inf and -inf allowed)") }
        return [try bound(a[0], at: key + ["1"]), try bound(a[1], at: key + ["2"])]
    }

    /// The most values a `choice` may list (it is searched on every draw).
    static let maxChoices = 1000

    static let distributions = ["normal", "lognormal", "uniform", "loguniform", "beta", "pert", "triangular",
                                "gamma", "student_t", "choice", "fixed"]

    /// `p5` → 0.05, `p97_5` → 0.975; nil for other keys.
    static func percentile(_ key: String) -> Double? {
        guard key.hasPrefix("p"), key.count > 1 else { return nil }
        let body = key.dropFirst().replacingOccurrences(of: "_", with: ".")
        guard let v = Double(body), v > 0, v < 100 else { return nil }
        return v / 100
    }

    // MARK: Joint tables

    func addJoint(_ entry: TOMLValueConvertible, at key: [String], into definitions: inout [String: Definition],
                  origins: inout [String: [String]], tables: inout [JointTable], overriding: Bool) throws(PriorError) {
        guard let t = entry.table else { throw error(key, "must be a table with file and columns") }
        try allowOnly(t, ["file", "columns", "source", "note"], at: key)
        guard let file = t["file"]?.string else { throw error(key, "needs file = \"path/to/table.csv\"") }
        guard let mapping = t["columns"]?.table, !mapping.keys.isEmpty else {
            throw error(key, "needs columns = { input = \"column\", ... }")
        }
        let resolved = file.hasPrefix("/") ? file : (directory as NSString).appendingPathComponent(file)
        guard let data = FileManager.default.contents(atPath: resolved) else {
            throw error(key + ["file"], "data file \(echo(resolved)) not found")
        }
        // Lines of cells, split on the bytes (CR LF or LF; blank lines skipped), each cell
        // without surrounding spaces and quotes.
        func cell(_ bytes: ArraySlice<UInt8>) -> Substring {
            var b = bytes
            let blank: Set<UInt8> = [0x20, 0x22, 0x0D, 0x09]  // space, ", CR, tab
            while let f = b.first, blank.contains(f) { b.removeFirst() }
            while let l = b.last, blank.contains(l) { b.removeLast() }
            return Substring(decoding: b, as: UTF8.self)
        }
        var lines = Array(data).split(whereSeparator: { $0 == 0x0A || $0 == 0x0D })
            .map { $0.split(separator: 0x2C, omittingEmptySubsequences: false).map(cell) }
            .filter { !($0.count == 1 && $0[0].isEmpty) }
        guard !lines.isEmpty else { throw error(key + ["file"], "\(echo(resolved)) is empty") }
        let header = lines.removeFirst().map(String.init)
        guard !lines.isEmpty else { throw error(key + ["file"], "\(echo(resolved)) has a header line and no data rows") }
        var columns: [String: [Double]] = [:]
        let tableIndex = tables.count
        for input in mapping.keys.sorted() {
            guard let column = mapping[input]!.string else { throw error(key + ["columns", input], "must be a column name") }
            guard let c = header.firstIndex(of: column) else {
                throw error(key + ["columns", input], "\(echo(resolved)) has no column named '\(echo(column))' in its header line")
            }
            var values: [Double] = []
            values.reserveCapacity(lines.count)
            for (row, cells) in lines.enumerated() {
                guard c < cells.count, let v = Double(cells[c]), v.isFinite else {
                    throw error(key + ["file"], "\(echo(resolved)) line \(row + 2): column '\(echo(column))' is not a finite number")
                }
                values.append(v)
            }
            if let model = ParameterKey(rawValue: input), let bad = values.first(where: { !model.domain.contains($0) }) {
                throw error(key + ["columns", input], "column '\(echo(column))' has \(bad); \(input) must be \(model.domain)")
            }
            columns[input] = values
            if !overriding, definitions[input] != nil {
                throw error(key + ["columns", input], "\(echo(input)) is also defined in [inputs]; define it once")
            }
            definitions[input] = .joint(table: tableIndex)
            origins[input] = key + ["columns", input]
        }
        tables.append(JointTable(file: file, resolvedPath: resolved, sha256: SHA256.hex(Array(data)),
                                 columns: columns, rowCount: lines.count))
    }

    // MARK: Checks per scenario

    /// Fills paper defaults, orders inputs by dependency, and checks names, cycles and
    /// supports. `origins` gives each input's key path where it is defined (`inputs.g_h`
    /// for one a scenario inherits, `scenario[2].inputs.g_h` for its own).
    func complete(_ scenario: inout Scenario, origins: [String: [String]]) throws(PriorError) {
        func path(of name: String) -> [String] { origins[name] ?? ["inputs", name] }
        var defs = scenario.definitions
        let known = Set(ParameterKey.allCases.map(\.rawValue))
        // Names read by expressions must exist; auxiliary inputs must be read by something.
        var readers: [String: [String]] = [:]
        for (name, def) in defs {
            guard case .derived(let e, let text) = def else { continue }
            for v in e.variables.sorted() {
                if defs[v] == nil && !(known.contains(v) && v != ParameterKey.startYear.rawValue) {
                    throw error(path(of: name), "expression \"\(echo(text))\" reads '\(echo(v))', which is not defined (define it under [inputs])")
                }
                readers[v, default: []].append(name)
            }
        }
        for name in defs.keys.sorted() where !known.contains(name) && readers[name] == nil {
            // A suggestion only for names a typo could make (the distance is quadratic).
            let near = name.count > PriorError.echoLimit ? nil
                : known.sorted().min { editDistance($0, name) < editDistance($1, name) }
            throw error(path(of: name), "'\(echo(name))' is not an input of the model and no derived input reads it"
                        + (near.map { " (did you mean '\($0)'?)" } ?? ""))
        }
        // Paper defaults for model inputs not given (g_inf and invest_stop_years stay unset).
        let defaults = Parameters()
        for k in ParameterKey.allCases where defs[k.rawValue] == nil && k != .startYear {
            if let v = defaults[k] { defs[k.rawValue] = .fixed(v) }
        }
        // Topological order; a cycle is an error naming it.
        var order: [String] = []
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        func visit(_ n: String, _ stack: [String]) throws(PriorError) {
            if state[n] == 2 { return }
            if state[n] == 1 {
                let cycle = stack.drop { $0 != n } + [n]
                throw error(path(of: n), "derived inputs form a cycle: \(echo(cycle.joined(separator: " → ")))")
            }
            state[n] = 1
            if case .derived(let e, _) = defs[n]! {
                for v in e.variables.sorted() where defs[v] != nil { try visit(v, stack + [n]) }
            }
            state[n] = 2
            order.append(n)
        }
        for n in defs.keys.sorted() { try visit(n, []) }
        // Supports and fixed values of model inputs, in name order (the first error is
        // always the same one); the extreme and middle draws of every random input.
        for name in defs.keys.sorted() {
            let domain = ParameterKey(rawValue: name)?.domain
            switch defs[name]! {
            case .fixed(let v):
                if let domain, !domain.contains(v) { throw error(path(of: name), "must be \(domain) (got \(v))") }
            case .random(let prior):
                if let domain, let problem = supportProblem(prior.support, domain) {
                    throw error(path(of: name), "\(describe(prior.distribution)) \(problem) for \(name), which must be \(domain); truncate it (truncate = [low, high]) or choose a distribution on the allowed values")
                }
                // The support allows it, but the doubles may not: a scale past 1e308
                // overflows, a tiny gamma shape underflows to 0.
                for u in Self.probes {
                    let x = prior.sample(u)
                    guard (domain ?? .finite).contains(x) else {
                        throw error(path(of: name), "draws \(x) at u = \(u) (the quantile is beyond the range of doubles)"
                                    + (domain.map { "; \(name) must be \($0)" } ?? "") + ": narrow or truncate the distribution")
                    }
                }
            case .derived, .joint: break  // checked over ranges below, and per draw / when loaded
            }
        }
        try checkStatically(defs, order: order, tables: scenario.tables, path: path(of:))
        scenario.definitions = defs
        scenario.order = order
    }

    /// The uniforms a random input is tried at: plain Monte Carlo's extremes (2^-33 and
    /// 1 − 2^-33, `meek_uniform`) and the median.
    static let probes = [0x1p-33, 0.5, 1 - 0x1p-33]

    func supportProblem(_ s: Support, _ domain: Domain) -> String? {
        switch domain {
        case .finite: return nil
        case .positive: return s.reaches(below: 0, inclusive: true) ? "allows values ≤ 0 (support \(s.description))" : nil
        case .nonNegative: return s.reaches(below: 0, inclusive: false) ? "allows values < 0 (support \(s.description))" : nil
        case .belowHalf:
            return s.reaches(below: 0, inclusive: true) || s.reaches(above: 0.5, inclusive: true)
                ? "allows values outside (0, 0.5) (support \(s.description))" : nil
        }
    }

    func describe(_ d: Distribution) -> String {
        String(describing: d).split(separator: "(").first.map(String.init) ?? "the distribution"
    }

    // MARK: Copula

    func parseCopula(_ value: TOMLValueConvertible?, scenarios: [Scenario]) throws(PriorError) -> CopulaSpec? {
        guard let value else { return nil }
        guard let t = value.table else { throw error(["copula"], "must be a table: [copula]") }
        try allowOnly(t, ["inputs", "rank_correlation", "source", "note"], at: ["copula"])
        guard let names = t["inputs"]?.array?.compactMap({ $0.string }), names.count >= 2 else {
            throw error(["copula", "inputs"], "needs at least two input names")
        }
        guard Set(names).count == names.count else { throw error(["copula", "inputs"], "lists an input twice") }
        for s in scenarios {
            for n in names {
                guard case .random = s.definitions[n] else {
                    throw error(["copula", "inputs"], "'\(echo(n))' must be a random input (a distribution) in every scenario")
                }
            }
        }
        guard let rows = t["rank_correlation"]?.array, rows.count == names.count else {
            throw error(["copula", "rank_correlation"], "must be a \(names.count)×\(names.count) matrix")
        }
        var matrix: [[Double]] = []
        for (i, row) in rows.enumerated() {
            guard let r = try numbers(row, at: ["copula", "rank_correlation", String(i + 1)]), r.count == names.count else {
                throw error(["copula", "rank_correlation"], "must be a \(names.count)×\(names.count) matrix")
            }
            matrix.append(r)
        }
        for i in matrix.indices {
            guard matrix[i][i] == 1 else { throw error(["copula", "rank_correlation"], "diagonal entries must be 1") }
            for j in matrix.indices {
                guard matrix[i][j] == matrix[j][i], abs(matrix[i][j]) <= 1 else {
                    throw error(["copula", "rank_correlation"], "must be symmetric with entries in [-1, 1]")
                }
            }
        }
        let pearson = matrix.map { $0.map { 2 * sin(Double.pi * $0 / 6) } }
        guard let l = cholesky(pearson) else {
            throw error(["copula", "rank_correlation"], "is not positive definite (no such joint distribution exists)")
        }
        return CopulaSpec(inputs: names, rankCorrelation: matrix, cholesky: l)
    }
}

/// Lower Cholesky factor, or nil when the matrix is not positive definite.
func cholesky(_ a: [[Double]]) -> [[Double]]? {
    let n = a.count
    var l = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
    for i in 0..<n {
        for j in 0...i {
            var sum = a[i][j]
            for k in 0..<j { sum -= l[i][k] * l[j][k] }
            if i == j {
                guard sum > 1e-12 else { return nil }
                l[i][i] = sum.squareRoot()
            } else {
                l[i][j] = sum / l[j][j]
            }
        }
    }
    return l
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var row = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var previous = row[0]
        row[0] = i
        for j in 1...max(b.count, 1) where !b.isEmpty {
            let temp = row[j]
            row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
            previous = temp
        }
    }
    return row[b.count]
}
