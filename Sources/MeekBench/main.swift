// meek-bench: throughput and memory of the Monte Carlo engine (run by `make bench`).
//
// Measures draws per second of priors/baseline.toml for the default metrics (peak time,
// peak gap, convergence at 0.01 nats, inference parity) at 1 and 2 threads, in one
// process, best of several repetitions; then the peak memory of a 10^8-draw `meek run`.
import Foundation
import MeekEngine
import MeekModel
import MeekPriors
import MeekSensitivity
import MeekCPU
import CGSL

meek_gsl_disable_abort()  // GSL must never abort the process; results are checked instead
let arguments = CommandLine.arguments
func option(_ name: String) -> String? {
    arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
}
let priorPath = option("--priors") ?? "priors/baseline.toml"
let draws = Int(option("--draws") ?? "") ?? 4_000_000
let repeats = Int(option("--repeats") ?? "") ?? 3
let big = Int(option("--big") ?? "") ?? 100_000_000
let meekBinary = option("--meek") ?? ".build/release/meek"

let prior: PriorFile
do { prior = try PriorFile.load(path: priorPath) } catch { print("meek-bench: \(error)"); exit(2) }
var metrics = Metrics()
metrics.gapNats = arguments.contains("--no-convergence") ? [] : [0.01]
metrics.peakFractions = []
metrics.sprtTokens = []
metrics.benchmarkSteps = []
let metricSet = MetricSet(metrics)

print("meek-bench: \(priorPath), \(metricSet.definitions.map(\.id).joined(separator: ", "))"); fflush(nil)
print("  \(draws) draws per run, best of \(repeats); \(ProcessInfo.processInfo.activeProcessorCount) cores; \(meek_cpu_tuned() == 1 ? "tuned for AVX2" : "portable") build"); fflush(nil)
for (stage, ns) in StageTiming.measure(RunConfiguration(prior: prior, seed: 1, sampler: .mc, metrics: metricSet), draws: 1 << 20) {
    print(String(format: "  stage %-22@ %7.1f ns/draw (1 thread)", stage, ns)); fflush(nil)
}
var rates: [Int: Double] = [:]
for threads in [1, 2] {
    var best = Double.infinity
    for _ in 0..<repeats {
        let config = RunConfiguration(prior: prior, draws: draws, seed: 1, sampler: .mc, threads: threads, metrics: metricSet)
        do {
            let result = try Engine.run(config)
            best = min(best, result.wallSeconds)
        } catch { print("meek-bench: \(error)"); exit(1) }
    }
    rates[threads] = Double(draws) / best
    print(String(format: "  %d thread%@: %7.2f M draws/s  (%.3f s for %d draws)", threads, threads == 1 ? " " : "s",
                 rates[threads]! / 1e6, best, draws))
}
print(String(format: "  2 threads / 1 thread: %.2fx", rates[2]! / rates[1]!)); fflush(nil)
var usage = rusage()
getrusage(RUSAGE_SELF.rawValue, &usage)
print(String(format: "  peak memory of this process: %.0f MiB", Double(usage.ru_maxrss) / 1024)); fflush(nil)

if !arguments.contains("--no-sensitivity") { do {
    // Sobol' analysis of the prior file at 2^14 base samples: every metric it asks for,
    // with a 1000-resample bootstrap (the same as `meek sensitivity` by default).
    let all = MetricSet(prior.metrics, sprtTokensAtPeak: prior.sprtTokensAtPeak, inferenceGapAtPeak: prior.inferenceGapAtPeak)
    let start = Date()
    let analysis = try SensitivityAnalysis(prior: prior, metrics: all, baseSize: 1 << 14, bootstrap: 1000)
    let seconds = Date().timeIntervalSince(start)
    print(String(format: "  sensitivity, base 2^14, %d metrics, %d factors, bootstrap 1000: %.2f s (%d model runs)",
                 all.count, analysis.factors.count, seconds, (1 << 14) * (analysis.factors.count + 2))); fflush(nil)
} catch { print("meek-bench: \(error)"); exit(1) } }

if big > 0, FileManager.default.isExecutableFile(atPath: meekBinary) {
    let out = NSTemporaryDirectory() + "meek-bench-\(getpid())"
    let child = Process()
    child.executableURL = URL(fileURLWithPath: meekBinary)
    child.arguments = ["run", priorPath, "--draws", String(big), "--quiet", "--out", out]
    let start = Date()
    do { try child.run() } catch { print("meek-bench: cannot start \(meekBinary)"); exit(1) }
    child.waitUntilExit()
    let seconds = Date().timeIntervalSince(start)
    var childUsage = rusage()
    getrusage(RUSAGE_CHILDREN.rawValue, &childUsage)
    try? FileManager.default.removeItem(atPath: out)
    print(String(format: "  meek run --draws %d (all baseline metrics, 2 threads): %.1f s, %.2f M draws/s, peak memory %.0f MiB, exit %d",
                 big, seconds, Double(big) / seconds / 1e6, Double(childUsage.ru_maxrss) / 1024, child.terminationStatus))
}
