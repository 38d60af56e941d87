import ArgumentParser
import Foundation
import MeekEngine
import MeekReport

/// `meek merge`: combine the partial results of a sharded run into the outputs one process
/// writes.
public struct MergeCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the partial results of `meek run --shard i/n` into summary tables.",
        discussion: """
            Takes partial files (part-i-of-n.meekpart) or folders holding them. With the same prior \
            file and seed, n shards merged give the same outputs as one process, bit for bit but for \
            the wall time, thread count and command. Refuses partials of different runs, a missing or \
            duplicated shard, and truncated or corrupted files.
            """
    )

    @Argument(help: "Partial files, or folders holding them.")
    var partials: [String]
    @Option(help: "Output folder for summary.md, summary.csv and summary.json.")
    var out: String
    @Flag(help: "No table on stdout.")
    var quiet = false

    public init() {}

    public func run() throws {
        var files: [String] = []
        for path in partials {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw UserError("\(path): no such file or folder")
            }
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                files += names.filter { $0.hasSuffix("." + Partial.fileExtension) }.sorted().map { path + "/" + $0 }
            } else {
                files.append(path)
            }
        }
        guard !files.isEmpty else { throw UserError("no partial results (*.\(Partial.fileExtension)) in \(partials.joined(separator: ", "))") }
        let result: RunResult
        do {
            var loaded: [Partial.Loaded] = []
            for f in files { loaded.append(try Partial.load(f)) }
            result = try Partial.merge(loaded)
        } catch { throw UserError(error.description) }
        let command = (["meek"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        let writer = SummaryWriter(summary: result.summary(), provenance: Provenance(result: result, command: command),
                                   prior: result.configuration.prior)
        let set = OutputSet(directory: out, owns: SummaryWriter.files)
        do {
            try writer.write(to: set)
            try set.commit()
        } catch { throw UserError(error.description) }
        if !quiet { print("meek merge: \(files.count) partial results → \(out)/") }
    }
}
