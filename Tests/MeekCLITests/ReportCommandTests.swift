import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// Every element of an SVG document, with its attributes and text, in document order.
final class SVGDocument: NSObject, XMLParserDelegate {
    struct Element { var name: String; var attributes: [String: String]; var text: String }
    private(set) var elements: [Element] = []
    private var open: [Int] = []
    let parsed: Bool
    let error: String?

    init(path: String) throws {
        let parser = XMLParser(data: try Data(contentsOf: URL(fileURLWithPath: path)))
        let collector = Collector()
        parser.delegate = collector
        parsed = parser.parse()
        error = parser.parserError.map { "\($0)" }
        elements = collector.elements
    }

    final class Collector: NSObject, XMLParserDelegate {
        var elements: [Element] = []
        var stack: [Int] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            stack.append(elements.count)
            elements.append(Element(name: name, attributes: attributes, text: ""))
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if let i = stack.last { elements[i].text += string }
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            stack.removeLast()
        }
    }

    func all(_ name: String, class cls: String? = nil) -> [Element] {
        elements.filter { $0.name == name && (cls == nil || ($0.attributes["class"] ?? "").split(separator: " ").contains(Substring(cls!))) }
    }

    func axis(_ which: String) -> (min: Double, max: Double, scale: String)? {
        guard let g = elements.first(where: { $0.name == "g" && $0.attributes["class"] == "axis \(which)" }),
              let lo = Double(g.attributes["data-min"] ?? ""), let hi = Double(g.attributes["data-max"] ?? "") else { return nil }
        return (lo, hi, g.attributes["data-scale"] ?? "")
    }
}

/// "x,y x,y …" or "Mx,y Lx,y … Z" → points.
func svgPoints(_ text: String) -> [(x: Double, y: Double)] {
    text.replacingOccurrences(of: "M", with: " ").replacingOccurrences(of: "L", with: " ").replacingOccurrences(of: "Z", with: " ")
        .split(separator: " ").compactMap { pair in
            let p = pair.split(separator: ",")
            guard p.count == 2, let x = Double(p[0]), let y = Double(p[1]) else { return nil }
            return (x, y)
        }
}

/// One baseline run with its sensitivity analysis, a second run to compare with, and the
/// report: made once for the suite.
enum ReportFixture {
    struct Made { var folder: String; var other: String; var status: Int32; var stderr: String; var stdout: String }
    static let made: Made = {
        let folder = temporaryDirectory(), other = temporaryDirectory()
        var failures = ""
        for args in [["run", repository + "/priors/baseline.toml", "--draws", "40000", "--out", folder, "--quiet"],
                     ["sensitivity", repository + "/priors/baseline.toml", "--base", "512", "--bootstrap", "50",
                      "--rank-draws", "2048", "--out", folder, "--quiet"],
                     ["run", repository + "/priors/besiroglu.toml", "--draws", "10000", "--out", other, "--quiet"]] {
            let r = try! Meek.run(args)
            if r.status != 0 { failures += r.stderr }
        }
        let r = try! Meek.run(["report", folder, "--trajectory-draws", "4000", "--step", "1", "--threads", "2",
                               "--compare", "Scaling law: mixture vs. Besiroglu=\(other)"])
        return Made(folder: folder, other: other, status: r.status, stderr: failures + r.stderr, stdout: r.stdout)
    }()

    static func figures() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: made.folder + "/figures").filter { $0.hasSuffix(".svg") }.sorted()
    }

    /// trajectories.csv as [series: [quantile: [value by time]]], plus the times.
    static func trajectories() throws -> (times: [Double], values: [String: [Double: [Double]]]) {
        let lines = try String(contentsOfFile: made.folder + "/trajectories.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        var values: [String: [Double: [Double]]] = [:]
        var times: [Double] = []
        for line in lines {
            let f = line.split(separator: ",")
            let series = String(f[0]), year = Double(f[3])!, q = Double(f[4])!, v = Double(f[5])!
            values[series, default: [:]][q, default: []].append(v)
            if series == "training_gap", q == 0.5 { times.append(year) }
        }
        return (times, values)
    }
}

@Suite(.serialized) struct ReportCommandTests {
    @Test func reportSucceedsAndWritesEveryFile() throws {
        let m = ReportFixture.made
        #expect(m.status == 0, "\(m.stderr)")
        #expect(m.stdout.contains("report.html"))
        let figures = try ReportFixture.figures()
        for f in ["training-gap.svg", "inference-gap.svg", "benchmark-gap.svg", "sota-investment.svg",
                  "distribution-peak-time.svg", "distribution-peak-gap.svg", "distribution-converge-gap-0.01nats.svg",
                  "distribution-inference-parity.svg", "tornado-peak-time.svg", "sobol-peak-time.svg",
                  "compare-scaling-law-gap.svg", "compare-scaling-law-investment.svg"] {
            #expect(figures.contains(f), "\(f) missing from \(figures)")
        }
        // No temporary files are left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: m.folder + "/figures").allSatisfy { $0.hasSuffix(".svg") })
    }

    @Test func everyFigureIsWellFormedXMLWithTitleAxesAndCaption() throws {
        for f in try ReportFixture.figures() {
            let doc = try SVGDocument(path: ReportFixture.made.folder + "/figures/" + f)
            #expect(doc.parsed, "\(f): \(doc.error ?? "")")
            #expect(doc.elements.first?.name == "svg")
            #expect(doc.elements.first?.attributes["xmlns"] == "http://www.w3.org/2000/svg")
            let title = doc.all("title").first?.text ?? ""
            #expect(title.count > 3, "\(f) has no title")
            let x = try #require(doc.axis("x"), "\(f) has no x axis")
            #expect(x.min < x.max && x.min.isFinite && x.max.isFinite)
            let caption = doc.all("text", class: "caption").first?.text ?? ""
            // The caption states the prior file(s), draws and seed.
            #expect(caption.contains("baseline.toml") && caption.contains("seed") && caption.contains("draws"), "\(f): \(caption)")
            if f.hasPrefix("compare") { #expect(caption.contains("besiroglu.toml"), "\(f): \(caption)") }
            // Axis labels carry units.
            let xLabel = doc.elements.first { $0.name == "g" && $0.attributes["class"] == "axis x" }?.attributes["data-label"] ?? ""
            #expect(!xLabel.isEmpty, "\(f)")
            // No NaN or infinity leaks into coordinates.
            for e in doc.elements {
                for (k, v) in e.attributes where ["points", "d", "x", "y", "width", "height"].contains(k) {
                    #expect(!v.contains("nan") && !v.contains("inf"), "\(f): \(e.name) \(k)")
                }
            }
        }
    }

    @Test func timeAxesAreCalendarYearsAndGapAxesCoverTheData() throws {
        let (times, values) = try ReportFixture.trajectories()
        #expect(times.first == 2019 && times.last == 2049)
        for (file, series) in [("training-gap.svg", "training_gap"), ("inference-gap.svg", "inference_gap"),
                               ("sota-investment.svg", "sota_investment")] {
            let doc = try SVGDocument(path: ReportFixture.made.folder + "/figures/" + file)
            let x = try #require(doc.axis("x")), y = try #require(doc.axis("y"))
            #expect(x.min == 2019 && x.max == 2049, "\(file)")
            let data = values[series]!.values.flatMap { $0 }
            let lo = data.min()!, hi = data.max()!
            #expect(y.min <= lo && y.max >= hi, "\(file): axis \(y) vs data \(lo)…\(hi)")
            if y.scale == "linear" {
                // Tight: the axis adds at most one tick step beyond the data (and includes 0).
                #expect(y.max - y.min <= 1.6 * (max(hi, 0) - min(lo, 0)), "\(file): axis \(y) vs data \(lo)…\(hi)")
            } else {
                #expect(y.min > 0 && y.max / y.min <= 1000 * hi / lo, "\(file)")
            }
        }
        // Distribution of peak times: calendar years spanning the bins.
        let doc = try SVGDocument(path: ReportFixture.made.folder + "/figures/distribution-peak-time.svg")
        let x = try #require(doc.axis("x"))
        #expect(x.min > 2019 && x.max < 2030)
        let y2 = try #require(doc.axis("y2"))
        #expect(y2.min == 0 && y2.max == 100)
    }

    /// 2.5% ≤ 10% ≤ 25% ≤ median ≤ 75% ≤ 90% ≤ 97.5%: in the data at every time, and in the
    /// drawn figure at every grid point (SVG y grows downwards).
    @Test func bandsAreOrderedAtEveryGridPoint() throws {
        let (times, values) = try ReportFixture.trajectories()
        for (series, byQ) in values {
            let qs = byQ.keys.sorted()
            #expect(qs == [0.025, 0.1, 0.25, 0.5, 0.75, 0.9, 0.975])
            for i in times.indices {
                for (a, b) in zip(qs, qs.dropFirst()) { #expect(byQ[a]![i] <= byQ[b]![i], "\(series) t=\(times[i]) q\(a) > q\(b)") }
            }
        }
        for file in ["training-gap.svg", "inference-gap.svg", "sota-investment.svg"] {
            let doc = try SVGDocument(path: ReportFixture.made.folder + "/figures/" + file)
            let bands = doc.all("path", class: "band")
            #expect(bands.map { $0.attributes["data-level"] } == ["0.95", "0.8", "0.5"], "\(file)")
            let edges = bands.map { band -> (lower: [Double], upper: [Double]) in
                let p = svgPoints(band.attributes["d"]!)
                let n = p.count / 2
                return (p[..<n].map(\.y), p[n...].reversed().map(\.y))
            }
            let median = svgPoints(try #require(doc.all("polyline", class: "median").first).attributes["points"]!).map(\.y)
            #expect(median.count == times.count)
            for i in times.indices {
                // Pixels: lower edges have larger y. 95% ⊇ 80% ⊇ 50% ∋ median.
                let column = [edges[0].lower[i], edges[1].lower[i], edges[2].lower[i], median[i],
                              edges[2].upper[i], edges[1].upper[i], edges[0].upper[i]]
                for (a, b) in zip(column, column.dropFirst()) { #expect(a >= b - 0.011, "\(file) point \(i): \(column)") }
            }
        }
    }

    /// Fig. 6 sets the training gap's median (dashed) beside the inference gap's bands, on
    /// an axis that covers both.
    @Test func inferenceFigureCarriesTheTrainingGapForComparison() throws {
        let doc = try SVGDocument(path: ReportFixture.made.folder + "/figures/inference-gap.svg")
        let reference = try #require(doc.all("polyline", class: "reference").first)
        #expect(reference.attributes["data-series"] == "training_gap")
        #expect(reference.attributes["stroke-dasharray"] != nil)
        let (_, values) = try ReportFixture.trajectories()
        let y = try #require(doc.axis("y"))
        #expect(y.max >= values["training_gap"]![0.5]!.max()!)
    }

    @Test func distributionStatesTheNeverShareAndCountsAddUp() throws {
        let doc = try SVGDocument(path: ReportFixture.made.folder + "/figures/distribution-converge-gap-0.001nats.svg")
        let notes = doc.all("text").map(\.text).filter { $0.hasPrefix("Never happens") }
        #expect(notes.count == 1)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: ReportFixture.made.folder + "/summary.json"))) as! [String: Any]
        let metric = (summary["metrics"] as! [[String: Any]]).first { $0["id"] as? String == "converge_gap_0.001nats" }!
        let never = (metric["never_share"] as! NSNumber).doubleValue
        #expect(notes[0].contains(String(format: "%.1f%%", never * 100)) || (never < 0.001 && notes[0].contains("%")))
        // The cumulative line ends at the share of lead draws plotted (1 − never − beyond).
        let cdf = svgPoints(try #require(doc.all("polyline", class: "cdf").first).attributes["points"]!)
        #expect(cdf.count >= 3)
        #expect(zip(cdf, cdf.dropFirst()).allSatisfy { $0.y >= $1.y - 0.011 && $0.x < $1.x })
    }

    @Test func reportPageIsSelfContained() throws {
        let html = try String(contentsOfFile: ReportFixture.made.folder + "/report.html", encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        for f in try ReportFixture.figures() {
            let doc = try SVGDocument(path: ReportFixture.made.folder + "/figures/" + f)
            let id = doc.elements.first!.attributes["id"]!
            #expect(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"\(id)\""), "\(f) is not inline")
        }
        for external in ["<script", "src=", "href=\"http", "<link", "@import", "url(http"] {
            #expect(!html.contains(external), "report.html refers to something outside: \(external)")
        }
        #expect(html.contains("Inputs as drawn") && html.contains("Provenance") && html.contains("Sensitivity"))
        // Every id in the page is unique (inline SVGs share one document).
        let ids = html.components(separatedBy: " id=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
        #expect(Set(ids).count == ids.count)
    }

    @Test func reportIsIdenticalForAnyThreadCount() throws {
        let m = ReportFixture.made
        let copy = temporaryDirectory()
        for f in ["summary.json", "sensitivity.json"] {
            try FileManager.default.copyItem(atPath: m.folder + "/" + f, toPath: copy + "/" + f)
        }
        let r = try Meek.run(["report", copy, "--trajectory-draws", "4000", "--step", "1", "--threads", "1", "--quiet",
                              "--compare", "Scaling law: mixture vs. Besiroglu=\(m.other)"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        #expect(try String(contentsOfFile: copy + "/trajectories.csv", encoding: .utf8)
                == String(contentsOfFile: m.folder + "/trajectories.csv", encoding: .utf8))
        let strip = { (s: String) in s.replacingOccurrences(of: copy, with: "").replacingOccurrences(of: m.folder, with: "") }
        #expect(strip(try String(contentsOfFile: copy + "/report.html", encoding: .utf8))
                == strip(try String(contentsOfFile: m.folder + "/report.html", encoding: .utf8)))
    }

    /// A comparison's title names its figure files: a 10,000-character one is cut (with a
    /// hash) to a name the file system accepts; it used to fail with a 20,000-character error.
    @Test func aLongComparisonTitleMakesShortFileNames() throws {
        let m = ReportFixture.made
        let copy = temporaryDirectory()
        for f in ["summary.json", "sensitivity.json"] {
            try FileManager.default.copyItem(atPath: m.folder + "/" + f, toPath: copy + "/" + f)
        }
        let title = String(repeating: "x", count: 10_000)
        let r = try Meek.run(["report", copy, "--trajectory-draws", "2000", "--step", "1", "--quiet", "--compare", "\(title)=\(m.other)"])
        #expect(r.status == 0, "\(r.stderr.prefix(300))")
        let figures = try FileManager.default.contentsOfDirectory(atPath: copy + "/figures").filter { $0.hasPrefix("compare-") }
        #expect(figures.count == 2 && figures.allSatisfy { $0.utf8.count <= 80 }, "\(figures)")
    }

    /// A horizon of 5e-324 years (a subnormal step) made the fan charts' scales divide by
    /// zero: `-nan` and `inf` coordinates in three SVGs, exit 0. Coordinates are never
    /// non-finite now.
    @Test func figuresNeverHoldNonFiniteCoordinates() throws {
        let m = ReportFixture.made
        let copy = temporaryDirectory()
        for f in ["summary.json", "sensitivity.json"] {
            try FileManager.default.copyItem(atPath: m.folder + "/" + f, toPath: copy + "/" + f)
        }
        let r = try Meek.run(["report", copy, "--trajectory-draws", "1000", "--step", "1", "--quiet", "--horizon", "5e-324"])
        #expect(r.status == 0, "\(r.stderr)")
        let figures = try FileManager.default.contentsOfDirectory(atPath: copy + "/figures").filter { $0.hasSuffix(".svg") }
        #expect(figures.count >= 3)
        for f in figures {
            let svg = try String(contentsOfFile: copy + "/figures/" + f, encoding: .utf8).lowercased()
            #expect(!svg.contains("nan\"") && !svg.contains("inf\""), "\(f)")
        }
    }

    @Test func badInputIsRefusedWithStatusTwo() throws {
        // No results.
        let empty = temporaryDirectory()
        var r = try Meek.run(["report", empty])
        #expect(r.status == 2 && r.stderr.contains(empty + "/summary.json") && r.stderr.contains("not found"), "\(r.stderr)")
        // Not JSON.
        try "{ nope".write(toFile: empty + "/summary.json", atomically: true, encoding: .utf8)
        r = try Meek.run(["report", empty])
        #expect(r.status == 2 && r.stderr.contains("not valid JSON"), "\(r.stderr)")
        // A prior file edited since the run.
        let dir = temporaryDirectory()
        let prior = dir + "/p.toml"
        try FileManager.default.copyItem(atPath: repository + "/priors/paper.toml", toPath: prior)
        r = try Meek.run(["run", prior, "--out", dir + "/out", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        try (String(contentsOfFile: prior, encoding: .utf8) + "\n# edited\n").write(toFile: prior, atomically: true, encoding: .utf8)
        r = try Meek.run(["report", dir + "/out"])
        #expect(r.status == 2 && r.stderr.contains("has changed since the run"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out/report.html"))
        // Bad options.
        for args in [["--compare", "no-equals-sign"], ["--trajectory-draws", "1"], ["--step", "0"], ["--horizon", "-3"]] {
            r = try Meek.run(["report", ReportFixture.made.folder] + args)
            #expect(r.status == 2, "\(args): \(r.stderr)")
        }
        // A comparison folder that does not exist.
        r = try Meek.run(["report", ReportFixture.made.folder, "--compare", "X=" + empty + "/nothing"])
        #expect(r.status == 2 && r.stderr.contains("nothing/summary.json"), "\(r.stderr)")
        // A claims file naming a metric the run does not have.
        let claims = dir + "/claims.toml"
        try "[[claim]]\nfigure = \"F\"\nstatement = \"s\"\nrun = \".\"\nmetric = \"no_such_metric\"\npaper = 1\n"
            .write(toFile: claims, atomically: true, encoding: .utf8)
        r = try Meek.run(["report", ReportFixture.made.folder, "--claims", claims])
        #expect(r.status == 2 && r.stderr.contains("claims.toml:5: claim[0].metric: 'no_such_metric'"), "\(r.stderr)")
    }

    /// The paper's stated numbers beside the runs: peak at 3.4 years (3.36 here), Kaplan
    /// about 10 years (9.07 here).
    @Test func claimsTableSetsThePapersNumbersBesideTheRuns() throws {
        let dir = temporaryDirectory()
        for (prior, out) in [("paper.toml", dir), ("paper-variants/kaplan.toml", dir + "/kaplan")] {
            let r = try Meek.run(["run", repository + "/priors/" + prior, "--out", out, "--quiet"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let r = try Meek.run(["report", dir, "--claims", repository + "/priors/paper-claims.toml", "--quiet", "--step", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        let html = try String(contentsOfFile: dir + "/report.html", encoding: .utf8)
        #expect(html.contains("The paper&#39;s numbers") || html.contains("The paper's numbers"))
        #expect(html.contains("<td>3.4 years</td><td>3.359</td>"), "peak-time claim row")
        #expect(html.contains("<td>10 years</td><td>9.075</td>"), "Kaplan claim row")
        // The notes beside the numbers.
        #expect(html.contains("<b>Fig. 6</b>") && html.contains("g_alg = 3.6"))
    }
}
