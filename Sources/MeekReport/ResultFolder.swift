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
        public var seed: Int
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

    public init(path: String) throws(Failure) {
        self.path = path
        let summaryPath = path + "/summary.json"
        guard let data = FileManager.default.contents(atPath: summaryPath) else {
            throw Failure(file: summaryPath, message: "not found; run `meek run PRIORS --out \(path)` first")
        }
        summaryText = String(decoding: data, as: UTF8.self)
        let root = try Self.object(data, file: summaryPath)
        var reader = Reader(file: summaryPath)
        let provenance = try reader.object(root, "provenance")
        priorFile = try reader.string(provenance, "prior_file", in: "provenance")
        priorSHA256 = try reader.string(provenance, "prior_sha256", in: "provenance")
        seed = UInt64(try reader.int(provenance, "seed", in: "provenance"))
        sampler = try reader.string(provenance, "sampler", in: "provenance")
        draws = try reader.int(provenance, "draws", in: "provenance")
        version = try reader.string(provenance, "version", in: "provenance")
        title = root["title"] as? String
        let settings = try reader.object(root, "settings")
        startYear = try reader.number(settings, "start_year", in: "settings")
        metrics = try (reader.array(root, "metrics")).enumerated().map { i, m throws(Failure) in try reader.metric(m, at: "metrics[\(i)]") }
        inputs = try (reader.array(root, "inputs")).enumerated().map { i, m throws(Failure) in try reader.metric(m, at: "inputs[\(i)]") }

        let sensitivityPath = path + "/sensitivity.json"
        if let data = FileManager.default.contents(atPath: sensitivityPath) {
            let root = try Self.object(data, file: sensitivityPath)
            var r = Reader(file: sensitivityPath)
            let p = try r.object(root, "provenance")
            var list: [SensitivityMetric] = []
            for (i, m) in try r.array(root, "metrics").enumerated() {
                let at = "metrics[\(i)]"
                var sobol: [(String, Double, Double, Double, Double, Double, Double)] = []
                if let rows = m["sobol"] as? [[String: Any]] {
                    for (j, s) in rows.enumerated() {
                        let a = "\(at).sobol[\(j)]"
                        sobol.append((try r.string(s, "factor", in: a), try r.number(s, "S1", in: a), try r.number(s, "S1_low", in: a),
                                      try r.number(s, "S1_high", in: a), try r.number(s, "ST", in: a), try r.number(s, "ST_low", in: a),
                                      try r.number(s, "ST_high", in: a)))
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
            sensitivity = Sensitivity(baseSize: try r.int(p, "base_size", in: "provenance"), bootstrap: try r.int(p, "bootstrap", in: "provenance"),
                                      level: try r.number(p, "level", in: "provenance"), seed: try r.int(p, "seed", in: "provenance"),
                                      priorSHA256: try r.string(p, "prior_sha256", in: "provenance"), metrics: list)
        }
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
            return v
        }
        func string(_ o: [String: Any], _ key: String, in parent: String) throws(Failure) -> String {
            guard let v = o[key] as? String else { throw fail(path(parent, key), "missing or not a string") }
            return v
        }
        func number(_ o: [String: Any], _ key: String, in parent: String) throws(Failure) -> Double {
            guard let v = o[key] as? NSNumber else { throw fail(path(parent, key), "missing or not a number") }
            return v.doubleValue
        }
        func int(_ o: [String: Any], _ key: String, in parent: String) throws(Failure) -> Int {
            let v = try number(o, key, in: parent)
            guard v == v.rounded(), abs(v) < 9e15 else { throw fail(path(parent, key), "not an integer") }
            return Int(v)
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

        func metric(_ m: [String: Any], at: String) throws(Failure) -> Metric {
            let unit = try string(m, "unit", in: at)
            var quantiles: [(Double, Double?)] = []
            for (j, q) in try array(m, "quantiles", in: at).enumerated() {
                let a = "\(at).quantiles[\(j)]"
                quantiles.append((try number(q, "q", in: a), try optionalValue(q, "value", in: a)))
            }
            var intervals: [(Double, Double?, Double?)] = []
            for (j, q) in try array(m, "equal_tailed", in: at).enumerated() {
                let a = "\(at).equal_tailed[\(j)]"
                intervals.append((try number(q, "level", in: a), try optionalValue(q, "low", in: a), try optionalValue(q, "high", in: a)))
            }
            var edges: [Double] = [], counts: [Double] = [], beyond = 0.0
            if let d = m["distribution"] as? [String: Any] {
                let a = "\(at).distribution"
                guard let e = d["edges"] as? [NSNumber], let c = d["counts"] as? [NSNumber], e.count == c.count + 1 else {
                    throw fail(a, "edges and counts missing or of mismatched lengths")
                }
                edges = e.map(\.doubleValue)
                counts = c.map(\.doubleValue)
                beyond = try number(d, "beyond", in: a)
            }
            return Metric(id: try string(m, "id", in: at), label: try string(m, "label", in: at), unit: unit,
                          isTime: unit == "years after start", draws: try int(m, "draws", in: at),
                          lead: try int(m, "lead_draws", in: at), neverShare: try number(m, "never_share", in: at),
                          noLeadShare: try number(m, "no_lead_share", in: at), quantiles: quantiles, equalTailed: intervals,
                          edges: edges, counts: counts, beyond: beyond)
        }
    }
}
