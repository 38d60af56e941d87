import Foundation
import MeekEngine
import MeekPriors

/// A number the paper states, set beside what a run gives.
public struct Claim: Sendable {
    public var figure: String
    public var statement: String
    /// The run it is checked against (its title or folder name) and the metric's median.
    public var run: String
    public var metric: String
    public var paper: Double
    public var meek: Double?
    public var unit: String

    public init(figure: String, statement: String, run: String, metric: String, paper: Double, meek: Double?, unit: String) {
        self.figure = figure
        self.statement = statement
        self.run = run
        self.metric = metric
        self.paper = paper
        self.meek = meek
        self.unit = unit
    }
}

/// Several runs overlaid: their training gaps and SOTA budgets over time.
public struct Comparison: Sendable {
    public var title: String
    public var slug: String
    public var runs: [(name: String, training: TrajectoryBands, investment: TrajectoryBands)]
    /// The runs' prior files, draws and seeds, for the figures' caption.
    public var sources: String

    public init(title: String, slug: String, runs: [(name: String, training: TrajectoryBands, investment: TrajectoryBands)],
                sources: String) {
        self.title = title
        self.slug = slug
        self.runs = runs
        self.sources = sources
    }
}

/// A run's figures and its one-page report.
public struct Report {
    public var folder: ResultFolder
    /// Training, inference, benchmark (p = 1, 2, 5) and investment bands.
    public var trajectories: [TrajectoryBands]
    public var comparisons: [Comparison]
    public var claims: [Claim]
    /// Remarks set beside the paper's numbers: (figure, text).
    public var notes: [(figure: String, text: String)]

    public init(folder: ResultFolder, trajectories: [TrajectoryBands], comparisons: [Comparison] = [], claims: [Claim] = [],
                notes: [(figure: String, text: String)] = []) {
        self.folder = folder
        self.trajectories = trajectories
        self.comparisons = comparisons
        self.claims = claims
        self.notes = notes
    }

    /// The series every report traces.
    public static let series: [TrajectorySeries] = [.training, .inference, .benchmark(steps: 1), .benchmark(steps: 2),
                                                    .benchmark(steps: 5), .investment]

    public struct Figure {
        public var file: String
        public var title: String
        public var svg: String
        public var section: String
        /// What the reader should know beside it (method, paper's numbers).
        public var note: String?
    }

    var start: Double { folder.startYear }
    var traceDraws: Int { trajectories.first?.draws ?? 0 }

    /// "prior file, draws, seed" on every figure.
    var captionBase: String {
        "\(folder.priorFile) · \(grouped(folder.draws)) draws · seed \(folder.seed) · \(folder.sampler) · meek \(folder.version)"
    }

    func bands(_ s: TrajectorySeries) -> TrajectoryBands? { trajectories.first { $0.series == s } }

    /// Every figure of the report, in page order.
    public func figures() -> [Figure] {
        var out: [Figure] = []
        let trace = "pointwise quantiles of \(grouped(traceDraws)) draws"
        if let b = bands(.training) {
            out.append(Figure(file: "training-gap.svg", title: "Training loss gap over time (Fig. 1)",
                              svg: Figures.fan(b, startYear: start, title: "Training loss gap ΔL: SOTA vs. meek model",
                                               caption: "\(captionBase) · \(trace)", id: "fig-training-gap"),
                              section: "Trajectories", note: mcseNote(b)))
        }
        if let b = bands(.inference) {
            out.append(Figure(file: "inference-gap.svg", title: "Inference loss gap over time (Fig. 6)",
                              svg: Figures.fan(b, startYear: start, title: "Inference loss gap ΔL_inf (eq. 21) beside the training gap",
                                               caption: "\(captionBase) · \(trace)", id: "fig-inference-gap", color: Palette.color(2),
                                               reference: bands(.training)),
                              section: "Trajectories", note: mcseNote(b)))
        }
        let benchmark = Report.series.compactMap { s -> (String, TrajectoryBands)? in
            guard case .benchmark(let p) = s, let b = bands(s) else { return nil }
            return (p == 1 ? "MMLU (p = 1)" : "\(p)-step task (p = \(p))", b)
        }
        if !benchmark.isEmpty {
            out.append(Figure(file: "benchmark-gap.svg", title: "Benchmark gap over time (Fig. 2)",
                              svg: Figures.overlay(benchmark, startYear: start, title: "MMLU performance gap, tasks of p steps",
                                                   caption: "\(captionBase) · median and 80% band · \(trace)",
                                                   id: "fig-benchmark-gap", yLabel: "Benchmark gap (percentage points)"),
                              section: "Trajectories", note: benchmark.map { mcseNote($0.1) }.joined(separator: " ")))
        }
        if let b = bands(.investment) {
            out.append(Figure(file: "sota-investment.svg", title: "SOTA training budget (Fig. 9a)",
                              svg: Figures.fan(b, startYear: start, title: "SOTA lab's training budget",
                                               caption: "\(captionBase) · \(trace)", id: "fig-sota-investment", color: Palette.color(3)),
                              section: "Trajectories", note: nil))
        }
        for m in folder.metrics where m.isTime || m.id == "peak_gap" {
            let title = m.isTime ? "When: \(m.label)" : "How large: \(m.label)"
            if let svg = Figures.distribution(m, startYear: start, title: title.prefix(1).uppercased() + title.dropFirst(),
                                              caption: captionBase, id: "fig-dist-\(slug(m.id))") {
                out.append(Figure(file: "distribution-\(slug(m.id)).svg", title: "Distribution of \(m.label)", svg: svg,
                                  section: "Distributions", note: nil))
            }
        }
        if let s = folder.sensitivity {
            let sCaption = "\(folder.priorFile) · Saltelli design, base \(grouped(s.baseSize)) draws · bootstrap \(s.bootstrap) · seed \(s.seed)"
            for r in s.metrics {
                let metric = folder.metrics.first { $0.id == r.id }
                let label = metric?.label ?? r.id
                if let svg = Figures.tornado(r, label: label, unit: r.unit, startYear: start, title: "Tornado: \(label)",
                                             caption: sCaption, id: "fig-tornado-\(slug(r.id))") {
                    out.append(Figure(file: "tornado-\(slug(r.id)).svg", title: "Tornado: \(label)", svg: svg,
                                      section: "Sensitivity", note: nil))
                }
                if let svg = Figures.sobol(r, level: s.level, title: "Sobol' indices: \(label)", caption: sCaption,
                                           id: "fig-sobol-\(slug(r.id))") {
                    out.append(Figure(file: "sobol-\(slug(r.id)).svg", title: "Sobol' indices: \(label)", svg: svg,
                                      section: "Sensitivity", note: r.transform.map { "Indices of \($0)." }))
                }
            }
        }
        for c in comparisons {
            let runs = c.runs
            out.append(Figure(file: "compare-\(c.slug)-gap.svg", title: c.title,
                              svg: Figures.overlay(runs.map { ($0.name, $0.training) }, startYear: start, title: c.title,
                                                   caption: "\(c.sources) · median and 80% band",
                                                   id: "fig-compare-\(c.slug)-gap", yLabel: "Training loss gap ΔL (nats/token)"),
                              section: "Comparisons", note: nil))
            out.append(Figure(file: "compare-\(c.slug)-investment.svg", title: c.title + ": SOTA budgets",
                              svg: Figures.overlay(runs.map { ($0.name, $0.investment) }, startYear: start,
                                                   title: c.title + ": SOTA training budget",
                                                   caption: "\(c.sources) · median and 80% band",
                                                   id: "fig-compare-\(c.slug)-investment", yLabel: "SOTA training budget (USD)"),
                              section: "Comparisons", note: nil))
        }
        return out
    }

    func mcseNote(_ b: TrajectoryBands) -> String {
        "\(b.series.label): largest Monte Carlo standard error of a plotted quantile \(sig(b.largestMCSE, 2)) \(b.series.unit)."
    }

    /// The bands as a tidy CSV: series, year, level, value, mcse.
    public func trajectoriesCSV() -> String {
        var s = "series,unit,years_after_start,year,quantile,value,mcse\n"
        for b in trajectories {
            for (ti, t) in b.times.enumerated() {
                for (k, q) in TrajectoryBands.levels.enumerated() {
                    s += "\(b.series.id),\(b.series.unit),\(t),\(t + start),\(q),\(b.quantiles[k][ti]),\(b.mcse[k][ti])\n"
                }
            }
        }
        return s
    }

    /// The files of a report in its results folder (`OutputSet`'s `owns`).
    public static let files = ["figures", "trajectories.csv", "report.html"]

    /// Writes figures/*.svg, trajectories.csv and report.html into the results folder as
    /// one set, replacing the previous report's; returns the files written.
    @discardableResult
    public func write() throws(OutputSet.Failure) -> [String] {
        let figures = figures()
        let set = OutputSet(directory: folder.path, owns: Self.files)
        var written: [String] = []
        for f in figures {
            try set.write(f.svg, to: "figures/" + f.file)
            written.append("figures/" + f.file)
        }
        try set.write(trajectoriesCSV(), to: "trajectories.csv")
        try set.write(html(figures), to: "report.html")
        try set.commit()
        return written + ["trajectories.csv", "report.html"]
    }

    // MARK: HTML

    public func html(_ figures: [Figure]) -> String {
        let f = folder
        var h = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escapeXML(f.name)) — meek report</title>
        <style>
        body { font-family: Helvetica, Arial, sans-serif; color: #222; max-width: 1000px; margin: 2em auto; padding: 0 1em; line-height: 1.45; }
        h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
        .meta { color: #555; font-size: 0.92em; }
        table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
        th, td { border-bottom: 1px solid #ddd; padding: 0.3em 0.6em; text-align: right; vertical-align: top; }
        th:first-child, td:first-child, td.text, th.text { text-align: left; }
        thead th { border-bottom: 2px solid #888; }
        figure { margin: 1.5em 0; break-inside: avoid; page-break-inside: avoid; }
        figure svg { max-width: 100%; height: auto; display: block; }
        figcaption { font-size: 0.88em; color: #444; margin-top: 0.3em; }
        code { font-size: 0.92em; }
        .ok { color: #1a7f37; } .off { color: #b35900; }
        @media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; page-break-after: avoid; } a { color: inherit; text-decoration: none; } }
        </style>
        </head>
        <body>
        <h1>\(escapeXML(f.name))</h1>
        <p class="meta">Prior file <code>\(escapeXML(f.priorFile))</code> (SHA-256 <code>\(f.priorSHA256.prefix(16))…</code>) · \(grouped(f.draws)) draws · seed \(f.seed) · sampler \(escapeXML(f.sampler)) · meek \(escapeXML(f.version)) · times in calendar years, t = 0 at \(Int(start)).</p>

        """
        h += "<h2>Summary</h2>\n" + summaryTable(f.metrics)
        if !claims.isEmpty || !notes.isEmpty {
            h += "<h2>The paper's numbers</h2>\n" + (claims.isEmpty ? "" : claimsTable())
            if !notes.isEmpty {
                h += "<ul class=\"notes\">\n" + notes.map { "<li><b>\(escapeXML($0.figure))</b>: \(escapeXML($0.text))</li>\n" }.joined() + "</ul>\n"
            }
        }
        var section = ""
        for fig in figures {
            if fig.section != section {
                section = fig.section
                h += "<h2>\(escapeXML(section))</h2>\n"
                if section == "Trajectories" {
                    h += "<p>Bands are pointwise quantiles over the first \(grouped(traceDraws)) draws of the run (the same draws, by block stream), read exactly from the sorted values at each time on a \(gridText()) grid; no binning. Their only error is Monte Carlo error, stated per figure as the largest standard error of any plotted quantile; <code>trajectories.csv</code> has every value with its standard error.</p>\n"
                }
                if section == "Distributions" {
                    h += "<p>Histograms and cumulative shares over all \(grouped(f.draws)) draws, among draws where the SOTA model leads. Draws in which the event never happens are counted in the shares but not plotted.</p>\n"
                }
                if section == "Sensitivity", let s = f.sensitivity {
                    h += "<p>One-at-a-time tornado (others at their medians) and variance-based Sobol' indices from a Saltelli design of base size \(grouped(s.baseSize)) with \(s.bootstrap) bootstrap resamples (\(Int((s.level * 100).rounded()))% intervals). See <code>sensitivity.md</code> for the tables.</p>\n"
                }
            }
            h += "<figure id=\"\(escapeXML(fig.file))\">\n\(fig.svg)<figcaption>\(escapeXML(fig.title))\(fig.note.map { ". " + escapeXML($0) } ?? "") File: <code>figures/\(escapeXML(fig.file))</code>.</figcaption>\n</figure>\n"
        }
        if !f.inputs.isEmpty {
            let scope = f.inputs[0].draws < f.draws ? ", from the first \(grouped(f.inputs[0].draws)) draws" : ""
            h += "<h2>Inputs as drawn</h2>\n<p>The sampled inputs' distributions (a check that the prior file says what was meant\(scope)).</p>\n" + summaryTable(f.inputs)
        }
        h += "<h2>Provenance</h2>\n<p>From <code>summary.json</code>; rerun with <code>meek run \(escapeXML(f.priorFile)) --seed \(f.seed) --draws \(f.draws) --sampler \(escapeXML(f.sampler))</code>.</p>\n"
        h += "<table><tbody>"
        for (k, v) in [("prior file", f.priorFile), ("prior SHA-256", f.priorSHA256), ("seed", "\(f.seed)"), ("sampler", f.sampler),
                       ("draws", grouped(f.draws)), ("meek version", f.version), ("trajectory draws", grouped(traceDraws))] {
            h += "<tr><td>\(escapeXML(k))</td><td><code>\(escapeXML(v))</code></td></tr>"
        }
        h += "</tbody></table>\n</body>\n</html>\n"
        return h
    }

    func gridText() -> String {
        guard let b = trajectories.first, b.times.count > 1 else { return "one-point" }
        return "\(sig(b.times[1] - b.times[0], 3))-year"
    }

    func value(_ m: ResultFolder.Metric, _ v: Double?) -> String {
        guard let v else { return "never" }
        return m.isTime ? String(format: "%.1f", v + start) : sig(v, 3)
    }

    func summaryTable(_ metrics: [ResultFolder.Metric]) -> String {
        let qs = metrics.first?.quantiles.map(\.q) ?? []
        let levels = metrics.first?.equalTailed.map(\.level) ?? []
        var h = "<table><thead><tr><th>Quantity</th><th>Unit</th>"
        for q in qs { h += "<th>\(formatQ(q))</th>" }
        for l in levels { h += "<th>\(Int((l * 100).rounded()))% interval</th>" }
        h += "<th>Never</th></tr></thead><tbody>\n"
        for m in metrics {
            h += "<tr><td>\(escapeXML(m.label))</td><td>\(escapeXML(m.isTime ? "year" : m.unit))</td>"
            for q in qs { h += "<td>\(value(m, m.quantile(q)))</td>" }
            for l in levels {
                let i = m.equalTailed.first { abs($0.level - l) < 1e-12 }
                h += "<td>\(value(m, i?.low ?? nil)) – \(value(m, i?.high ?? nil))</td>"
            }
            h += "<td>\(m.isTime ? percent(m.neverShare) : "")</td></tr>\n"
        }
        return h + "</tbody></table>\n"
    }

    func formatQ(_ q: Double) -> String {
        q == 0.5 ? "median" : "\(sig(q * 100, 3))%"
    }

    func claimsTable() -> String {
        var h = "<table><thead><tr><th>Figure</th><th class=\"text\">The paper says</th><th class=\"text\">Run</th><th>Paper</th><th>meek (median)</th><th>Difference</th></tr></thead><tbody>\n"
        for c in claims {
            let meek = c.meek.map { sig($0, 4) } ?? "never"
            let diff = c.meek.map { m in
                let d = m - c.paper
                return (d >= 0 ? "+" : "") + sig(d, 2) + " (\(String(format: "%+.0f", 100 * d / c.paper))%)"
            } ?? "—"
            h += "<tr><td>\(escapeXML(c.figure))</td><td class=\"text\">\(escapeXML(c.statement))</td><td class=\"text\">\(escapeXML(c.run))</td><td>\(sig(c.paper, 4)) \(escapeXML(c.unit))</td><td>\(meek)</td><td>\(diff)</td></tr>\n"
        }
        return h + "</tbody></table>\n"
    }
}

/// A file-name-safe form of an id ("converge_gap_0.01nats" → "converge-gap-0.01nats"). A
/// long one (a comparison's title) is cut to 40 characters plus 8 hex digits of its hash,
/// so file names stay within the file system's 255 bytes and distinct titles stay distinct.
public func slug(_ s: String) -> String {
    let safe = String(s.lowercased().map { $0.isLetter || $0.isNumber || $0 == "." ? $0 : "-" })
    guard safe.count > 48 else { return safe }
    return safe.prefix(40) + "-" + SHA256.hex(s).prefix(8)
}
