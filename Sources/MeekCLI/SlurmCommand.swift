import ArgumentParser
import Foundation
import MeekPriors
import MeekReport

/// `meek slurm PRIORS --shards n`: a Slurm array job for the shards of a run and a merge job
/// that waits for it, written as scripts (and submitted with `--submit`).
public struct SlurmCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "slurm",
        abstract: "Write (or submit) a Slurm array job running the shards of a run, and a merge job that depends on it.",
        discussion: """
            Writes <out>/slurm/shards.sbatch (an array of n tasks, each `meek run --shard i/n`), \
            merge.sbatch (`meek merge`) and submit.sh (submits the array, then the merge with \
            --dependency=afterok). With --submit, runs submit.sh and prints the job ids. One command \
            on the login node runs the whole job.
            """
    )

    @Argument(help: "The prior file (TOML).")
    var priors: String
    @Option(help: "Number of shards (array tasks).")
    var shards: Int
    @Option(help: "Draws (overrides the prior file's).")
    var draws: Int?
    @Option(help: "Seed (overrides the prior file's).")
    var seed: UInt64?
    @Option(help: "Slurm partition (sbatch --partition).")
    var partition: String?
    @Option(help: "Time limit per task (sbatch --time), e.g. 01:00:00.")
    var time: String?
    @Option(name: .customLong("cpus-per-task"), help: "Cores per shard (sbatch --cpus-per-task; meek uses them as threads).")
    var cpusPerTask: Int = 1
    @Option(help: "Output folder of the merged result (default results/<prior file name>); partials go to <out>/parts.")
    var out: String?
    @Option(help: "The meek binary the jobs run (default: this one).")
    var meek: String?
    @Flag(help: "Submit the jobs now (needs sbatch).")
    var submit = false

    public init() {}

    /// The absolute path of the running `meek` binary. `CommandLine.arguments[0]` is only
    /// the name typed when meek was found on PATH (`meek slurm ...`), which the jobs would
    /// then look for in their working folder; /proc/self/exe is the file itself.
    static func runningExecutable(cwd: String) -> String {
        if let path = realpath("/proc/self/exe", nil) {
            defer { free(path) }
            return String(cString: path)
        }
        let name = CommandLine.arguments[0]
        return name.hasPrefix("/") ? name : cwd + "/" + name
    }

    public func validate() throws {
        if shards <= 0 { throw ValidationError("--shards must be > 0 (got \(shards))") }
        if cpusPerTask <= 0 { throw ValidationError("--cpus-per-task must be > 0 (got \(cpusPerTask))") }
        if let draws, draws <= 0 { throw ValidationError("--draws must be > 0 (got \(draws))") }
    }

    public func run() throws {
        do { _ = try PriorFile.load(path: priors) } catch { throw UserError(error.description) }
        let cwd = FileManager.default.currentDirectoryPath
        func absolute(_ p: String) -> String { p.hasPrefix("/") ? p : cwd + "/" + p }
        let name = ((priors as NSString).lastPathComponent as NSString).deletingPathExtension
        let output = absolute(out ?? "results/" + name)
        let parts = output + "/parts", scripts = output + "/slurm"
        let binary = meek.map(absolute) ?? Self.runningExecutable(cwd: cwd)
        let extra = (draws.map { " --draws \($0)" } ?? "") + (seed.map { " --seed \($0)" } ?? "")
        // Jobs run in this folder, so the prior file's path (and provenance) reads as given.
        var header = "#!/bin/bash\n#SBATCH --job-name=meek-\(name)\n#SBATCH --chdir=\(cwd)\n"
        if let partition { header += "#SBATCH --partition=\(partition)\n" }
        if let time { header += "#SBATCH --time=\(time)\n" }
        let shardsScript = header + """
            #SBATCH --array=0-\(shards - 1)
            #SBATCH --cpus-per-task=\(cpusPerTask)
            #SBATCH --output=\(scripts)/shard-%a.log
            # One shard of \(priors): a contiguous range of the run's blocks. A failed task can be
            # rerun alone (sbatch --array=<i> shards.sbatch); its partial replaces nothing until complete.
            set -euo pipefail
            exec '\(binary)' run '\(priors)'\(extra) --shard "${SLURM_ARRAY_TASK_ID}/\(shards)" --threads \(cpusPerTask) --out '\(parts)' --quiet

            """
        let mergeScript = header + """
            #SBATCH --output=\(scripts)/merge.log
            # Merges the \(shards) partial results into the outputs one process would write.
            set -euo pipefail
            exec '\(binary)' merge '\(parts)' --out '\(output)'

            """
        let submitScript = """
            #!/bin/bash
            # Submits the shards, then the merge once every shard has succeeded.
            set -euo pipefail
            cd '\(scripts)'
            array=$(sbatch --parsable shards.sbatch)
            merge=$(sbatch --parsable --dependency=afterok:${array%%;*} merge.sbatch)
            echo "shards: job ${array%%;*} (\(shards) tasks); merge: job ${merge%%;*} → \(output)"

            """
        // The scripts replace the previous ones in one step; the shards' partials go to
        // parts/ (created by the first shard to finish).
        let set = OutputSet(directory: output, owns: ["slurm"])
        do {
            try set.write(shardsScript, to: "slurm/shards.sbatch")
            try set.write(mergeScript, to: "slurm/merge.sbatch")
            try set.write(submitScript, to: "slurm/submit.sh")
            chmod(try set.stagedPath("slurm/submit.sh"), 0o755)
            try set.commit()
        } catch { throw UserError(error.description) }
        guard submit else {
            print("meek slurm: wrote \(scripts)/shards.sbatch, merge.sbatch, submit.sh — run \(scripts)/submit.sh on the login node")
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [scripts + "/submit.sh"]
        do { try process.run() } catch { throw UserError("cannot run \(scripts)/submit.sh: \(error)") }
        process.waitUntilExit()
        if process.terminationStatus != 0 { throw UserError("submitting failed (sbatch exit \(process.terminationStatus)); the scripts are in \(scripts)") }
    }
}
