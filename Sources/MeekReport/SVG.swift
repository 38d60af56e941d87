import Foundation
import MeekEngine

/// A small SVG plotting layer: one plot area with x and y axes (linear or log), lines,
/// bands, bars, a legend and a caption. Everything is plain SVG 1.1 with inline styles, so
/// a figure opens in any browser, embeds in HTML and prints.
///
/// For tests and scripts, the drawn data is marked: each axis is a `<g class="axis x|y">`
/// with `data-min`, `data-max` and `data-scale`; each band a `<path class="band"
/// data-level="…">` whose points run along the lower edge and back along the upper edge;
/// each line a `<polyline class="…">`.
struct Axis {
    var low: Double
    var high: Double
    var log: Bool = false
    var label: String
    var ticks: [Double]
    var format: (Double) -> String

    /// A linear axis covering `values` on round ticks, optionally forced to include `include`.
    static func linear(covering values: [Double], include: [Double] = [], label: String,
                       format: ((Double) -> String)? = nil, targetTicks: Int = 6) -> Axis {
        let finite = (values + include).filter(\.isFinite)
        var lo = finite.min() ?? 0, hi = finite.max() ?? 1
        if !(hi > lo) {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad; hi += pad
        }
        let step = roundStep((hi - lo) / Double(targetTicks))
        lo = (lo / step + 1e-9).rounded(.down) * step
        hi = (hi / step - 1e-9).rounded(.up) * step
        let count = Int(((hi - lo) / step).rounded())
        let ticks = (0...count).map { lo + Double($0) * step }.map { abs($0) < step * 1e-9 ? 0 : $0 }
        return Axis(low: lo, high: hi, label: label, ticks: ticks, format: format ?? { tickLabel($0, step: step) })
    }

    /// A base-10 log axis over whole decades covering the positive `values`.
    static func logarithmic(covering values: [Double], label: String, format: ((Double) -> String)? = nil) -> Axis {
        let positive = values.filter { $0 > 0 && $0.isFinite }
        var lo = Foundation.log10(positive.min() ?? 1).rounded(.down)
        var hi = Foundation.log10(positive.max() ?? 10).rounded(.up)
        if hi <= lo { hi = lo + 1 }
        let stride = max(1, Int(((hi - lo) / 8).rounded(.up)))
        lo = (lo / Double(stride)).rounded(.down) * Double(stride)
        hi = (hi / Double(stride)).rounded(.up) * Double(stride)
        let ticks = Swift.stride(from: lo, through: hi, by: Double(stride)).map { Foundation.pow(10, $0) }
        return Axis(low: Foundation.pow(10, lo), high: Foundation.pow(10, hi), log: true, label: label, ticks: ticks,
                    format: format ?? { powerOfTen($0) })
    }

    /// Position in [0, 1] along the axis.
    func fraction(_ v: Double) -> Double {
        log ? (Foundation.log10(v) - Foundation.log10(low)) / (Foundation.log10(high) - Foundation.log10(low))
            : (v - low) / (high - low)
    }
}

/// "1.5", "2030", "0.05": the fewest decimals that show the tick step.
func tickLabel(_ v: Double, step: Double) -> String {
    guard v.isFinite, step.isFinite, step > 0 else { return v.isFinite ? String(format: "%.3g", v) : "—" }
    let decimals = max(0, min(6, Int((-Foundation.log10(step)).rounded(.up)) + (step * Foundation.pow(10, (-Foundation.log10(step)).rounded(.up)) == 2.5 ? 1 : 0)))
    if abs(v) >= 1e6 || (abs(v) < 1e-4 && v != 0) { return String(format: "%.2g", v) }
    return String(format: "%.\(decimals)f", v)
}

/// 10^k as text ("1", "10", "100", "1000", "10⁴" …).
func powerOfTen(_ v: Double) -> String {
    let k = Int(Foundation.log10(v).rounded())
    if (0...3).contains(k) { return String(Int(Foundation.pow(10, Double(k)))) }
    if k == -1 { return "0.1" }
    if k == -2 { return "0.01" }
    let superscripts: [Character: Character] = ["0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶",
                                                "7": "⁷", "8": "⁸", "9": "⁹", "-": "⁻"]
    return "10" + String(String(k).map { superscripts[$0]! })
}

/// US dollars on a log axis: $1k, $1M, $1B, $1T, else powers of ten.
func dollars(_ v: Double) -> String {
    let k = Int(Foundation.log10(v).rounded())
    switch k {
    case 0: return "$1"
    case 1: return "$10"
    case 2: return "$100"
    case 3...14:
        let (unit, base) = k >= 12 ? ("T", 12) : k >= 9 ? ("B", 9) : k >= 6 ? ("M", 6) : ("k", 3)
        return "$" + String(Int(Foundation.pow(10, Double(k - base)))) + unit
    default: return "$" + powerOfTen(v)
    }
}

/// Okabe–Ito colours: distinguishable with colour-blindness and in greyscale print.
enum Palette {
    static let colors = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
    static func color(_ i: Int) -> String { colors[i % colors.count] }
    static let ink = "#222222"
    static let grid = "#e4e4e4"
    static let muted = "#666666"
}

func escapeXML(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.count)
    for c in s {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        default: out.append(c)
        }
    }
    return out
}

/// Coordinates with two decimals: enough for print, short files. Never `inf` or `nan`: a value
/// a chart cannot place (only an edited or extreme summary gives one) lands off the canvas.
func coordinate(_ v: Double) -> String { String(format: "%.2f", v.isNaN ? -1e6 : min(max(v, -1e6), 1e6)) }

/// One chart: a title, a plot area, axes, layers of marks, a legend and a caption.
final class Chart {
    let width: Double
    let height: Double
    let title: String
    let caption: String
    let x: Axis
    let y: Axis
    /// An optional right-hand axis (e.g. a CDF over a histogram).
    let y2: Axis?
    let left: Double, right: Double, top: Double, bottom: Double
    private var marks: [String] = []
    /// Text drawn over the plot, not clipped to it (labels, notes).
    private var annotations: [String] = []
    private var legend: [(label: String, swatch: String)] = []
    private var notes: [String] = []
    let id: String

    init(id: String, title: String, caption: String, x: Axis, y: Axis, y2: Axis? = nil,
         width: Double = 760, height: Double = 440, leftMargin: Double = 78) {
        self.id = id
        self.title = title
        self.caption = caption
        self.x = x
        self.y = y
        self.y2 = y2
        self.width = width
        self.height = height
        left = leftMargin
        right = width - (y2 == nil ? 24 : 66)
        top = 48
        bottom = height - 84
    }

    func px(_ v: Double) -> Double { left + x.fraction(v) * (right - left) }
    func py(_ v: Double) -> Double { bottom - y.fraction(v) * (bottom - top) }
    func py2(_ v: Double) -> Double { bottom - (y2?.fraction(v) ?? 0) * (bottom - top) }

    private func points(_ xs: [Double], _ ys: [Double], _ mapY: (Double) -> Double) -> String {
        zip(xs, ys).map { "\(coordinate(px($0))),\(coordinate(mapY($1)))" }.joined(separator: " ")
    }

    /// A filled band between `lower` and `upper` (same grid), marked with its level.
    func band(xs: [Double], lower: [Double], upper: [Double], color: String, opacity: Double, level: Double, series: String = "") {
        let forward = zip(xs, lower).map { "\(coordinate(px($0))),\(coordinate(py($1)))" }
        let back = zip(xs, upper).reversed().map { "\(coordinate(px($0))),\(coordinate(py($1)))" }
        let d = "M" + (forward + back).joined(separator: " L") + " Z"
        marks.append("<path class=\"band\" data-level=\"\(level)\" data-series=\"\(escapeXML(series))\" d=\"\(d)\" fill=\"\(color)\" fill-opacity=\"\(opacity)\" stroke=\"none\"/>")
    }

    /// A polyline through (xs, ys); `secondAxis` maps ys on the right-hand axis.
    func line(xs: [Double], ys: [Double], color: String, width: Double = 2, dash: String? = nil, cls: String,
              series: String = "", secondAxis: Bool = false) {
        let mapY: (Double) -> Double = secondAxis ? py2 : py
        let dashAttr = dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
        marks.append("<polyline class=\"\(cls)\" data-series=\"\(escapeXML(series))\" points=\"\(points(xs, ys, mapY))\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(width)\" stroke-linejoin=\"round\"\(dashAttr)/>")
    }

    /// Vertical bars from `edges[i]` to `edges[i+1]` of height `heights[i]`.
    func bars(edges: [Double], heights: [Double], color: String, opacity: Double = 0.75) {
        var out = "<g class=\"bars\" fill=\"\(color)\" fill-opacity=\"\(opacity)\">"
        for (i, h) in heights.enumerated() where h > 0 {
            let x0 = px(edges[i]), x1 = px(edges[i + 1]), y0 = py(h)
            out += "<rect x=\"\(coordinate(x0))\" y=\"\(coordinate(y0))\" width=\"\(coordinate(max(x1 - x0 - 0.6, 0.4)))\" height=\"\(coordinate(bottom - y0))\"/>"
        }
        marks.append(out + "</g>")
    }

    /// A horizontal bar between two values at a vertical position (pixels) and thickness.
    func hbar(from a: Double, to b: Double, centerY: Double, thickness: Double, color: String, cls: String) {
        let x0 = px(min(a, b)), x1 = px(max(a, b))
        marks.append("<rect class=\"\(cls)\" x=\"\(coordinate(x0))\" y=\"\(coordinate(centerY - thickness / 2))\" width=\"\(coordinate(max(x1 - x0, 0.5)))\" height=\"\(coordinate(thickness))\" fill=\"\(color)\"/>")
    }

    /// A horizontal interval whisker at a vertical position (pixels).
    func whisker(from a: Double, to b: Double, centerY: Double, color: String) {
        let x0 = coordinate(px(a)), x1 = coordinate(px(b)), yc = coordinate(centerY)
        let y0 = coordinate(centerY - 4), y1 = coordinate(centerY + 4)
        marks.append("<path class=\"interval\" d=\"M\(x0),\(yc) L\(x1),\(yc) M\(x0),\(y0) L\(x0),\(y1) M\(x1),\(y0) L\(x1),\(y1)\" stroke=\"\(color)\" stroke-width=\"1.3\" fill=\"none\"/>")
    }

    func verticalRule(at v: Double, color: String, dash: String = "4 3", label: String? = nil) {
        let xp = coordinate(px(v))
        marks.append("<line class=\"rule\" x1=\"\(xp)\" x2=\"\(xp)\" y1=\"\(coordinate(top))\" y2=\"\(coordinate(bottom))\" stroke=\"\(color)\" stroke-width=\"1.2\" stroke-dasharray=\"\(dash)\"/>")
        if let label {
            annotations.append(text(label, x: px(v), y: top - 5, anchor: "middle", size: 11, color: color))
        }
    }

    /// Free text at pixel coordinates.
    func label(_ s: String, x: Double, y: Double, anchor: String = "start", size: Double = 11, color: String = Palette.ink, weight: String = "normal") {
        annotations.append(text(s, x: x, y: y, anchor: anchor, size: size, color: color, weight: weight))
    }

    func addLegend(_ label: String, swatch: String) { legend.append((label, swatch)) }
    static func lineSwatch(_ color: String, dash: String? = nil, width: Double = 2) -> String {
        "<line x1=\"0\" x2=\"22\" y1=\"0\" y2=\"0\" stroke=\"\(color)\" stroke-width=\"\(width)\"\(dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")/>"
    }
    static func boxSwatch(_ color: String, opacity: Double) -> String {
        "<rect x=\"0\" y=\"-6\" width=\"22\" height=\"12\" fill=\"\(color)\" fill-opacity=\"\(opacity)\"/>"
    }

    /// A line of text printed in the plot's top-left corner (e.g. the share that never converges).
    func note(_ s: String) { notes.append(s) }

    private func text(_ s: String, x: Double, y: Double, anchor: String = "start", size: Double = 12,
                      color: String = Palette.ink, weight: String = "normal", rotate: Bool = false) -> String {
        let transform = rotate ? " transform=\"rotate(-90 \(coordinate(x)) \(coordinate(y)))\"" : ""
        return "<text x=\"\(coordinate(x))\" y=\"\(coordinate(y))\" text-anchor=\"\(anchor)\" font-size=\"\(size)\" fill=\"\(color)\" font-weight=\"\(weight)\"\(transform)>\(escapeXML(s))</text>"
    }

    private func axisGroup(_ a: Axis, name: String, extra: String) -> String {
        "<g class=\"axis \(name)\" data-min=\"\(a.low)\" data-max=\"\(a.high)\" data-scale=\"\(a.log ? "log" : "linear")\" data-label=\"\(escapeXML(a.label))\"\(extra)>"
    }

    func render() -> String {
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"\(escapeXML(id))\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-labelledby=\"\(escapeXML(id))-title\" font-family=\"Helvetica, Arial, sans-serif\">\n"
        s += "<title id=\"\(escapeXML(id))-title\">\(escapeXML(title))</title>\n<desc>\(escapeXML(caption))</desc>\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
        s += text(title, x: left, y: 26, size: 15, weight: "bold") + "\n"
        // Grid and y ticks.
        s += axisGroup(y, name: "y", extra: "") + "\n"
        for t in y.ticks {
            let yp = coordinate(py(t))
            s += "<line x1=\"\(coordinate(left))\" x2=\"\(coordinate(right))\" y1=\"\(yp)\" y2=\"\(yp)\" stroke=\"\(Palette.grid)\" stroke-width=\"1\"/>"
            s += text(y.format(t), x: left - 7, y: py(t) + 4, anchor: "end", size: 11, color: Palette.muted) + "\n"
        }
        s += text(y.label, x: 16, y: (top + bottom) / 2, anchor: "middle", size: 12, rotate: true)
        s += "\n</g>\n"
        if let y2 {
            s += axisGroup(y2, name: "y2", extra: "") + "\n"
            for t in y2.ticks {
                s += text(y2.format(t), x: right + 7, y: py2(t) + 4, size: 11, color: Palette.muted) + "\n"
            }
            s += text(y2.label, x: width - 12, y: (top + bottom) / 2, anchor: "middle", size: 12, rotate: true)
            s += "\n</g>\n"
        }
        s += axisGroup(x, name: "x", extra: "") + "\n"
        for t in x.ticks {
            let xp = coordinate(px(t))
            s += "<line x1=\"\(xp)\" x2=\"\(xp)\" y1=\"\(coordinate(bottom))\" y2=\"\(coordinate(bottom + 5))\" stroke=\"\(Palette.muted)\"/>"
            s += text(x.format(t), x: px(t), y: bottom + 19, anchor: "middle", size: 11, color: Palette.muted) + "\n"
        }
        s += text(x.label, x: (left + right) / 2, y: bottom + 40, anchor: "middle", size: 12)
        s += "\n</g>\n"
        s += "<defs><clipPath id=\"\(escapeXML(id))-clip\"><rect x=\"\(coordinate(left))\" y=\"\(coordinate(top))\" width=\"\(coordinate(right - left))\" height=\"\(coordinate(bottom - top))\"/></clipPath></defs>\n"
        s += "<g class=\"marks\" clip-path=\"url(#\(escapeXML(id))-clip)\">\n" + marks.joined(separator: "\n") + "\n</g>\n"
        s += "<g class=\"annotations\">" + annotations.joined() + "</g>\n"
        s += "<rect x=\"\(coordinate(left))\" y=\"\(coordinate(top))\" width=\"\(coordinate(right - left))\" height=\"\(coordinate(bottom - top))\" fill=\"none\" stroke=\"\(Palette.muted)\" stroke-width=\"1\"/>\n"
        if !notes.isEmpty {
            s += "<g class=\"notes\">"
            for (i, n) in notes.enumerated() { s += text(n, x: left + 8, y: top + 18 + Double(i) * 15, size: 11) }
            s += "</g>\n"
        }
        // The legend flows left to right and wraps; the caption goes below it.
        var yl = bottom + 58
        if !legend.isEmpty {
            s += "<g class=\"legend\">"
            var xCursor = left
            for item in legend {
                let label = item.label.count > 90 ? String(item.label.prefix(89)) + "…" : item.label
                let itemWidth = 40 + Double(label.count) * 6.2
                if xCursor > left, xCursor + itemWidth > width - 8 { xCursor = left; yl += 17 }
                s += "<g transform=\"translate(\(coordinate(xCursor)),\(coordinate(yl)))\">\(item.swatch)</g>"
                s += text(label, x: xCursor + 28, y: yl + 4, size: 11)
                xCursor += itemWidth
            }
            s += "</g>\n"
        }
        let captionY = max(height - 8, yl + 22)
        s += "<text class=\"caption\" x=\"\(coordinate(left))\" y=\"\(coordinate(captionY))\" font-size=\"10\" fill=\"\(Palette.muted)\">\(escapeXML(caption))</text>\n"
        let total = Int((captionY + 8).rounded(.up))
        s = s.replacingOccurrences(of: "height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\"",
                                   with: "height=\"\(total)\" viewBox=\"0 0 \(Int(width)) \(total)\"")
        return s + "</svg>\n"
    }
}
