import Foundation
import Testing

/// `meek model` end to end: the built binary, its stdout, stderr and exit status.
@Suite struct ModelCommandTests {
    @Test func jsonCarriesEveryReferenceValue() throws {
        let run = try Meek.run(["model", "--json", "--at", "1,2,5"])
        #expect(run.status == 0)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let derived = try #require(doc["derived"] as? [String: Any])
        #expect(agrees(derived["a"], 1.36609, digits: 6))
        #expect(agrees(derived["b"], 1.27297, digits: 6))
        #expect(agrees(derived["sprt_numerator_nats"], 2.65000, digits: 6))
        let training = try #require(doc["training"] as? [String: Any])
        #expect(training["status"] as? String == "peak")
        #expect(agrees(training["peak_time_years"], 3.3589))
        #expect(agrees(training["peak_gap_nats"], 0.21177))
        #expect(agrees(training["peak_year"], 2022.359, digits: 7))
        #expect(agrees(training["sprt_tokens_at_peak"], 12.51))
        let convergence = try #require(training["convergence"] as? [[String: Any]])
        let byNats = Dictionary(uniqueKeysWithValues: convergence.filter { $0["kind"] as? String == "nats" }
            .map { ($0["threshold"] as! Double, $0["years_after_start"]) })
        #expect(agrees(byNats[0.05]!, 13.32))
        #expect(agrees(byNats[0.01]!, 21.26))
        #expect(agrees(byNats[0.001]!, 32.27))
        let inference = try #require(doc["inference"] as? [String: Any])
        #expect(agrees(inference["parity_years_after_start"], 4.10, digits: 3))
        let trajectory = try #require(doc["trajectory"] as? [[String: Any]])
        #expect(trajectory.count == 3)
        for (row, reference) in zip(trajectory, [0.12838, 0.18952, 0.19421]) {
            #expect(agrees(row["training_gap_nats"], reference))
        }
        let benchmark = try #require(doc["benchmark"] as? [[String: Any]])
        #expect(benchmark.map { $0["steps_p"] as? Int } == [1, 2, 5])
    }

    @Test func kaplanAndGPT2Budgets() throws {
        let kaplan = try Meek.run(["model", "--alpha", "0.057"])
        #expect(kaplan.status == 0)
        #expect(kaplan.stdout.contains("peak time (the paper's inflection time)            9.0749"))
        for (budget, gap) in [("25000", 0.12900), ("50000", 0.11594)] {
            let run = try Meek.run(["model", "--json", "--meek-budget-usd", budget, "--sota-budget-usd", budget])
            let doc = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
            #expect(agrees((doc["training"] as! [String: Any])["peak_gap_nats"], gap))
        }
    }

    @Test func neverIsAWordNotANumber() throws {
        let run = try Meek.run(["model", "--json", "--g-h", "1", "--g-alg", "1"])
        #expect(run.status == 0)
        for bad in [": nan", ": inf", ": -inf", "NaN"] { #expect(!run.stdout.contains(bad)) }
        let doc = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        let training = doc["training"] as! [String: Any]
        #expect(training["status"] as? String == "never peaks")
        #expect(training["peak_time_years"] as? String == "never")
        let text = try Meek.run(["model", "--g-h", "0.9", "--g-alg", "1"])
        #expect(text.stdout.contains("unbounded"))
        #expect(!text.stdout.lowercased().contains("nan"))
    }

    @Test(arguments: [
        (["model", "--g-h", "-1"], "--g-h"),
        (["model", "--g-h=-1"], "--g-h"),
        (["model", "--alpha", "abc"], "--alpha"),
        (["model", "--alpha", "nan"], "--alpha"),
        (["model", "--alpha", "0"], "--alpha"),
        (["model", "--sprt-error", "0.7"], "--sprt-error"),
        (["model", "--invest-stop-years", "-2"], "--invest-stop-years"),
        (["model", "--gap-nats", "0.1,-1"], "--gap-nats"),
        (["model", "--steps-p", "0"], "--steps-p"),
        (["model", "--at", "5:1:1"], "--at"),
        (["model", "--at", "0:1e308:1"], "--at"),  // more points than exist as an Int: trapped
        (["model", "--at", "0:40:1e-300"], "--at"),
        (["model", "--at", String(repeating: "x", count: 100_000)], "--at"),  // echo cut, not 100 kB
        (["model", "--no-such-flag"], "--no-such-flag"),
        (["model", "--alpha"], "--alpha"),
    ])
    func badInputExitsTwoWithOneLineNamingTheFlag(arguments: [String], flag: String) throws {
        let run = try Meek.run(arguments)
        #expect(run.status == 2)
        #expect(run.stdout.isEmpty)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(run.stderr)")
        #expect(run.stderr.hasPrefix("meek: error: "))
        #expect(run.stderr.contains(flag), "stderr: \(run.stderr)")
        #expect(run.stderr.count < 500, "stderr: \(run.stderr.prefix(200))…")
    }

    @Test func helpAndVersionSucceed() throws {
        let help = try Meek.run(["model", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("--g-alg"))
        #expect(help.stdout.contains("(default 5/1.4)"))
        #expect(try Meek.run(["--version"]).stdout.hasPrefix("0."))
    }

    @Test func trajectoryRanges() throws {
        let run = try Meek.run(["model", "--at", "0:2:0.5"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("Trajectories"))
        #expect(run.stdout.contains("2021.00"))
    }
}

/// Runs the built `meek` binary.
enum Meek {
    struct Result { var status: Int32; var stdout: String; var stderr: String }

    /// The `meek` executable beside the test bundle (both live in the build products folder).
    static var executable: URL {
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [bundleDirectory, bundleDirectory.deletingLastPathComponent()]
            .map { $0.appendingPathComponent("meek") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    static func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        return try collect(process)
    }
}

/// Whether a JSON number agrees with a reference to `digits` significant figures.
func agrees(_ value: Any?, _ reference: Double, digits: Int = 4) -> Bool {
    guard let x = (value as? Double) ?? (value as? Int).map(Double.init) else { return false }
    let exponent = floor(log10(abs(reference)))
    return abs(x - reference) <= 0.5 * pow(10, exponent - Double(digits - 1))
}

/// Starts `process` and returns its exit status and output. Both pipes are drained at once:
/// reading one to its end while the child fills the other past a pipe's 64 KiB would wait
/// forever.
func collect(_ process: Process) throws -> Meek.Result {
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    nonisolated(unsafe) var stderr = Data()
    let done = DispatchSemaphore(value: 0)
    Thread { stderr = err.fileHandleForReading.readDataToEndOfFile(); done.signal() }.start()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    done.wait()
    process.waitUntilExit()
    return Meek.Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                       stderr: String(decoding: stderr, as: UTF8.self))
}
