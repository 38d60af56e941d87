import CGSL
import Foundation
import MeekEngine
import MeekPriors

/// Where a result came from: enough to rerun it and to refuse mixing it with another.
public struct Provenance: Sendable {
    public var command: String
    public var priorFile: String
    public var priorSHA256: String
    public var dataFiles: [(file: String, sha256: String)]
    public var seed: UInt64
    public var sampler: SamplerKind
    public var draws: Int
    public var threads: Int
    public var blockSize: Int
    public var wallSeconds: Double
    public var toolVersion = MeekVersion.string
    public var gslVersion = String(cString: meek_gsl_version())

    public init(result: RunResult, command: String) {
        let c = result.configuration
        self.command = command
        priorFile = c.prior.path
        priorSHA256 = c.prior.sha256
        var seen = Set<String>()
        dataFiles = c.prior.scenarios.flatMap(\.tables).compactMap { t in
            seen.insert(t.file).inserted ? (t.file, t.sha256) : nil
        }
        seed = c.seed
        sampler = c.sampler
        draws = c.draws
        threads = c.threads
        blockSize = RunConfiguration.blockSize
        wallSeconds = result.wallSeconds
    }

    var json: JSON {
        .object([
            ("tool", .string("meek")), ("version", .string(toolVersion)), ("gsl_version", .string(gslVersion)),
            ("command", .string(command)),
            ("prior_file", .string(priorFile)), ("prior_sha256", .string(priorSHA256)),
            ("data_files", .array(dataFiles.map { .object([("file", .string($0.file)), ("sha256", .string($0.sha256))]) })),
            ("seed", .unsigned(seed)), ("sampler", .string(sampler.rawValue)),
            ("generator", .string(sampler == .sobol ? "sobol" : Engine.generator)), ("draws", .int(draws)),
            ("block_size", .int(blockSize)), ("threads", .int(threads)), ("wall_seconds", .number(wallSeconds)),
        ])
    }
}

/// Renders a run's summary as Markdown (for reports), CSV (tidy: one statistic a row)
/// and JSON (with provenance).
public struct SummaryWriter {
    public let summary: RunSummary
    public let provenance: Provenance
    public let prior: PriorFile

    public init(summary: RunSummary, provenance: Provenance, prior: PriorFile) {
        self.summary = summary
        self.provenance = provenance
        self.prior = prior
    }

    var start: Double { prior.run.startYear }

    /// The files of a run's set in its output folder (`OutputSet`'s `owns`).
    public static let files = ["summary.md", "summary.csv", "summary.json", "draws.npy"]

    /// Adds summary.md, summary.csv and summary.json to `set` (all three rendered first).
    public func write(to set: OutputSet) throws(OutputSet.Failure) {
        let files = [("summary.md", markdown()), ("summary.csv", csv()), ("summary.json", json().rendered())]
        for (name, text) in files { try set.write(text, to: name) }
    }

    // MARK: Markdown

    public func markdown() -> String {
        var out = "# meek run: \(prior.path)\n\n"
        if let title = prior.title { out += "\(title)\n\n" }
        out += "| | |\n|---|---|\n"
        out += "| prior file | `\(prior.path)` (sha256 `\(provenance.priorSHA256.prefix(12))…`) |\n"
        for d in provenance.dataFiles { out += "| data file | `\(d.file)` (sha256 `\(d.sha256.prefix(12))…`) |\n" }
        out += "| draws | \(grouped(provenance.draws)) (\(provenance.sampler.rawValue) sampler\(provenance.sampler == .sobol ? "" : " on GSL's \(Engine.generator)"), seed \(provenance.seed), blocks of \(provenance.blockSize)) |\n"
        out += "| run | \(provenance.threads) thread\(provenance.threads == 1 ? "" : "s"), \(String(format: "%.2f", provenance.wallSeconds)) s; meek \(provenance.toolVersion), GSL \(provenance.gslVersion) |\n"
        out += "| start year | \(formatShort(start)) (times are years after it) |\n"
        if summary.scenarioCounts.count > 1 {
            let parts = summary.scenarioCounts.map { "\($0.name): \(grouped($0.draws)) draws" }
            out += "| scenarios | \(parts.joined(separator: "; ")) |\n"
        }
        let main = prior.run.credibleLevels.last ?? 0.9
        let level = pct(main)
        out += "\n## Results\n\n"
        out += "| metric | unit | median | \(level) interval (equal-tailed) | \(level) HDI | mean ± sd | never | no lead |\n"
        out += "|---|---|---|---|---|---|---|---|\n"
        for m in summary.metrics {
            let et = m.equalTailed.first { $0.level == main }
            let hd = m.highestDensity.first { $0.level == main }
            let median = m.quantiles.first { $0.q == 0.5 }?.value ?? quantileEstimate(m, 0.5)
            out += "| \(m.label) | \(m.unit) | \(fmt(median)) | \(range(et?.low, et?.high)) | \(range(hd?.low, hd?.high)) | \(meanText(m)) | \(share(m.neverShare)) | \(share(m.noLeadShare)) |\n"
        }
        let times = summary.metrics.filter(\.isTime)
        if !times.isEmpty {
            out += "\n## In calendar years\n\n| metric | median | \(level) interval | " + prior.run.convergeBy.map { "P(by \(formatShort($0)))" }.joined(separator: " | ") + " |\n"
            out += "|---|---|---|" + prior.run.convergeBy.map { _ in "---|" }.joined() + "\n"
            for m in times {
                let et = m.equalTailed.first { $0.level == main }
                let median = quantileEstimate(m, 0.5)
                out += "| \(m.label) | \(year(median)) | \(year(et?.low)) – \(year(et?.high)) | " + m.byYear.map { share($0.probability) }.joined(separator: " | ") + " |\n"
            }
        }
        out += "\n## Quantiles (± Monte Carlo standard error)\n\n| metric | " + prior.run.quantiles.map { "q\(pctNumber($0))" }.joined(separator: " | ") + " |\n"
        out += "|---|" + prior.run.quantiles.map { _ in "---|" }.joined() + "\n"
        for m in summary.metrics {
            out += "| \(m.label) | " + m.quantiles.map { q in
                q.mcse.map { "\(fmt(q.value)) ± \(sig($0, 2))" } ?? fmt(q.value)
            }.joined(separator: " | ") + " |\n"
        }
        if !summary.inputs.isEmpty {
            let inputDraws = summary.inputs[0].draws
            let scope = inputDraws < provenance.draws ? " (the first \(grouped(inputDraws)) draws)" : ""
            out += "\n## Uncertain inputs as drawn\(scope)\n\n| input | " + prior.run.quantiles.map { "q\(pctNumber($0))" }.joined(separator: " | ") + " | mean | sd |\n"
            out += "|---|" + prior.run.quantiles.map { _ in "---|" }.joined() + "---|---|\n"
            for m in summary.inputs {
                out += "| \(m.id) | " + m.quantiles.map { fmt($0.value) }.joined(separator: " | ")
                    + " | \(m.mean.map { sig($0, 4) } ?? "–") | \(m.sd.map { sig($0, 3) } ?? "–") |\n"
            }
        }
        out += "\n## Notes\n\n"
        out += "- *never*: share of the draws with a SOTA lead in which the event does not happen; quantiles count it as later than any year, so a quantile can be *never*. *no lead*: share of all draws in which the SOTA model never leads (excluded from the other columns).\n"
        if (summary.metrics + summary.inputs).contains(where: { m in [m.mean, m.sd].contains { $0.map { !$0.isFinite } ?? false } }) {
            out += "- \(NumberText.notFinite): not a finite number in double precision (the sum of squares of values above about 1e154 overflows); summary.json has null there.\n"
        }
        if summary.metrics.contains(where: \.heavyTailed) {
            out += "- † unstable mean: convergence and parity times have no finite mean or variance under lognormal priors (shared progress can come close to zero); the mean shown is of the finite draws and will not settle as draws grow. Read the quantiles.\n"
        }
        out += "- HDI: highest-density interval, the shortest interval holding the stated share of draws. Quantiles are resolved to 1.2e-4 relative (the inputs as drawn to 3.9e-3; exact when a value takes at most 8 distinct values); the ± column is the Monte Carlo standard error.\n"
        return out
    }

    private func quantileEstimate(_ m: MetricSummary, _ q: Double) -> Estimate {
        m.quantiles.first { $0.q == q }?.value ?? .never
    }

    private func meanText(_ m: MetricSummary) -> String {
        guard let mean = m.mean else { return "–" }
        let sd = m.sd.map { " ± \(sig($0, 3))" } ?? ""
        return "\(sig(mean, 4))\(sd)\(m.heavyTailed ? " †" : "")"
    }

    // MARK: CSV

    public func csv() -> String {
        var out = "metric,unit,statistic,value\n"
        func row(_ m: MetricSummary, _ stat: String, _ value: String) {
            out += "\(m.id),\(m.unit),\(stat),\(value)\n"
        }
        for m in summary.metrics + summary.inputs {
            row(m, "draws", String(m.draws))
            row(m, "lead_draws", String(m.lead))
            row(m, "never_share", number(m.neverShare))
            row(m, "no_lead_share", number(m.noLeadShare))
            if let mean = m.mean { row(m, m.heavyTailed ? "mean_unstable" : "mean", number(mean)) }
            if let sd = m.sd { row(m, m.heavyTailed ? "sd_unstable" : "sd", number(sd)) }
            for q in m.quantiles {
                row(m, "q\(formatShort(q.q))", csvValue(q.value))
                if let e = q.mcse { row(m, "q\(formatShort(q.q))_mcse", number(e)) }
            }
            for ci in m.equalTailed {
                row(m, "eti\(formatShort(ci.level))_low", csvValue(ci.low))
                row(m, "eti\(formatShort(ci.level))_high", csvValue(ci.high))
            }
            for ci in m.highestDensity {
                row(m, "hdi\(formatShort(ci.level))_low", csvValue(ci.low))
                row(m, "hdi\(formatShort(ci.level))_high", csvValue(ci.high))
            }
            for b in m.byYear { row(m, "p_by_\(formatShort(b.year))", number(b.probability)) }
        }
        return out
    }

    private func csvValue(_ e: Estimate) -> String { e.value.map(number) ?? "never" }
    private func number(_ x: Double) -> String { NumberText.csv(x) }

    // MARK: JSON

    public func json() -> JSON {
        func estimate(_ e: Estimate) -> JSON { e.value.map(JSON.number) ?? .string("never") }
        func metric(_ m: MetricSummary) -> JSON {
            var fields: [(String, JSON)] = [
                ("id", .string(m.id)), ("label", .string(m.label)), ("unit", .string(m.unit)),
                ("draws", .int(m.draws)), ("lead_draws", .int(m.lead)), ("never", .int(m.never)), ("no_lead", .int(m.noLead)),
                ("never_share", .number(m.neverShare)), ("no_lead_share", .number(m.noLeadShare)),
                ("mean", m.mean.map(JSON.number) ?? .null), ("sd", m.sd.map(JSON.number) ?? .null),
                ("mean_unstable", .bool(m.heavyTailed)),
                ("min", m.minimum.map(JSON.number) ?? .null), ("max", m.maximum.map(JSON.number) ?? .null),
                ("quantiles_exact", .bool(m.exact)),
            ]
            // Statistics that are not finite in double precision are null; this field says which.
            let notFinite = [("mean", m.mean), ("sd", m.sd), ("min", m.minimum), ("max", m.maximum)]
                .filter { $0.1.map { !$0.isFinite } ?? false }.map { JSON.string($0.0) }
            if !notFinite.isEmpty { fields.append(("not_finite", .array(notFinite))) }
            fields += [
                ("quantiles", .array(m.quantiles.map { q in
                    var row: [(String, JSON)] = [("q", .number(q.q)), ("value", estimate(q.value))]
                    if m.isTime { row.append(("year", q.value.value.map { .number(start + $0) } ?? .string("never"))) }
                    row.append(("mcse", q.mcse.map(JSON.number) ?? .null))
                    return .object(row)
                })),
                ("equal_tailed", .array(m.equalTailed.map {
                    .object([("level", .number($0.level)), ("low", estimate($0.low)), ("high", estimate($0.high))])
                })),
                ("highest_density", .array(m.highestDensity.map {
                    .object([("level", .number($0.level)), ("low", estimate($0.low)), ("high", estimate($0.high))])
                })),
            ]
            if let d = m.distribution {
                fields.append(("distribution", .object([
                    ("edges", .array(d.edges.map(JSON.number))), ("counts", .array(d.counts.map(JSON.number))),
                    ("beyond", .number(d.beyond)),
                ])))
            }
            if m.isTime {
                fields.append(("by_year", .array(m.byYear.map { .object([("year", .number($0.year)), ("probability", .number($0.probability))]) })))
            }
            return .object(fields)
        }
        return .object([
            ("provenance", provenance.json),
            ("title", prior.title.map(JSON.string) ?? .null),
            ("settings", .object([
                ("start_year", .number(start)),
                ("quantiles", .array(prior.run.quantiles.map(JSON.number))),
                ("credible_levels", .array(prior.run.credibleLevels.map(JSON.number))),
                ("converge_by", .array(prior.run.convergeBy.map(JSON.number))),
            ])),
            ("scenarios", .array(summary.scenarioCounts.map { .object([("name", .string($0.name)), ("draws", .int($0.draws))]) })),
            ("metrics", .array(summary.metrics.map(metric))),
            ("inputs", .array(summary.inputs.map(metric))),
        ])
    }

    // MARK: Formatting

    func fmt(_ e: Estimate?) -> String {
        guard let e else { return "–" }
        return e.value.map { sig($0, 4) } ?? "never"
    }

    func year(_ e: Estimate?) -> String {
        guard let e else { return "–" }
        return e.value.map { String(format: "%.1f", start + $0) } ?? "never"
    }

    func range(_ a: Estimate?, _ b: Estimate?) -> String { "\(fmt(a)) – \(fmt(b))" }
    func share(_ x: Double) -> String { x == 0 ? "0" : shareText(x) }
    func pct(_ level: Double) -> String { "\(pctNumber(level))%" }
    func pctNumber(_ level: Double) -> String { formatShort((level * 1000).rounded() / 10) }
}

/// `x` to `digits` significant digits.
public func sig(_ x: Double, _ digits: Int) -> String { NumberText.significant(x, digits) }

/// 1234567 → "1,234,567".
public func grouped(_ n: Int) -> String {
    let digits = String(n)
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0, (digits.count - i) % 3 == 0 { out += "," }
        out.append(c)
    }
    return out
}

/// A share (> 0) as a percentage: two significant figures below 0.1%, else one decimal.
func shareText(_ x: Double) -> String {
    x < 0.001 ? String(format: "%.2g%%", x * 100) : String(format: "%.1f%%", x * 100)
}
