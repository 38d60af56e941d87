import CGSL
import Foundation
import MeekEngine
import MeekPriors
import MeekSensitivity

/// Renders a sensitivity analysis as Markdown, CSV (one value a row) and JSON (with
/// provenance), written as one `OutputSet`.
public struct SensitivityWriter {
    public let analysis: SensitivityAnalysis
    public let prior: PriorFile
    public let command: String
    public let wallSeconds: Double
    /// Factors to report (all when nil).
    public let only: Set<String>?

    public init(analysis: SensitivityAnalysis, prior: PriorFile, command: String, wallSeconds: Double, only: Set<String>? = nil) {
        self.analysis = analysis
        self.prior = prior
        self.command = command
        self.wallSeconds = wallSeconds
        self.only = only
    }

    var factorIndices: [Int] {
        analysis.factors.indices.filter { only == nil || only!.contains(analysis.factors[$0].name) }
    }

    var inputIndices: [Int] {
        analysis.inputs.indices.filter { only == nil || only!.contains(analysis.inputs[$0]) }
    }

    /// The files of a sensitivity analysis in its output folder (`OutputSet`'s `owns`).
    public static let files = ["sensitivity.md", "sensitivity.csv", "sensitivity.json"]

    /// Adds sensitivity.md, .csv and .json to `set` (all three rendered first).
    public func write(to set: OutputSet) throws(OutputSet.Failure) {
        let files = [("sensitivity.md", markdown()), ("sensitivity.csv", csv()), ("sensitivity.json", json().rendered())]
        for (name, text) in files { try set.write(text, to: name) }
    }

    func pct(_ x: Double) -> String { x.isFinite ? String(format: "%.3f", x) : NumberText.notFinite }

    public func markdown() -> String {
        let a = analysis
        var out = "# meek sensitivity: \(prior.path)\n\n"
        out += "| | |\n|---|---|\n"
        out += "| prior file | `\(prior.path)` (sha256 `\(prior.sha256.prefix(12))…`) |\n"
        out += "| Sobol' indices | Saltelli design on GSL's Sobol' sequence, base N = \(grouped(a.baseSize)) (\(grouped(a.baseSize * (a.factors.count + 2))) model runs); first order: Saltelli et al. (2010); total: Jansen (1999); \(Int(a.level * 100))% percentile bootstrap intervals, \(grouped(a.bootstrap)) resamples, seed \(a.seed) |\n"
        out += "| rank correlations | Spearman and partial rank correlation (PRCC) on \(grouped(a.rankDraws)) plain Monte Carlo draws |\n"
        out += "| tornado | each factor at its 5th and 95th percentile, the others at their medians |\n"
        out += "| run | \(String(format: "%.2f", wallSeconds)) s; meek \(MeekVersion.string), GSL \(String(cString: meek_gsl_version())) |\n"
        for r in a.results {
            out += "\n## \(r.metric.label) (\(r.metric.unit))\n\n"
            if let t = r.transform { out += "Variance-based indices computed on \(t).\n\n" }
            if let s = r.sobol {
                out += "| factor | first order S | \(Int(a.level * 100))% interval | total ST | \(Int(a.level * 100))% interval | tornado low → high | swing |\n"
                out += "|---|---|---|---|---|---|---|\n"
                let rows = factorIndices.sorted { s.total[$0].estimate > s.total[$1].estimate }
                for f in rows {
                    let t = r.tornado.first { $0.factor == a.factors[f].name }!
                    out += "| \(a.factors[f].name) | \(pct(s.firstOrder[f].estimate)) | \(pct(s.firstOrder[f].low)) – \(pct(s.firstOrder[f].high)) | \(pct(s.total[f].estimate)) | \(pct(s.total[f].low)) – \(pct(s.total[f].high)) | \(value(t.low)) → \(value(t.high)) | \(t.swing.isFinite ? sig(t.swing, 3) : "never") |\n"
                }
            } else {
                out += "Variance-based indices: not computed (some draws have no SOTA lead).\n"
            }
            out += "\n| input | Spearman | PRCC |\n|---|---|---|\n"
            for i in inputIndices { out += "| \(a.inputs[i]) | \(pct(r.spearman[i])) | \(pct(r.prcc[i])) |\n" }
        }
        out += "\n## Notes\n\n" + a.notes.map { "- \($0)\n" }.joined()
        out += "- Total effects exceed first-order effects by the interactions a factor takes part in; first-order indices sum to at most 1 when factors are independent.\n"
        return out
    }

    func value(_ x: Double) -> String { x.isFinite ? sig(x, 4) : (x > 0 ? "never" : "no lead") }

    public func csv() -> String {
        var out = "metric,transform,factor,statistic,value\n"
        for r in analysis.results {
            let t = r.transform.map { "\"\($0)\"" } ?? ""
            if let s = r.sobol {
                for f in factorIndices {
                    let name = "\"\(analysis.factors[f].name)\""
                    out += "\(r.metric.id),\(t),\(name),S1,\(NumberText.csv(s.firstOrder[f].estimate))\n"
                    out += "\(r.metric.id),\(t),\(name),S1_low,\(NumberText.csv(s.firstOrder[f].low))\n"
                    out += "\(r.metric.id),\(t),\(name),S1_high,\(NumberText.csv(s.firstOrder[f].high))\n"
                    out += "\(r.metric.id),\(t),\(name),ST,\(NumberText.csv(s.total[f].estimate))\n"
                    out += "\(r.metric.id),\(t),\(name),ST_low,\(NumberText.csv(s.total[f].low))\n"
                    out += "\(r.metric.id),\(t),\(name),ST_high,\(NumberText.csv(s.total[f].high))\n"
                }
            }
            for f in factorIndices {
                let tor = r.tornado.first { $0.factor == analysis.factors[f].name }!
                out += "\(r.metric.id),,\"\(tor.factor)\",tornado_low,\(value(tor.low))\n"
                out += "\(r.metric.id),,\"\(tor.factor)\",tornado_high,\(value(tor.high))\n"
            }
            for i in inputIndices {
                out += "\(r.metric.id),,\(analysis.inputs[i]),spearman,\(NumberText.csv(r.spearman[i]))\n"
                out += "\(r.metric.id),,\(analysis.inputs[i]),prcc,\(NumberText.csv(r.prcc[i]))\n"
            }
        }
        return out
    }

    public func json() -> JSON {
        let a = analysis
        func number(_ x: Double) -> JSON { x.isFinite ? .number(x) : .string(x > 0 ? "never" : "no lead") }
        return .object([
            ("provenance", .object([
                ("tool", .string("meek")), ("version", .string(MeekVersion.string)), ("command", .string(command)),
                ("prior_file", .string(prior.path)), ("prior_sha256", .string(prior.sha256)),
                ("base_size", .int(a.baseSize)), ("bootstrap", .int(a.bootstrap)), ("level", .number(a.level)),
                ("rank_draws", .int(a.rankDraws)), ("seed", .unsigned(a.seed)), ("wall_seconds", .number(wallSeconds)),
            ])),
            ("factors", .array(factorIndices.map { f in
                .object([("name", .string(a.factors[f].name)), ("grouping", a.factors[f].grouping.map(JSON.string) ?? .null)])
            })),
            ("notes", .array(a.notes.map(JSON.string))),
            ("metrics", .array(a.results.map { r in
                var fields: [(String, JSON)] = [("id", .string(r.metric.id)), ("unit", .string(r.metric.unit)),
                                                ("transform", r.transform.map(JSON.string) ?? .null)]
                if let s = r.sobol {
                    fields.append(("sobol", .array(factorIndices.map { f in
                        .object([("factor", .string(a.factors[f].name)),
                                 ("S1", .number(s.firstOrder[f].estimate)), ("S1_low", .number(s.firstOrder[f].low)),
                                 ("S1_high", .number(s.firstOrder[f].high)), ("ST", .number(s.total[f].estimate)),
                                 ("ST_low", .number(s.total[f].low)), ("ST_high", .number(s.total[f].high))])
                    })))
                }
                fields.append(("tornado_base", number(r.tornadoBase)))
                fields.append(("tornado", .array(r.tornado.filter { t in only == nil || only!.contains(t.factor) }.map { t in
                    .object([("factor", .string(t.factor)), ("low", number(t.low)), ("high", number(t.high)), ("swing", number(t.swing))])
                })))
                fields.append(("rank_correlations", .array(inputIndices.map { i in
                    .object([("input", .string(a.inputs[i])), ("spearman", .number(r.spearman[i])), ("prcc", .number(r.prcc[i]))])
                })))
                return .object(fields)
            })),
        ])
    }
}
