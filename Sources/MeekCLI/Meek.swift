import ArgumentParser
import CGSL
import Foundation
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
            if let user = error as? UserError {
                FileHandle.standardError.write(Data("meek: error: \(user.description)\n".utf8))
                return 2
            }
            let message = Meek.message(for: error)
                .split(separator: "\n").first.map(String.init) ?? "\(error)"
            FileHandle.standardError.write(Data("meek: error: \(message)\n".utf8))
            return 2
        }
    }
}
