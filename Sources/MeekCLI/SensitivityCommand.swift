import ArgumentParser
import Dispatch
import Foundation
import MeekEngine
import MeekPriors
import MeekReport
import MeekSensitivity

/// `meek sensitivity PRIORS`: which prior drives the uncertainty of each metric.
public struct SensitivityCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "sensitivity",
        abstract: "Which prior drives the uncertainty: Sobol' indices, rank correlations and a tornado for every metric.",
        discussion: """
            Writes sensitivity.md, sensitivity.csv and sensitivity.json into --out (default \
            results/<prior file name>), replacing the previous analysis's files there in one step. Inputs sampled together (a joint table, a \
            copula) form one factor; convergence and parity times are analysed on log(1 + years).
            """
    )

    @Argument(help: "The prior file (TOML), e.g. priors/baseline.toml.")
    var priors: String
    @Option(help: "Base sample size N of the Saltelli design: a power of two (model runs: N·(factors + 2)).")
    var base: Int = 1 << 14
    @Option(help: "Bootstrap resamples for the intervals of the indices (> 0).")
    var bootstrap: Int = 1000
    @Option(help: "Level of the bootstrap intervals, in (0, 1).")
    var level: Double = 0.95
    @Option(name: .customLong("rank-draws"), help: "Plain Monte Carlo draws for the rank correlations.")
    var rankDraws: Int = 1 << 15
    @Option(help: "Seed (default: the prior file's).")
    var seed: UInt64?
    @Option(help: "Report only these factors and inputs, comma-separated (each must be uncertain).")
    var inputs: String?
    @Option(help: "Output folder (default results/<prior file name>).")
    var out: String?
    @Option(help: "Evaluate only shard i of n of the design's points and write them into --out (the expensive part).")
    var shard: String?
    @Option(name: .customLong("from-parts"), help: "Finish the analysis from the shards' partials in this folder.")
    var fromParts: String?
    @Flag(help: "No table on stdout.")
    var quiet = false

    public init() {}

    public func validate() throws {
        if base <= 0 || base & (base - 1) != 0 {
            throw ValidationError("--base must be a power of two for the Sobol' sampler (got \(base))")
        }
        if bootstrap <= 0 { throw ValidationError("--bootstrap must be > 0 (got \(bootstrap))") }
        if !(level > 0 && level < 1) { throw ValidationError("--level must be in (0, 1) (got \(level))") }
        if rankDraws <= 2 { throw ValidationError("--rank-draws must be > 2 (got \(rankDraws))") }
        if let shard, parseShard(shard) == nil { throw ValidationError("--shard must be i/n with 0 ≤ i < n (got '\(shard)')") }
        if shard != nil, fromParts != nil { throw ValidationError("--shard and --from-parts exclude each other") }
    }

    public func run() throws {
        let prior: PriorFile
        do { prior = try PriorFile.load(path: priors) } catch { throw UserError(error.description) }
        let metrics = MetricSet(prior.metrics, sprtTokensAtPeak: prior.sprtTokensAtPeak,
                                inferenceGapAtPeak: prior.inferenceGapAtPeak)
        let directory = out ?? "results/" + ((priors as NSString).lastPathComponent as NSString).deletingPathExtension
        let ids = metrics.definitions.map(\.id)
        if let part = shard.flatMap(parseShard) {
            do {
                let (range, values, total) = try SensitivityAnalysis.evaluateShard(prior: prior, metrics: metrics, baseSize: base,
                                                                                   index: part.index, count: part.count)
                let data = SensitivityPartial.encode(prior: prior, baseSize: base, metricIDs: ids, index: part.index, count: part.count,
                                                     range: range, total: total, values: values, version: MeekVersion.string)
                let name = SensitivityPartial.fileName(index: part.index, count: part.count)
                let set = OutputSet(directory: directory, owns: [name])
                try set.write(data, to: name)
                try set.commit()
                let file = directory + "/" + name
                if !quiet { print("meek sensitivity \(priors) shard \(part.index)/\(part.count): points \(range) → \(file)") }
            } catch { throw UserError("\(priors): \(error)") }
            return
        }
        var designValues: [[Double]]?
        if let fromParts {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: fromParts)) ?? [])
                .filter { $0.hasPrefix("sensitivity-part-") && $0.hasSuffix(".meekpart") }.sorted()
            guard !names.isEmpty else { throw UserError("--from-parts: no sensitivity partials in \(fromParts)") }
            do {
                var parts: [SensitivityPartial.Loaded] = []
                for name in names { parts.append(try SensitivityPartial.load(fromParts + "/" + name)) }
                designValues = try SensitivityPartial.join(parts, prior: prior, baseSize: base, metricIDs: ids, version: MeekVersion.string)
            } catch { throw UserError(error.description) }
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let analysis: SensitivityAnalysis
        do {
            analysis = try SensitivityAnalysis(prior: prior, metrics: metrics, baseSize: base, bootstrap: bootstrap,
                                               level: level, rankDraws: rankDraws, seed: seed, designValues: designValues)
        } catch { throw UserError("\(priors): \(error)") }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var only: Set<String>?
        if let inputs {
            let names = inputs.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            let known = Set(analysis.factors.map(\.name) + analysis.inputs)
            if let bad = names.first(where: { !known.contains($0) }) {
                throw UserError("--inputs: '\(bad)' is not an uncertain input of \(priors) (uncertain: \(known.sorted().joined(separator: ", ")))")
            }
            only = Set(names)
        }
        let command = (["meek"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        let writer = SensitivityWriter(analysis: analysis, prior: prior, command: command, wallSeconds: seconds, only: only)
        let set = OutputSet(directory: directory, owns: SensitivityWriter.files)
        do {
            try writer.write(to: set)
            try set.commit()
        } catch { throw UserError(error.description) }
        if !quiet {
            print("meek sensitivity \(priors): \(grouped(base * (analysis.factors.count + 2))) model runs in \(String(format: "%.2f", seconds)) s → \(directory)/")
            let md = writer.markdown()
            if let first = md.components(separatedBy: "\n## ").dropFirst().first { print("\n## " + first) }
        }
    }
}
