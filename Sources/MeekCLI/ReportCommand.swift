import ArgumentParser
import Foundation
import MeekEngine
import MeekPriors
import MeekReport
import MeekTOML

/// `meek report DIR`: figures and one self-contained page from a run's results.
public struct ReportCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Figures (SVG) and a self-contained report.html from a results folder.",
        discussion: """
            Reads DIR/summary.json (and DIR/sensitivity.json when present), retraces the run's \
            first --trajectory-draws draws on a calendar grid from the same prior file and seed \
            (its SHA-256 must match the run's), and writes DIR/figures/*.svg, \
            DIR/trajectories.csv and DIR/report.html as one set, replacing the previous report's. \
            --compare 'TITLE=DIR2,DIR3' overlays DIR and those folders on one chart (repeatable). \
            --claims FILE sets numbers the paper states beside the runs' medians.
            """
    )

    @Argument(help: "A results folder written by `meek run`, e.g. results/baseline.")
    var folder: String
    @Option(name: .customLong("trajectory-draws"), help: "Draws traced for the fan charts (the run's first; at most 1048576).")
    var trajectoryDraws: Int = 1 << 16
    @Option(help: "Years after the start year that the time axes span.")
    var horizon: Double = 30
    @Option(help: "Grid step of the trajectories, years.")
    var step: Double = 0.25
    @Option(help: "Worker threads (default: all cores). Results are identical for any value.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(parsing: .singleValue, help: "A comparison chart: 'TITLE=DIR,DIR…' (DIR itself comes first). Repeatable.")
    var compare: [String] = []
    @Option(help: "A TOML file of the paper's stated numbers ([[claim]]: figure, statement, run, metric, paper, unit) and remarks ([[note]]: figure, text).")
    var claims: String?
    @Flag(help: "Print nothing on success.")
    var quiet = false

    public init() {}

    public func validate() throws {
        if trajectoryDraws < 2 || trajectoryDraws > TrajectoryRequest.maximumDraws {
            throw ValidationError("--trajectory-draws must be in 2…\(TrajectoryRequest.maximumDraws) (got \(trajectoryDraws))")
        }
        if !(horizon > 0 && horizon.isFinite && horizon <= 500) { throw ValidationError("--horizon must be in (0, 500] years (got \(horizon))") }
        if !(step > 0 && step.isFinite) || horizon / step > 4000 {
            throw ValidationError("--step must be > 0 with at most 4000 grid points over the horizon (got \(step))")
        }
        if threads < 1 { throw ValidationError("--threads must be ≥ 1 (got \(threads))") }
        for c in compare where parseComparison(c) == nil {
            throw ValidationError("--compare must be 'TITLE=DIR[,DIR…]' (got '\(c)')")
        }
    }

    func parseComparison(_ text: String) -> (title: String, folders: [String])? {
        guard let eq = text.lastIndex(of: "=") else { return nil }  // titles may hold "=", paths do not
        let title = text[..<eq].trimmingCharacters(in: .whitespaces)
        let folders = text[text.index(after: eq)...].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !title.isEmpty, !folders.isEmpty, folders.allSatisfy({ !$0.isEmpty }) else { return nil }
        return (title, folders)
    }

    public func run() throws {
        let start = Date()
        // Read and check everything first: a bad folder or claim fails before any tracing.
        let main = try load(folder)
        var others: [String: ResultFolder] = [:]
        let comparisonFolders = compare.map { parseComparison($0)! }
        for (_, folders) in comparisonFolders {
            for path in folders where others[path] == nil {
                let other = try load(path)
                if other.startYear != main.startYear {
                    throw UserError("\(path)/summary.json: start year \(other.startYear) differs from \(folder)'s \(main.startYear); a comparison needs one calendar")
                }
                others[path] = other
            }
        }
        let (claimList, notes) = try claims.map(loadClaims) ?? ([], [])
        let grid = TrajectoryRequest.grid(horizon: horizon, step: step)
        let bands = try trace(main, Report.series, grid)
        var traced: [String: (name: String, training: TrajectoryBands, investment: TrajectoryBands)] = [:]
        var comparisons: [Comparison] = []
        for (title, folders) in comparisonFolders {
            var runs: [(name: String, training: TrajectoryBands, investment: TrajectoryBands)] = [(main.name, bands[0], bands.last!)]
            for path in folders {
                if traced[path] == nil {
                    let b = try trace(others[path]!, [.training, .investment], grid)
                    traced[path] = (others[path]!.name, b[0], b[1])
                }
                runs.append(traced[path]!)
            }
            let runFolders = [main] + folders.map { others[$0]! }
            let seeds = Set(runFolders.map(\.seed))
            let files = runFolders.map { f in URL(fileURLWithPath: f.priorFile).lastPathComponent }.joined(separator: ", ")
            let seedText = seeds.count == 1 ? "seed \(seeds.first!)" : "seeds " + runFolders.map { "\($0.seed)" }.joined(separator: ", ")
            let traced = runs.map { "\($0.training.draws)" }
            let sources = "\(files) · \(seedText) · traces of \(Set(traced).count == 1 ? grouped(runs[0].training.draws) : traced.joined(separator: "/")) draws each"
            comparisons.append(Comparison(title: title, slug: slugOf(title), runs: runs, sources: sources))
        }
        let report = Report(folder: main, trajectories: bands, comparisons: comparisons, claims: claimList, notes: notes)
        let written: [String]
        do { written = try report.write() } catch { throw UserError(error.description) }
        if !quiet {
            let seconds = Date().timeIntervalSince(start)
            print("meek report \(folder): \(written.count - 2) figures, trajectories.csv and report.html in \(String(format: "%.2f", seconds)) s → \(folder)/report.html")
        }
    }

    func load(_ path: String) throws -> ResultFolder {
        do { return try ResultFolder(path: path) } catch { throw UserError(error.description) }
    }

    /// Bands of the run's first draws, from the prior file the run used (checked by hash).
    func trace(_ f: ResultFolder, _ series: [TrajectorySeries], _ grid: [Double]) throws -> [TrajectoryBands] {
        let prior: PriorFile
        do { prior = try PriorFile.load(path: f.priorFile) } catch {
            throw UserError("\(f.path)/summary.json: cannot retrace the run: \(error.description) (prior_file is relative to where `meek run` was started)")
        }
        guard prior.sha256 == f.priorSHA256 else {
            throw UserError("\(f.path)/summary.json: \(f.priorFile) has changed since the run (SHA-256 \(prior.sha256.prefix(12))…, the run used \(f.priorSHA256.prefix(12))…); rerun `meek run \(f.priorFile) --out \(f.path)`")
        }
        guard let sampler = SamplerKind(rawValue: f.sampler) else {
            throw UserError("\(f.path)/summary.json: provenance.sampler: unknown sampler '\(f.sampler)'")
        }
        let config = RunConfiguration(prior: prior, draws: f.draws, seed: f.seed, sampler: sampler)
        let request = TrajectoryRequest(series: series, times: grid, draws: max(2, min(trajectoryDraws, f.draws)), threads: threads)
        do { return try Engine.trajectories(config, request) } catch { throw UserError("\(f.priorFile): \(error)") }
    }

    /// `[[claim]]` tables (figure, statement, run: a folder relative to the report's, metric,
    /// paper, unit) and `[[note]]` tables (figure, text).
    func loadClaims(_ path: String) throws -> ([Claim], [(figure: String, text: String)]) {
        guard let data = FileManager.default.contents(atPath: path) else { throw UserError("\(path): cannot read the claims file") }
        let table: TOMLTable
        do throws(TOMLParseError) { table = try TOMLTable(utf8: Array(data)) } catch {
            throw UserError("\(path):\(error.line): TOML syntax: \(error.message)")
        }
        /// `FILE:LINE` of a key (of its nearest ancestor when the key is missing).
        func place(_ key: [String]) -> String { table.line(of: key).map { "\(path):\($0)" } ?? path }
        var notes: [(figure: String, text: String)] = []
        for (i, item) in (table["note"]?.array ?? TOMLArray()).enumerated() {
            guard let t = item.table, let figure = t["figure"]?.string, let text = t["text"]?.string else {
                throw UserError("\(place(["note", String(i + 1)])): note[\(i)] needs figure and text (strings)")
            }
            notes.append((figure, text))
        }
        guard let list = table["claim"]?.array else { throw UserError("\(path): no [[claim]] tables") }
        var out: [Claim] = []
        var folders: [String: ResultFolder] = [:]
        for (i, item) in list.enumerated() {
            guard let t = item.table else { throw UserError("\(place(["claim", String(i + 1)])): claim[\(i)] is not a table") }
            func string(_ k: String) throws -> String {
                guard let s = t[k]?.string else { throw UserError("\(place(["claim", String(i + 1), k])): claim[\(i)].\(k): missing or not a string") }
                return s
            }
            guard let paper = t["paper"]?.double ?? t["paper"]?.int.map(Double.init) else {
                throw UserError("\(place(["claim", String(i + 1), "paper"])): claim[\(i)].paper: missing or not a number")
            }
            let run = try string("run"), metric = try string("metric")
            let dir = run == "." ? folder : (run.hasPrefix("/") ? run : folder + "/" + run)
            let f: ResultFolder
            if let cached = folders[dir] { f = cached } else { f = try load(dir); folders[dir] = f }
            guard let m = f.metrics.first(where: { $0.id == metric }) else {
                throw UserError("\(place(["claim", String(i + 1), "metric"])): claim[\(i)].metric: '\(metric)' is not in \(dir)/summary.json (it has \(f.metrics.map(\.id).joined(separator: ", ")))")
            }
            out.append(Claim(figure: try string("figure"), statement: try string("statement"), run: f.name, metric: metric,
                             paper: paper, meek: m.quantile(0.5), unit: (t["unit"]?.string) ?? m.unit))
        }
        return (out, notes)
    }

    /// A file name from a title: its part before a colon when it has one ("Fig. 7: …" → "fig-7").
    func slugOf(_ s: String) -> String {
        let head = s.split(separator: ":", maxSplits: 1).first.map(String.init) ?? s
        let mapped = head.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
        return slug(String(mapped).split(separator: "-").joined(separator: "-"))  // cut when long
    }
}
