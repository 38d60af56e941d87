import ArgumentParser
import Foundation
import MeekEngine
import MeekPriors
import MeekReport

/// `meek run PRIORS`: the main job — sample the priors, run the gap model on every draw,
/// write credible-interval tables.
public struct RunCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the Monte Carlo analysis of a prior file and write its credible-interval tables.",
        discussion: """
            Writes summary.md, summary.csv and summary.json (and draws.npy with --save-draws) \
            into --out, default results/<prior file name>, replacing the previous run's files there \
            in one step (other files in the folder are kept). Flags override \
            the prior file's [run] settings. The same prior file and seed give identical results \
            for any --threads.
            """
    )

    @Argument(help: "The prior file (TOML), e.g. priors/baseline.toml.")
    var priors: String
    @Option(help: "Number of draws (overrides [run] draws).")
    var draws: Int?
    @Option(help: "Random seed, a whole number ≥ 0 (overrides [run] seed).")
    var seed: UInt64?
    @Option(help: "Worker threads (default: the number of cores).")
    var threads: Int?
    @Option(help: "Sampler: mc, lhs or sobol (overrides [run] sampler).")
    var sampler: String?
    @Option(help: "Output folder (default results/<prior file name>).")
    var out: String?
    @Option(help: "Run only shard i of n (0 ≤ i < n) and write its partial result into --out, for `meek merge`.")
    var shard: String?
    @Flag(help: "Also write every draw's inputs and outputs to draws.npy (NumPy; pandas reads it).")
    var saveDraws = false
    @Flag(help: "No progress display and no table on stdout.")
    var quiet = false

    public init() {}

    public func validate() throws {
        if let draws, draws <= 0 { throw ValidationError("--draws must be > 0 (got \(draws))") }
        if let threads, threads <= 0 || threads > 4096 { throw ValidationError("--threads must be from 1 to 4096 (got \(threads))") }
        if let shard, parseShard(shard) == nil {
            throw ValidationError("--shard must be i/n with 0 ≤ i < n (got '\(shard)')")
        }
        if shard != nil, saveDraws { throw ValidationError("--save-draws cannot be combined with --shard") }
        if let sampler, SamplerKind(rawValue: sampler) == nil {
            throw ValidationError("--sampler must be one of mc, lhs, sobol (got '\(sampler)')")
        }
    }

    public func run() throws {
        let prior: PriorFile
        do { prior = try PriorFile.load(path: priors) } catch { throw UserError(error.description) }
        var config = RunConfiguration(prior: prior, draws: draws, seed: seed, sampler: sampler.flatMap(SamplerKind.init),
                                      threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        config.shard = shard.flatMap(parseShard)
        config.threads = min(config.threads, max(config.blockRange.count, 1))
        let directory = out ?? "results/" + ((priors as NSString).lastPathComponent as NSString).deletingPathExtension
        let partName = config.shard.map { Partial.fileName(index: $0.index, count: $0.count) }
        // Nothing appears under --out until the whole set is written (see OutputSet).
        let set = OutputSet(directory: directory, owns: partName.map { [$0] } ?? SummaryWriter.files)

        let writer: NPYWriter?
        do {
            writer = saveDraws ? try NPYWriter(set: set, name: "draws.npy", columns: Engine.columns(config), rows: config.draws) : nil
        } catch { throw UserError(error.description) }
        let total = config.shard == nil ? config.draws
            : min(config.blockRange.upperBound * RunConfiguration.blockSize, config.draws) - config.blockRange.lowerBound * RunConfiguration.blockSize
        let reporter = Progress.forTerminal(total: total, enabled: !quiet)
        let result: RunResult
        do {
            var onProgress: (@Sendable (Int) -> Void)?
            if let reporter { onProgress = { reporter.update($0) } }
            result = try Engine.run(config, sink: writer, progress: onProgress)
        } catch {
            reporter?.finish()
            writer?.discard()
            set.discard()
            throw UserError("\(priors): \(error)")
        }
        reporter?.finish()
        if let part = config.shard, let partName {
            let file = directory + "/" + partName
            do {
                try set.write(Partial.encode(result, toolVersion: MeekVersion.string), to: partName)
                try set.commit()
            } catch { throw UserError(error.description) }
            if !quiet { print("meek run \(priors) shard \(part.index)/\(part.count): blocks \(config.blockRange) in \(String(format: "%.2f", result.wallSeconds)) s → \(file)") }
            return
        }
        let command = (["meek"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        let summaryWriter = SummaryWriter(summary: result.summary(), provenance: Provenance(result: result, command: command), prior: prior)
        do {
            try writer?.finish()
            try summaryWriter.write(to: set)
            try set.commit()
        } catch { throw UserError(error.description) }
        if !quiet {
            let markdown = summaryWriter.markdown()
            let results = markdown.components(separatedBy: "\n## ").first { $0.hasPrefix("Results") } ?? ""
            print("meek run \(priors): \(grouped(config.draws)) draws in \(String(format: "%.2f", result.wallSeconds)) s → \(directory)/\n")
            print(results.dropFirst("Results\n\n".count), terminator: "")
        }
    }
}

/// `i/n` → (i, n) with 0 ≤ i < n.
func parseShard(_ text: String) -> (index: Int, count: Int)? {
    let parts = text.split(separator: "/")
    guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n > 0, i >= 0, i < n else { return nil }
    return (i, n)
}

/// Bad input: printed as one line, exit status 2.
public struct UserError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A progress line on stderr (rate and ETA), shown only on a terminal and never in CI.
final class Progress: @unchecked Sendable {
    let total: Int
    let start = Date()
    private var lastPrint = Date.distantPast
    private let lock = NSLock()

    init(total: Int) { self.total = total }

    static func forTerminal(total: Int, enabled: Bool) -> Progress? {
        let ci = ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty && $0 != "false" && $0 != "0" } ?? false
        guard enabled, !ci, isatty(STDERR_FILENO) == 1 else { return nil }
        return Progress(total: total)
    }

    func update(_ done: Int) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(lastPrint) > 0.2 || done == total else { return }
        lastPrint = now
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let line = String(format: "\r  %@ / %@ draws (%.0f%%)  %.2f M draws/s  ETA %@ ",
                          grouped(done), grouped(total), 100 * Double(done) / Double(total), rate / 1e6, clock(eta))
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    private func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
