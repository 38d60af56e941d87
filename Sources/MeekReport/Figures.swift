import Foundation
import MeekEngine

/// The report's figures, each an SVG document.
public enum Figures {
    /// Indices into `TrajectoryBands.levels` of each band's edges, widest first.
    static let bandEdges: [(low: Int, high: Int, level: Double, opacity: Double)] = [
        (0, 6, 0.95, 0.16), (1, 5, 0.80, 0.26), (2, 4, 0.50, 0.40),
    ]
    static let medianIndex = 3

    /// A calendar-year axis from `from` to `to` with ticks on round years.
    static func years(from: Double, to: Double, label: String = "Year") -> Axis {
        let span = to - from
        // 1, 5 or 10 years; for spans over 120 years a power of ten, so there are at most
        // about a dozen ticks whatever the span (a histogram of times can span millennia).
        let step = span <= 12 ? 1.0 : span <= 30 ? 5 : span <= 120 ? 10 : Foundation.pow(10, (Foundation.log10(span / 12)).rounded(.up))
        var ticks: [Double] = []
        var t = (from / step).rounded(.up) * step
        while t <= to + 1e-9, ticks.count <= 20 { ticks.append(t); t += step }
        return Axis(low: from, high: to, label: label, ticks: ticks, format: { NumberText.shortest($0.rounded()) })
    }

    /// The value axis of a trajectory chart: dollars on a log scale, else linear from 0.
    static func valueAxis(covering values: [Double], log: Bool, label: String) -> Axis {
        log ? Axis.logarithmic(covering: values, label: label, format: dollars)
            : Axis.linear(covering: values, include: [0], label: label)
    }

    /// A chart with one row per factor (tornado, Sobol' bars): the factors' names in a left
    /// margin wide enough for them, rows of `rowHeight` pixels. Returns the chart and the
    /// vertical centre of each row.
    static func factorRows(_ factors: [String], x: Axis, rowHeight: Double, title: String, caption: String,
                           id: String) -> (Chart, [Double]) {
        let names = factors.map(displayFactor)
        let labelWidth = min(300, 6.3 * Double(names.map(\.count).max() ?? 10) + 20)
        let y = Axis(low: 0, high: Double(factors.count), label: "", ticks: [], format: { _ in "" })
        let chart = Chart(id: id, title: title, caption: caption, x: x, y: y, width: 780 + labelWidth - 78,
                          height: Double(max(factors.count, 3)) * rowHeight + 150, leftMargin: labelWidth)
        let band = (chart.bottom - chart.top) / Double(factors.count)
        let centres = names.indices.map { chart.top + (Double($0) + 0.5) * band }
        for (name, cy) in zip(names, centres) { chart.label(name, x: chart.left - 8, y: cy + 4, anchor: "end", size: 11) }
        return (chart, centres)
    }

    /// A fan chart: median and 50/80/95% pointwise bands of one series over calendar years.
    /// `reference`: another series' median drawn dashed for comparison (the paper's Fig. 6
    /// sets the training gap beside the inference gap).
    public static func fan(_ b: TrajectoryBands, startYear: Double, title: String, caption: String, id: String,
                           color: String = "#0072B2", reference: TrajectoryBands? = nil) -> String {
        let xs = b.times.map { $0 + startYear }
        let log = b.series == .investment
        let all = b.quantiles.flatMap { $0 } + (reference?.quantiles[medianIndex] ?? [])
        let label = reference == nil ? "\(b.series.label) (\(b.series.unit))" : "Loss gap (\(b.series.unit))"
        let y = valueAxis(covering: all, log: log, label: label)
        let chart = Chart(id: id, title: title, caption: caption, x: years(from: xs.first!, to: xs.last!), y: y)
        for band in bandEdges {
            chart.band(xs: xs, lower: b.quantiles[band.low], upper: b.quantiles[band.high], color: color,
                       opacity: band.opacity, level: band.level, series: b.series.id)
            chart.addLegend("\(Int(band.level * 100))% band", swatch: Chart.boxSwatch(color, opacity: band.opacity))
        }
        chart.line(xs: xs, ys: b.quantiles[medianIndex], color: color, width: 2.2, cls: "median", series: b.series.id)
        chart.addLegend(reference == nil ? "median" : "\(b.series.label), median", swatch: Chart.lineSwatch(color))
        if let r = reference {
            chart.line(xs: r.times.map { $0 + startYear }, ys: r.quantiles[medianIndex], color: Palette.ink, width: 1.6,
                       dash: "6 4", cls: "reference", series: r.series.id)
            chart.addLegend("\(r.series.label), median", swatch: Chart.lineSwatch(Palette.ink, dash: "6 4", width: 1.6))
        }
        return chart.render()
    }

    /// Several series on one chart: each with its 80% band and median (e.g. the benchmark
    /// gap for p = 1, 2, 5).
    public static func overlay(_ series: [(label: String, bands: TrajectoryBands)], startYear: Double, title: String,
                               caption: String, id: String, yLabel: String) -> String {
        let first = series[0].bands
        let xs = first.times.map { $0 + startYear }
        let log = first.series == .investment
        let all = series.flatMap { [$0.bands.quantiles[1], $0.bands.quantiles[5]].joined() }
        let y = valueAxis(covering: all, log: log, label: yLabel)
        let chart = Chart(id: id, title: title, caption: caption, x: years(from: xs.first!, to: xs.last!), y: y)
        for (i, s) in series.enumerated() {
            let color = Palette.color(i)
            let sx = s.bands.times.map { $0 + startYear }
            chart.band(xs: sx, lower: s.bands.quantiles[1], upper: s.bands.quantiles[5], color: color, opacity: 0.16,
                       level: 0.8, series: s.label)
        }
        for (i, s) in series.enumerated() {
            let color = Palette.color(i)
            let sx = s.bands.times.map { $0 + startYear }
            chart.line(xs: sx, ys: s.bands.quantiles[medianIndex], color: color, width: 2.2, cls: "median", series: s.label)
            chart.addLegend(s.label, swatch: Chart.lineSwatch(color))
        }
        chart.addLegend("shaded: 80% bands", swatch: Chart.boxSwatch(Palette.muted, opacity: 0.2))
        return chart.render()
    }

    /// The distribution of one metric: histogram (share of draws per bin) and CDF (right
    /// axis), with the shares that never reach the event or never lead stated.
    public static func distribution(_ m: ResultFolder.Metric, startYear: Double, title: String, caption: String, id: String) -> String? {
        guard m.edges.count >= 2, m.lead > 0 else { return nil }
        let offset = m.isTime ? startYear : 0
        let edges = m.edges.map { $0 + offset }
        let lead = Double(m.lead)
        let shares = m.counts.map { 100 * $0 / lead }
        let width = m.edges[1] - m.edges[0]
        let binText = m.isTime ? "\(tickLabel(width, step: width))-year" : "\(tickLabel(width, step: width))-\(m.unit)"
        let y = Axis.linear(covering: shares, include: [0], label: "Share of draws per \(binText) bin (%)")
        let y2 = Axis(low: 0, high: 100, label: "Cumulative share of draws (%)", ticks: [0, 25, 50, 75, 100],
                      format: { String(Int($0)) })
        let x = m.isTime ? years(from: edges.first!, to: edges.last!, label: "Year")
                         : Axis(low: edges.first!, high: edges.last!, label: "\(m.label) (\(m.unit))",
                                ticks: Axis.linear(covering: [edges.first!, edges.last!], label: "").ticks.filter { $0 >= edges.first! - 1e-12 && $0 <= edges.last! + 1e-12 },
                                format: Axis.linear(covering: [edges.first!, edges.last!], label: "").format)
        let chart = Chart(id: id, title: title, caption: caption, x: x, y: y, y2: y2)
        chart.bars(edges: edges, heights: shares, color: Palette.color(0))
        var cumulative = [0.0]
        for s in shares { cumulative.append(cumulative.last! + s) }
        chart.line(xs: edges, ys: cumulative, color: Palette.color(1), width: 2, cls: "cdf", series: m.id, secondAxis: true)
        if let median = m.quantile(0.5) {
            chart.verticalRule(at: median + offset, color: Palette.ink, label: "median " + (m.isTime ? String(format: "%.1f", median + offset) : sig(median, 3)))
        }
        chart.addLegend("share of draws per bin", swatch: Chart.boxSwatch(Palette.color(0), opacity: 0.75))
        chart.addLegend("cumulative share", swatch: Chart.lineSwatch(Palette.color(1)))
        if m.isTime {
            chart.note("Never happens: \(percent(m.neverShare)) of draws with a lead (not plotted)")
        }
        if m.noLeadShare > 0 { chart.note("SOTA never leads: \(percent(m.noLeadShare)) of all draws") }
        if m.beyond > 0 { chart.note("Beyond the axis (top 0.5%): \(percent(m.beyond / lead))") }
        return chart.render()
    }

    /// Tornado: the metric with each factor at its 5th and 95th percentile, the others at
    /// their medians, sorted by swing.
    public static func tornado(_ s: ResultFolder.SensitivityMetric, label: String, unit: String, startYear: Double,
                               title: String, caption: String, id: String) -> String? {
        guard let base = s.tornadoBase, base.isFinite, !s.tornado.isEmpty else { return nil }
        let time = unit == "years after start"
        let offset = time ? startYear : 0
        let finite = s.tornado.flatMap { [$0.low, $0.high] }.filter(\.isFinite) + [base]
        let x = Axis.linear(covering: finite.map { $0 + offset }, label: time ? "\(label) (year)" : "\(label) (\(unit))")
        let (chart, centres) = factorRows(s.tornado.map(\.factor), x: x, rowHeight: 34, title: title, caption: caption, id: id)
        let band = centres.count > 1 ? centres[1] - centres[0] : (chart.bottom - chart.top)
        for (t, cy) in zip(s.tornado, centres) {
            for (value, color, cls) in [(t.low, Palette.color(0), "low"), (t.high, Palette.color(1), "high")] {
                let end = value.isFinite ? value + offset : (value > 0 ? x.high : x.low)
                chart.hbar(from: base + offset, to: end, centerY: cy, thickness: band * 0.55, color: color, cls: "tornado-\(cls)")
                if !value.isFinite {
                    chart.label(value > 0 ? "never" : "no lead", x: chart.px(end) - 4, y: cy + 4, anchor: "end", color: "#ffffff", weight: "bold")
                }
            }
        }
        chart.verticalRule(at: base + offset, color: Palette.ink, dash: "2 2", label: "all at medians: " + (time ? String(format: "%.2f", base + offset) : sig(base, 3)))
        chart.addLegend("factor at its 5th percentile", swatch: Chart.boxSwatch(Palette.color(0), opacity: 1))
        chart.addLegend("at its 95th percentile", swatch: Chart.boxSwatch(Palette.color(1), opacity: 1))
        return chart.render()
    }

    /// Sobol' first-order (S1) and total (ST) indices per factor with bootstrap intervals.
    public static func sobol(_ s: ResultFolder.SensitivityMetric, level: Double, title: String, caption: String, id: String) -> String? {
        guard !s.sobol.isEmpty else { return nil }
        let top = max(1, s.sobol.map { max($0.stHigh, $0.s1High) }.max() ?? 1)
        let low = min(0, s.sobol.map { min($0.s1Low, $0.stLow) }.min() ?? 0)
        let x = Axis.linear(covering: [low, top], include: [0], label: "Share of output variance\(s.transform.map { " (of \($0))" } ?? "")")
        let (chart, centres) = factorRows(s.sobol.map(\.factor), x: x, rowHeight: 40, title: title, caption: caption, id: id)
        let band = centres.count > 1 ? centres[1] - centres[0] : (chart.bottom - chart.top)
        for (f, cy) in zip(s.sobol, centres) {
            chart.hbar(from: 0, to: f.s1, centerY: cy - band * 0.16, thickness: band * 0.28, color: Palette.color(0), cls: "sobol-s1")
            chart.whisker(from: f.s1Low, to: f.s1High, centerY: cy - band * 0.16, color: Palette.ink)
            chart.hbar(from: 0, to: f.st, centerY: cy + band * 0.16, thickness: band * 0.28, color: Palette.color(4), cls: "sobol-st")
            chart.whisker(from: f.stLow, to: f.stHigh, centerY: cy + band * 0.16, color: Palette.ink)
        }
        chart.addLegend("first-order S1", swatch: Chart.boxSwatch(Palette.color(0), opacity: 1))
        chart.addLegend("total ST", swatch: Chart.boxSwatch(Palette.color(4), opacity: 1))
        chart.addLegend("\(Int((level * 100).rounded()))% bootstrap interval", swatch: "<path d=\"M0,0 L22,0 M0,-4 L0,4 M22,-4 L22,4\" stroke=\"\(Palette.ink)\" fill=\"none\"/>")
        return chart.render()
    }

    /// Factor names are long for groups ("scenario mixture (a / b)"): keep them readable.
    static func displayFactor(_ name: String) -> String {
        name.count <= 44 ? name : String(name.prefix(43)) + "…"
    }
}

/// A share as a percentage with sensible precision (as in the summary tables).
func percent(_ x: Double) -> String { x == 0 ? "0%" : shareText(x) }
