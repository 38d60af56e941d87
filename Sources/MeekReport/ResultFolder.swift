import Foundation

/// A results folder as `meek run` (and `meek sensitivity`) left it: read back from
/// `summary.json` (required) and `sensitivity.json` (optional) for reports.
public struct ResultFolder: Sendable {
    public struct Metric: Sendable {
        public var id: String
        public var label: String
        public var unit: String
        public var isTime: Bool
        public var draws: Int
        public var lead: Int
        public var neverShare: Double
        public var noLeadShare: Double
        public var quantiles: [(q: Double, value: Double?)]
        public var equalTailed: [(level: Double, low: Double?, high: Double?)]
        public var edges: [Double]
        public var counts: [Double]
        public var beyond: Double

        public func quantile(_ q: Double) -> Double? { quantiles.first { abs($0.q - q) < 1e-12 }?.value }
    }

    public struct SensitivityMetric: Sendable {
        public var id: String
        public var unit: String
        public var transform: String?
        public var sobol: [(factor: String, s1: Double, s1Low: Double, s1High: Double, st: Double, stLow: Double, stHigh: Double)]
        public var tornadoBase: Double?
        /// +∞ for "never", −∞ for "no lead".
        public var tornado: [(factor: String, low: Double, high: Double)]
    }

    public struct Sensitivity: Sendable {
        public var baseSize: Int
        public var bootstrap: Int
        public var level: Double
        public var seed: UInt64
        public var priorSHA256: String
        public var metrics: [SensitivityMetric]
    }

    public var path: String
    public var title: String?
    public var priorFile: String
    public var priorSHA256: String
    public var seed: UInt64
    public var sampler: String
    public var draws: Int
    public var version: String
    public var startYear: Double
    public var metrics: [Metric]
    public var inputs: [Metric]
    public var sensitivity: Sensitivity?
    /// The files as read, for the report's provenance section.
    public var summaryText: String

    public var name: String { title ?? URL(fileURLWithPath: path).lastPathComponent }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var file: String
        public var message: String
        public var description: String { "\(file): \(message)" }
    }

    /// The largest summary.json or sensitivity.json read (meek writes well under 1 MB).
    static let maximumFileBytes = 64 << 20
    /// The most entries of any list read (quantiles, intervals, histogram bins, factors).
    static let maximumListCount = 100_000
    /// The calendar years a report can draw on its axes.
    static let startYears = -1e6...1e6

    public init(path: String) throws(Failure) {
        self.path = path
        let summaryPath = path + "/summary.json"
        guard let data = try Self.contents(summaryPath) else {
            throw Failure(file: summaryPath, message: "not found; run `meek run PRIORS --out \(path)` first")
        }
        summaryText = String(decoding: data, as: UTF8.self)
        let root = try Self.object(data, file: summaryPath)
        let reader = Reader(file: summaryPath)
        let provenance = try reader.object(root, "provenance")
        priorFile = try reader.string(provenance, "prior_file", in: "provenance")
        priorSHA256 = try reader.string(provenance, "prior_sha256", in: "provenance")
        seed = try reader.unsigned(provenance, "seed", in: "provenance")
        sampler = try reader.string(provenance, "sampler", in: "provenance")
        draws = try reader.int(provenance, "draws", in: "provenance", 1...Reader.maximumInteger)
        version = try reader.string(provenance, "version", in: "provenance")
        title = root["title"] as? String
        let settings = try reader.object(root, "settings")
        startYear = try reader.number(settings, "start_year", in: "settings", Self.startYears)
        let runDraws = draws
        metrics = try (reader.array(root, "metrics")).enumerated().map { i, m throws(Failure) in
            try reader.metric(m, at: "metrics[\(i)]", runDraws: runDraws)
        }
        inputs = try (reader.array(root, "inputs")).enumerated().map { i, m throws(Failure) in
            try reader.metric(m, at: "inputs[\(i)]", runDraws: runDraws)
        }

        let sensitivityPath = path + "/sensitivity.json"
        if let data = try Self.contents(sensitivityPath) {
            let root = try Self.object(data, file: sensitivityPath)
            let r = Reader(file: sensitivityPath)
            let p = try r.object(root, "provenance")
            var list: [SensitivityMetric] = []
            for (i, m) in try r.array(root, "metrics").enumerated() {
                let at = "metrics[\(i)]"
                var sobol: [(String, Double, Double, Double, Double, Double, Double)] = []
                // An index that is not defined (a metric without variance) is null: the metric
                // then has no Sobol' chart, as when the indices were not computed.
                let fields = ["S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"]
                if m["sobol"] != nil {
                    let rows = try r.array(m, "sobol", in: at)
                    let defined = !rows.contains { row in fields.contains { row[$0] is NSNull } }
                    for (j, s) in rows.enumerated() where defined {
                        let a = "\(at).sobol[\(j)]"
                        let index = -1e3...1e3  // Sobol' estimates stray outside [0, 1] by Monte Carlo error only
                        sobol.append((try r.string(s, "factor", in: a), try r.number(s, "S1", in: a, index), try r.number(s, "S1_low", in: a, index),
                                      try r.number(s, "S1_high", in: a, index), try r.number(s, "ST", in: a, index),
                                      try r.number(s, "ST_low", in: a, index), try r.number(s, "ST_high", in: a, index)))
                    }
                }
                var tornado: [(String, Double, Double)] = []
                for (j, t) in try r.array(m, "tornado", in: at).enumerated() {
                    let a = "\(at).tornado[\(j)]"
                    tornado.append((try r.string(t, "factor", in: a), try r.outcome(t, "low", in: a), try r.outcome(t, "high", in: a)))
                }
                let base = m["tornado_base"] == nil ? nil : try r.outcome(m, "tornado_base", in: at)
                list.append(SensitivityMetric(id: try r.string(m, "id", in: at), unit: try r.string(m, "unit", in: at),
                                              transform: m["transform"] as? String, sobol: sobol, tornadoBase: base, tornado: tornado))
            }
            sensitivity = Sensitivity(baseSize: try r.int(p, "base_size", in: "provenance", 1...Reader.maximumInteger),
                                      bootstrap: try r.int(p, "bootstrap", in: "provenance", 1...Reader.maximumInteger),
                                      level: try r.number(p, "level", in: "provenance", 0...1), seed: try r.unsigned(p, "seed", in: "provenance"),
                                      priorSHA256: try r.string(p, "prior_sha256", in: "provenance"), metrics: list)
        }
    }

    /// The file's bytes (nil when there is none), refusing one too large to be meek's.
    static func contents(_ file: String) throws(Failure) -> Data? {
        var info = stat()
        guard stat(file, &info) == 0 else { return nil }
        guard info.st_size <= maximumFileBytes else {
            throw Failure(file: file, message: "\(info.st_size) bytes, more than meek writes (at most \(maximumFileBytes)); not a meek result")
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw Failure(file: file, message: "cannot read: \(String(cString: strerror(errno)))")
        }
        return data
    }

    static func object(_ data: Data, file: String) throws(Failure) -> [String: Any] {
        do {
            guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw Failure(file: file, message: "not a JSON object")
            }
            return root
        } catch let f as Failure {
            throw f
        } catch {
            throw Failure(file: file, message: "not valid JSON (\(error.localizedDescription)); was it written by meek?")
        }
    }

    /// Typed access with errors naming the file and key.
    struct Reader {
        let file: String
        func fail(_ key: String, _ what: String) -> Failure { Failure(file: file, message: "\(key): \(what)") }
        func object(_ o: [String: Any], _ key: String, in parent: String? = nil) throws(Failure) -> [String: Any] {
            guard let v = o[key] as? [String: Any] else { throw fail(path(parent, key), "missing or not an object") }
            return v
        }
        func array(_ o: [String: Any], _ key: String, in parent: String? = nil) throws(Failure) -> [[String: Any]] {
            guard let v = o[key] as? [[String: Any]] else { throw fail(path(parent, key), "missing or not a list of objects") }
            guard v.count <= ResultFolder.maximumListCount else {
                throw fail(path(parent, key), "\(v.count) entries, more than \(ResultFolder.maximumListCount)")
            }
            return v
        }
        func string(_ o: [String: Any], _ key: String, in parent: String) throws(Failure) -> String {
            guard let v = o[key] as? String else { throw fail(path(parent, key), "missing or not a string") }
            return v
        }
        /// The largest count read (2^53: every integer up to it is exact in a double).
        static let maximumInteger = 1 << 53

        /// A JSON number (not a boolean), as parsed.
        func numeric(_ o: [String: Any], _ key: String, in parent: String) throws(Failure) -> NSNumber {
            guard let v = o[key] as? NSNumber, String(cString: v.objCType) != "c" else {
                throw fail(path(parent, key), "missing or not a number")
            }
            return v
        }
        /// A finite number in `range`.
        func number(_ o: [String: Any], _ key: String, in parent: String,
                    _ range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude) throws(Failure) -> Double {
            let v = try numeric(o, key, in: parent).doubleValue
            guard range.contains(v) else { throw fail(path(parent, key), "\(v) is outside \(range.lowerBound)…\(range.upperBound)") }
            return v
        }
        /// A whole number in `range`.
        func int(_ o: [String: Any], _ key: String, in parent: String, _ range: ClosedRange<Int>) throws(Failure) -> Int {
            let v = try numeric(o, key, in: parent)
            let x = v.doubleValue
            guard x == x.rounded(), abs(x) <= Double(Reader.maximumInteger), range.contains(v.intValue) else {
                throw fail(path(parent, key), "\(v.stringValue) is not a whole number in \(range.lowerBound)…\(range.upperBound)")
            }
            return v.intValue
        }
        /// A whole number in 0…2^64−1, read exactly (a seed: JSON integers are not doubles here).
        func unsigned(_ o: [String: Any], _ key: String, in parent: String) throws(Failure) -> UInt64 {
            let v = try numeric(o, key, in: parent)
            switch String(cString: v.objCType) {
            case "Q", "L", "I", "S", "C": return v.uint64Value
            case "q", "l", "i", "s": if v.int64Value >= 0 { return UInt64(v.int64Value) }
            default: break
            }
            throw fail(path(parent, key), "\(v.stringValue) is not a whole number in 0…\(UInt64.max)")
        }
        /// A number, or "never" (+∞) / "no lead" (−∞) / null (nil → NaN is refused).
        func outcome(_ o: [String: Any], _ key: String, in parent: String) throws(Failure) -> Double {
            if let s = o[key] as? String {
                if s == "never" { return .infinity }
                if s == "no lead" { return -.infinity }
                throw fail(path(parent, key), "\"\(s)\" is neither a number, \"never\" nor \"no lead\"")
            }
            return try number(o, key, in: parent)
        }
        func optionalValue(_ o: [String: Any], _ key: String, in parent: String) throws(Failure) -> Double? {
            if let s = o[key] as? String, s == "never" { return nil }
            if o[key] is NSNull { return nil }
            return try number(o, key, in: parent)
        }
        func path(_ parent: String?, _ key: String) -> String { parent.map { "\($0).\(key)" } ?? key }

        /// A list of finite numbers of at most `maximumListCount` entries.
        func numbers(_ o: [String: Any], _ key: String, in parent: String) throws(Failure) -> [Double] {
            guard let list = o[key] as? [Any] else { throw fail(path(parent, key), "missing or not a list of numbers") }
            guard list.count <= ResultFolder.maximumListCount else {
                throw fail(path(parent, key), "\(list.count) entries, more than \(ResultFolder.maximumListCount)")
            }
            var out: [Double] = []
            for (i, item) in list.enumerated() { out.append(try number(["v": item], "v", in: path(parent, key) + "[\(i)]")) }
            return out
        }

        /// One metric's statistics, each checked against the run's `runDraws` draws.
        func metric(_ m: [String: Any], at: String, runDraws: Int) throws(Failure) -> Metric {
            let unit = try string(m, "unit", in: at)
            var quantiles: [(Double, Double?)] = []
            for (j, q) in try array(m, "quantiles", in: at).enumerated() {
                let a = "\(at).quantiles[\(j)]"
                quantiles.append((try number(q, "q", in: a, 0...1), try optionalValue(q, "value", in: a)))
            }
            var intervals: [(Double, Double?, Double?)] = []
            for (j, q) in try array(m, "equal_tailed", in: at).enumerated() {
                let a = "\(at).equal_tailed[\(j)]"
                intervals.append((try number(q, "level", in: a, 0...1), try optionalValue(q, "low", in: a), try optionalValue(q, "high", in: a)))
            }
            let draws = try int(m, "draws", in: at, 0...runDraws)
            let lead = try int(m, "lead_draws", in: at, 0...draws)
            var edges: [Double] = [], counts: [Double] = [], beyond = 0.0
            if m["distribution"] != nil {
                let a = "\(at).distribution"
                let d = try object(m, "distribution", in: at)
                edges = try numbers(d, "edges", in: a)
                counts = try numbers(d, "counts", in: a)
                beyond = try number(d, "beyond", in: a, 0...Double(lead))
                guard edges.count >= 2, edges.count == counts.count + 1 else {
                    throw fail(a + ".edges", "\(edges.count) edges for \(counts.count) counts (needs counts + 1, at least 2)")
                }
                if let i = edges.indices.dropFirst().first(where: { !(edges[$0] > edges[$0 - 1]) }) {
                    throw fail(a + ".edges[\(i)]", "\(edges[i]) does not increase on \(edges[i - 1])")
                }
                if let i = counts.firstIndex(where: { $0 < 0 }) { throw fail(a + ".counts[\(i)]", "\(counts[i]) is negative") }
                let total = counts.reduce(0, +) + beyond
                guard total <= Double(lead) * (1 + 1e-9) + 1 else {
                    throw fail(a + ".counts", "the counts and beyond add up to \(total), more than the \(lead) lead draws")
                }
            }
            return Metric(id: try string(m, "id", in: at), label: try string(m, "label", in: at), unit: unit,
                          isTime: unit == "years after start", draws: draws,
                          lead: lead, neverShare: try number(m, "never_share", in: at, 0...1),
                          noLeadShare: try number(m, "no_lead_share", in: at, 0...1), quantiles: quantiles, equalTailed: intervals,
                          edges: edges, counts: counts, beyond: beyond)
        }
    }
}
