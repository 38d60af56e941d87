import ArgumentParser
import CGSL
import Foundation
import MeekPriors
import MeekReport

/// The `meek` command: Monte Carlo uncertainty analysis of the "Meek Models" gap model.
public struct Meek: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "meek",
        abstract: "Uncertainty analysis of the capability-gap model of \"Meek Models Shall Inherit the Earth\".",
        version: MeekVersion.string,
        subcommands: [RunCommand.self, MergeCommand.self, SlurmCommand.self, SensitivityCommand.self, ReportCommand.self, ModelCommand.self]
    )

    public init() {}

    /// The most characters of an error line after `meek: error: `.
    static let errorLineLimit = 480

    /// `message` as one line of at most `errorLineLimit` characters: control characters
    /// escaped, and a long one cut in the middle, so that both the start (what was given) and
    /// the end (which flag, and why) stay.
    static func oneLine(_ message: String) -> String {
        let escaped = PriorError.echo(message, limit: .max)
        guard escaped.count > errorLineLimit else { return escaped }
        let half = errorLineLimit / 2 - 2
        return escaped.prefix(half) + " … " + escaped.suffix(half)
    }

    /// Runs the tool on `arguments` (the process's own when `nil`) and returns the exit
    /// status: 0 on success or help, 2 on bad input with one line on stderr naming the
    /// flag, other statuses only for failures outside the user's input.
    public static func run(arguments: [String]? = nil) -> Int32 {
        // GSL's default error handler aborts the process (exit 134) on a domain error, e.g. in
        // a truncated distribution's CDF while a prior file is parsed. Off before anything
        // else runs, for every command; callers check GSL's status codes and results instead.
        meek_gsl_disable_abort()
        // Past a file-size limit (ulimit -f) a write fails with EFBIG, which the writers
        // report as an error, instead of the process being killed by SIGXFSZ.
        signal(SIGXFSZ, SIG_IGN)
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            return 0
        } catch {
            let code = exitCode(for: error)
            if code == .success {  // --help, --version
                print(fullMessage(for: error))
                return 0
            }
            if let exit = error as? ExitCode { return exit.rawValue }
            // The contract: one line. A user error is one line already (escaped here all the
            // same); ArgumentParser's message is followed by usage lines, so its first line.
            // Either is cut, so a 100 kB flag value is not echoed whole.
            let message = (error as? UserError)?.description
                ?? Meek.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            FileHandle.standardError.write(Data("meek: error: \(oneLine(message))\n".utf8))
            return 2
        }
    }
}
