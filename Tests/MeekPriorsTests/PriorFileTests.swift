import CGSL
import Foundation
import MeekModel
@testable import MeekPriors
import Testing

/// Parses prior-file text as if it were `test.toml` in the repository's priors folder.
func parsePrior(_ text: String) throws(PriorError) -> PriorFile {
    try PriorFile.parse(text, path: "test.toml", directory: priorsDirectory)
}

let priorsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("priors").path

/// The error a prior text raises (or nil).
func priorError(_ text: String) -> PriorError? {
    do { _ = try parsePrior(text); return nil } catch { return error }
}

@Suite struct PriorParsingTests {
    @Test func everyDistributionParses() throws {
        let p = try parsePrior("""
            [inputs]
            g_h = { dist = "lognormal", median = 1.4, sigma10 = 0.025 }
            g_alg = { dist = "lognormal", p5 = 1.8, p95 = 5.3 }
            g_c = { dist = "lognormal", mean = 4.7, sd = 0.5 }
            g_i = "g_c / g_h + 0 * (n + u + lu + be + pe + tr + ga + st + ch + tn)"
            n = { dist = "normal", mean = 1, sd = 2 }
            u = { dist = "uniform", min = 0, max = 2 }
            lu = { dist = "loguniform", min = 1, max = 100 }
            be = { dist = "beta", a = 2, b = 5 }
            pe = { dist = "pert", min = 0, mode = 1, max = 4 }
            tr = { dist = "triangular", min = 0, mode = 1, max = 4 }
            ga = { dist = "gamma", shape = 2, scale = 3 }
            st = { dist = "student_t", nu = 3, location = 1, scale = 2 }
            ch = { dist = "choice", values = [1, 2, 3], weights = [1, 1, 2] }
            tn = { dist = "normal", mean = 0, sd = 1, truncate = [0, inf] }
            """)
        let defs = p.scenarios[0].definitions
        guard case .random(let gAlg) = defs["g_alg"], case .lognormal(let mu, let sigma) = gAlg.distribution else {
            Issue.record("g_alg"); return
        }
        // Two percentiles pin the lognormal: its 5th and 95th are the given values.
        #expect(abs(exp(mu + sigma * gsl_cdf_ugaussian_Pinv(0.05)) - 1.8) < 1e-12)
        #expect(abs(exp(mu + sigma * gsl_cdf_ugaussian_Pinv(0.95)) - 5.3) < 1e-12)
        guard case .random(let gC) = defs["g_c"], case .lognormal(let mu2, let s2) = gC.distribution else {
            Issue.record("g_c"); return
        }
        #expect(abs(exp(mu2 + s2 * s2 / 2) - 4.7) < 1e-12)  // lognormal mean
        guard case .random(let gH) = defs["g_h"], case .lognormal(let mu3, let s3) = gH.distribution else {
            Issue.record("g_h"); return
        }
        #expect(abs(mu3 - log(1.4)) < 1e-15 && abs(s3 - 0.025 * log(10)) < 1e-15)
        #expect(p.scenarios[0].order.firstIndex(of: "g_i")! > p.scenarios[0].order.firstIndex(of: "g_c")!)
        // Inputs not given take the paper's values.
        #expect(defs["alpha"] == .fixed(0.154))
        #expect(p.uncertainInputs.contains("g_i") && !p.uncertainInputs.contains("alpha"))
    }

    @Test func derivedInputsAndFormulas() throws {
        let e = try Formula.parse("2^(12 / doubling_months) - -1 + log10(100) * max(1, 2)")
        #expect(abs(e.evaluate { _ in 8 } - (pow(2, 1.5) + 1 + 4)) < 1e-12)
        #expect(try Formula.parse("2^3^2").evaluate { _ in 0 } == 512)  // right-associative
        #expect(try Formula.parse("-2^2").evaluate { _ in 0 } == -4)
        #expect(throws: FormulaError.self) { try Formula.parse("1 +") }
        #expect(throws: FormulaError.self) { try Formula.parse("foo(1)") }
    }

    @Test func runSettingsAndMetrics() throws {
        let p = try parsePrior("""
            [run]
            draws = 5_000
            seed = 42
            sampler = "lhs"
            start_year = 2020
            quantiles = [0.1, 0.9]
            [metrics]
            gap_nats = [0.02]
            benchmark_steps = [1, 5]
            """)
        #expect(p.run.draws == 5000 && p.run.seed == 42 && p.run.sampler == .lhs && p.run.startYear == 2020)
        #expect(p.metrics.gapNats == [0.02] && p.metrics.benchmarkSteps == [1, 5])
    }

    @Test func scenariosAndJointTables() throws {
        let p = try PriorFile.load(path: priorsDirectory + "/baseline.toml")
        #expect(p.scenarios.map(\.name) == ["chinchilla", "besiroglu"])
        #expect(p.scenarios.map(\.weight) == [0.5, 0.5])
        let besiroglu = p.scenarios[1]
        #expect(besiroglu.tables.count == 1 && besiroglu.tables[0].rowCount == 4000)
        #expect(besiroglu.definitions["alpha"] == .joint(table: 0))
        #expect(besiroglu.tables[0].columns["A"]![0] == 2334.85)  // K_C of the first row
        #expect(p.scenarios[0].definitions["alpha"] == .fixed(0.154))
        #expect(p.sha256.count == 64)
    }

    @Test func copulaConvertsRankCorrelation() throws {
        let p = try parsePrior("""
            [inputs]
            g_h = { dist = "lognormal", median = 1.4, sigma = 0.05 }
            g_alg = { dist = "lognormal", median = 2.8, sigma = 0.3 }
            [copula]
            inputs = ["g_h", "g_alg"]
            rank_correlation = [[1, 0.5], [0.5, 1]]
            """)
        let l = try #require(p.copula).cholesky
        #expect(abs(l[1][0] - 2 * sin(Double.pi * 0.5 / 6)) < 1e-15)  // Pearson of the normal scores
    }

    @Test func sha256MatchesNISTVectors() {
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(String(repeating: "a", count: 1000)).count == 64)
    }
}

/// Every malformed prior file: a clear error naming the key (and line where the key is
/// on one), never a crash.
@Suite struct BadPriorTests {
    static let cases: [(name: String, text: String, key: String, line: Int?, says: String)] = [
        ("unknown distribution", "[inputs]\ng_h = { dist = \"lognormal2\", median = 1.4, sigma = 0.1 }", "inputs.g_h.dist", 2, "unknown distribution"),
        ("unknown input", "[inputs]\ng_hh = 1.4", "inputs.g_hh", 2, "did you mean 'g_h'"),
        ("missing spread", "[inputs]\ng_h = { dist = \"lognormal\", median = 1.4 }", "inputs.g_h", 2, "needs sigma"),
        ("negative spread", "[inputs]\ng_h = { dist = \"lognormal\", median = 1.4, sigma = -0.1 }", "inputs.g_h.sigma", 2, "must be > 0"),
        ("percentiles out of order", "[inputs]\ng_h = { dist = \"lognormal\", p5 = 5.3, p95 = 1.8 }", "inputs.g_h.p95", 2, "out of order"),
        ("truncation without mass", "[inputs]\ng_h = { dist = \"uniform\", min = 1, max = 2, truncate = [3, 4] }", "inputs.g_h.truncate", 2, "excludes all"),
        ("impossible support", "\n[inputs]\ng_h = { dist = \"normal\", mean = 1.4, sd = 0.1 }", "inputs.g_h", 3, "allows values ≤ 0"),
        ("alpha support", "[inputs]\nalpha = { dist = \"uniform\", min = 0, max = 0.2 }", "inputs.alpha", 2, "allows values ≤ 0"),
        ("negative fixed growth", "[inputs]\ng_i = -2", "inputs.g_i", 2, "must be > 0"),
        ("bad correlation", "[inputs]\ng_h = { dist = \"lognormal\", median = 1.4, sigma = 0.1 }\ng_alg = { dist = \"lognormal\", median = 2.8, sigma = 0.1 }\ng_i = { dist = \"lognormal\", median = 3.5, sigma = 0.1 }\n[copula]\ninputs = [\"g_h\", \"g_alg\", \"g_i\"]\nrank_correlation = [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]", "copula.rank_correlation", 7, "not positive definite"),
        ("missing data file", "[[joint]]\nfile = \"data/nope.csv\"\ncolumns = { alpha = \"alpha_C\" }", "joint[1].file", 2, "not found"),
        ("missing column", "[[joint]]\nfile = \"data/besiroglu2024-bootstrap.csv\"\ncolumns = { alpha = \"alpha_X\" }", "joint[1].columns.alpha", 3, "no column"),
        ("zero draws", "[run]\ndraws = 0", "run.draws", 2, "must be a whole number from 1 to 2^50"),
        ("negative draws", "[run]\ndraws = -5", "run.draws", 2, "from 1 to 2^50"),
        ("cycle", "[inputs]\ng_i = \"g_c / g_h\"\ng_c = \"g_i * g_h\"", "inputs.g_c", 3, "cycle"),
        ("unknown name in expression", "[inputs]\ng_i = \"g_cc / g_h\"", "inputs.g_i", 2, "'g_cc', which is not defined"),
        ("bad expression", "[inputs]\ng_i = \"g_c / \"", "inputs.g_i", 2, "expression"),
        ("unknown key", "[run]\ndraw = 10", "run.draw", 2, "unknown key"),
        ("unknown table", "[inptus]\ng_h = 1", "inptus", 1, "unknown key"),
        ("sampler", "[run]\nsampler = \"quasi\"", "run.sampler", 2, "must be one of"),
        ("scenario weight", "[[scenario]]\nname = \"a\"\nweight = 0", "scenario[1].weight", 3, "must be > 0"),
        ("start_year as input", "[inputs]\nstart_year = 2020", "inputs.start_year", 2, "run setting"),
        ("typo in distribution field", "[inputs]\ng_h = { dist = \"lognormal\", median = 1.4, sigmaa = 0.1 }", "inputs.g_h.sigmaa", 2, "unknown key"),
        ("quantile out of range", "[run]\nquantiles = [0.5, 1.5]", "run.quantiles", 2, "in (0, 1)"),
        // A mistake under [inputs] is reported there, not at the first scenario inheriting it.
        ("inherited input typo", "[inputs]\ng_hh = 1.4\n[[scenario]]\nname = \"a\"\nweight = 1\n[[scenario]]\nname = \"b\"\nweight = 1",
         "inputs.g_hh", 2, "did you mean 'g_h'"),
        ("inherited bad support", "[inputs]\ng_h = { dist = \"normal\", mean = 1.4, sd = 0.1 }\n[[scenario]]\nname = \"a\"\nweight = 1",
         "inputs.g_h", 2, "allows values ≤ 0"),
        ("scenario's own typo", "[inputs]\ng_h = 1.4\n[[scenario]]\nname = \"a\"\nweight = 1\n[[scenario]]\nname = \"b\"\nweight = 1\ninputs = { g_ii = 2 }",
         "scenario[2].inputs.g_ii", 9, "did you mean 'g_i'"),
    ]

    @Test(arguments: cases.map(\.name))
    func badPriorIsAClearError(name: String) throws {
        let c = Self.cases.first { $0.name == name }!
        let error = try #require(priorError(c.text), "\(name) was accepted")
        #expect(error.file == "test.toml")
        #expect(error.key == c.key, "\(error)")
        #expect(error.line == c.line, "\(error)")
        #expect(error.message.contains(c.says), "\(error)")
        #expect(error.description.hasPrefix("test.toml:\(c.line.map(String.init) ?? "")"))
    }

    @Test func tomlSyntaxErrorHasItsLine() throws {
        let error = try #require(priorError("[run]\ndraws = 10\nseed = = 3\n"))
        #expect(error.line == 3)
        #expect(error.message.contains("TOML syntax"))
    }

    /// Tables with CR LF line ends, quoted cells and blank lines read as plain ones; a cell
    /// that is not a number is named by its line.
    @Test func jointTableLinesAndBadCells() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("meek-csv-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "a,\"b\"\r\n0.15, 1000\r\n\r\n\"0.2\",2000\r\n".write(to: dir.appendingPathComponent("good.csv"), atomically: true, encoding: .utf8)
        try "a,b\n0.15,1000\n0.2,x\n".write(to: dir.appendingPathComponent("bad.csv"), atomically: true, encoding: .utf8)
        func prior(_ file: String) -> String { "[[joint]]\nfile = \"\(dir.path)/\(file)\"\ncolumns = { alpha = \"a\", A = \"b\" }\n" }
        let p = try PriorFile.parse(prior("good.csv"), path: "test.toml", directory: priorsDirectory)
        let table = try #require(p.scenarios.first?.tables.first)
        #expect(table.rowCount == 2)
        #expect(table.columns["alpha"] == [0.15, 0.2] && table.columns["A"] == [1000, 2000])
        let error = try #require(priorError(prior("bad.csv")))
        #expect(error.message.contains("line 3: column 'b' is not a finite number"), "\(error)")
    }

    @Test func missingPriorFile() {
        #expect(throws: PriorError.self) { try PriorFile.load(path: "/nonexistent/x.toml") }
    }
}

/// A temporary folder, removed when `body` returns.
func withTemporaryFolder<T>(_ body: (URL) throws -> T) throws -> T {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("meek-priors-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    return try body(dir)
}

/// Hostile and extreme inputs (issue 13): each is one clear error naming its key and line.
@Suite struct HostilePriorTests {
    init() { meek_gsl_disable_abort() }

    func expectError(_ text: String, key: String, line: Int?, says: String,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        guard let error = priorError(text) else {
            Issue.record("accepted", sourceLocation: sourceLocation); return
        }
        #expect(error.key == key, "\(error)", sourceLocation: sourceLocation)
        #expect(error.line == line, "\(error)", sourceLocation: sourceLocation)
        #expect(error.message.contains(says), "\(error)", sourceLocation: sourceLocation)
        #expect(!error.description.contains("\n") && error.description.count < 600, sourceLocation: sourceLocation)
    }

    /// Deep nesting used to overflow the stack (exit 139); long chains too.
    @Test func expressionDepthAndLengthAreBounded() {
        let deep = String(repeating: "(", count: 400) + "1" + String(repeating: ")", count: 400)
        expectError("[inputs]\ng_i = \"\(deep)\"", key: "inputs.g_i", line: 2, says: "nested deeper than 64 levels")
        let deeper = String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000)
        expectError("[inputs]\ng_i = \"\(deeper)\"", key: "inputs.g_i", line: 2, says: "longer than 1000 characters")
        expectError("[inputs]\ng_i = \"\(String(repeating: "-", count: 10_000))1\"", key: "inputs.g_i", line: 2,
                    says: "longer than 1000 characters")
        expectError("[inputs]\ng_i = \"\(String(repeating: "-", count: 900))1\"", key: "inputs.g_i", line: 2,
                    says: "nested deeper than 64 levels")
        let chain = Array(repeating: "1", count: 100).joined(separator: " + ")
        expectError("[inputs]\ng_i = \"\(chain)\"", key: "inputs.g_i", line: 2, says: "nested deeper than 64 levels")
        let ok = String(repeating: "(", count: 60) + "g_h" + String(repeating: ")", count: 60)
        #expect(priorError("[inputs]\ng_i = \"\(ok)\"") == nil)
    }

    /// Sizes that overflowed or exhausted memory are bounded, with the bound in the message.
    @Test func sizesAreBounded() {
        expectError("[run]\ndraws = 9223372036854775807", key: "run.draws", line: 2,
                    says: "must be a whole number from 1 to 2^50 = 1125899906842624 (got 9223372036854775807)")
        #expect(priorError("[run]\ndraws = 1125899906842624") == nil)
        expectError("[run]\nseed = -1", key: "run.seed", line: 2, says: "must be a whole number >= 0 (got -1)")
        let many = "[" + Array(repeating: "0.5", count: 100_000).joined(separator: ", ") + "]"
        expectError("[metrics]\ngap_nats = \(many)", key: "metrics.gap_nats", line: 2, says: "has 100000 entries; at most 32 are allowed")
        let thirtyThree = "[" + Array(repeating: "0.5", count: 33).joined(separator: ", ") + "]"
        for (table, name) in [("run", "quantiles"), ("run", "credible_levels"), ("metrics", "peak_fractions"),
                              ("metrics", "sprt_tokens"), ("metrics", "benchmark_points")] {
            expectError("[\(table)]\n\(name) = \(thirtyThree)", key: "\(table).\(name)", line: 2, says: "has 33 entries; at most 32")
        }
        expectError("[run]\nconverge_by = [2030, 1e308]", key: "run.converge_by", line: 2, says: "years must be in 1900.0...3000.0 (got 1e+308)")
        expectError("[run]\nstart_year = 1e308", key: "run.start_year", line: 2, says: "must be in 1900.0...2200.0 (got 1e+308)")
        let values = "[" + (0..<1001).map(String.init).joined(separator: ", ") + "]"
        expectError("[inputs]\nn = { dist = \"choice\", values = \(values) }\ng_i = \"n + 1\"", key: "inputs.n.values", line: 2,
                    says: "has 1001 entries; at most 1000")
    }

    /// Parameters GSL cannot take (beta's inverse looped forever at 1e308) and derived ones
    /// that overflow are refused, naming the key.
    @Test func absurdParametersAreRefused() {
        expectError("[inputs]\ng_i = { dist = \"beta\", a = 1e308, b = 1e308, min = 1, max = 2 }", key: "inputs.g_i.a", line: 2,
                    says: "must be in 0.001...100000.0 (got 1e+308)")
        expectError("[inputs]\ng_i = { dist = \"pert\", min = 1, mode = 1.5, max = 2, lambda = 1e308 }", key: "inputs.g_i.lambda", line: 2,
                    says: "gives beta shapes a = 5e+307, b = 5e+307; each must be in 0.001...100000.0 (lower lambda)")
        expectError("[inputs]\ng_i = { dist = \"uniform\", min = -1e308, max = 1e308, truncate = [1, 2] }", key: "inputs.g_i.max", line: 2,
                    says: "max − min must be finite")
        expectError("[inputs]\ng_i = { dist = \"gamma\", mean = 1, sd = 1e-4 }", key: "inputs.g_i", line: 2,
                    says: "gives shape 100000000.0 and scale 1e-08; the shape must be in 0.001...100000.0")
        expectError("[inputs]\ng_i = { dist = \"student_t\", nu = 1e300, location = 3, scale = 1, truncate = [1, 5] }",
                    key: "inputs.g_i.nu", line: 2, says: "must be in 0.001...100000.0 (got 1e+300)")
        expectError("[inputs]\ng_i = { dist = \"normal\", p5 = -1e308, p95 = 1e308, truncate = [1, 2] }", key: "inputs.g_i", line: 2,
                    says: "both must be finite and sd > 0")
    }

    /// A prior whose draws leave the doubles (∞, or 0 for a positive input) is refused.
    @Test func drawsBeyondTheDoubles() {
        expectError("[inputs]\ng_i = { dist = \"gamma\", mean = 1e308, sd = 1e308 }", key: "inputs.g_i", line: 2,
                    says: "draws inf at u = 0.9999999998835847 (the quantile is beyond the range of doubles); g_i must be > 0")
        expectError("[inputs]\ng_i = { dist = \"gamma\", shape = 0.01, scale = 1 }", key: "inputs.g_i", line: 2,
                    says: "draws 0.0 at u = 1.1641532182693481e-10")
        expectError("[inputs]\nx = { dist = \"student_t\", nu = 0.01, scale = 1 }\ng_i = \"2 + 0 * x\"", key: "inputs.x", line: 2,
                    says: "draws -inf at u = 1.1641532182693481e-10 (the quantile is beyond the range of doubles): narrow or truncate")
    }

    /// Mean and sd are turned into parameters without squaring past the doubles (gamma's
    /// shape was inf/inf = NaN, a lognormal's sigma inf).
    @Test func momentFitsDoNotOverflow() throws {
        let p = try parsePrior("""
            [inputs]
            g_i = { dist = "gamma", mean = 1e300, sd = 1e300 }
            g_h = { dist = "lognormal", mean = 1, sd = 1e100 }
            """)
        #expect(p.scenarios[0].definitions["g_i"] == .random(Prior(.gamma(shape: 1, scale: 1e300))!))
        guard case .random(let c) = p.scenarios[0].definitions["g_h"], case .lognormal(let mu, let sigma) = c.distribution else {
            Issue.record("g_c"); return
        }
        #expect(abs(sigma - (2 * log(1e100)).squareRoot()) < 1e-12 && abs(mu - -log(1e100)) < 1e-12)
    }

    /// Truncation at ±inf works for every distribution (GSL's gamma CDF at inf is NaN, so
    /// [1, inf] was "excludes all of the distribution's mass").
    @Test func truncationToInfinity() throws {
        let p = try parsePrior("[inputs]\ng_i = { dist = \"gamma\", shape = 2, scale = 1, truncate = [1, inf] }")
        guard case .random(let g) = p.scenarios[0].definitions["g_i"] else { Issue.record("g_i"); return }
        // The median of gamma(2) above 1: Q(x) = Q(1)/2 = e^-1, i.e. (1 + x)e^-x = e^-1 at x = 2.1461932206205825852 (mpmath).
        #expect(abs(g.sample(0.5) - 2.1461932206205825852) < 1e-12)
    }

    /// Weights of 1e308 overflowed their sum, sending every draw to the last scenario.
    @Test func hugeWeightsNormalise() throws {
        let p = try parsePrior("""
            [[scenario]]
            name = "a"
            weight = 1e308
            [[scenario]]
            name = "b"
            weight = 1e308
            [inputs]
            c = { dist = "choice", values = [1, 2], weights = [1e308, 1e308] }
            g_i = "c + 1"
            """)
        #expect(p.scenarios.map(\.weight) == [0.5, 0.5])
        guard case .random(let c) = p.scenarios[0].definitions["c"], case .choice(_, let w) = c.distribution else {
            Issue.record("c"); return
        }
        #expect(w == [0.5, 0.5])
    }

    /// A derived input that fails, or is outside its domain, for every draw is an error at
    /// parse time with its key and line (it failed only during the run, with no line).
    @Test func alwaysFailingExpressions() {
        expectError("[inputs]\ng_c = { dist = \"lognormal\", median = 4, sigma = 0.1 }\ng_i = \"g_c / 0\"", key: "inputs.g_i", line: 3,
                    says: "expression \"g_c / 0\" divides by 0 for every draw")
        expectError("[inputs]\ng_i = \"1 + log(-2)\"", key: "inputs.g_i", line: 2,
                    says: "expression \"1 + log(-2)\" takes log of a value that is never > 0 (-2.0 to -2.0) for every draw")
        expectError("[inputs]\nx = { dist = \"uniform\", min = -3, max = -1 }\ng_i = \"sqrt(x) + 2\"", key: "inputs.g_i", line: 3,
                    says: "takes sqrt of a value that is never ≥ 0 (-3.0 to -1.0) for every draw")
        expectError("[inputs]\nx = { dist = \"uniform\", min = 1, max = 2 }\ng_i = \"-x\"", key: "inputs.g_i", line: 3,
                    says: "expression \"-x\" is ≤ 0 (-2.0 to -1.0) for every draw; g_i must be > 0")
        expectError("[inputs]\ng_i = \"exp(1000)\"", key: "inputs.g_i", line: 2, says: "expression \"exp(1000)\" is inf for every draw")
        // Only sometimes out of range: left to the per-draw check.
        #expect(priorError("[inputs]\nx = { dist = \"normal\", mean = 1, sd = 1 }\ng_i = \"x\"\ng_h = \"log(x) + 3\"") == nil)
        // Inherited from [inputs] into a scenario: the [inputs] line.
        expectError("[inputs]\ng_i = \"g_h / 0\"\n[[scenario]]\nname = \"a\"\nweight = 1", key: "inputs.g_i", line: 2, says: "divides by 0")
    }

    /// The sigmoid's cross-input rules (`meek model` refuses these) hold for fixed inputs.
    @Test func sigmoidRules() {
        expectError("[inputs]\nsigmoid_b = 5", key: "inputs.sigmoid_b", line: 2, says: "must be in [0, 1] (got 5.0)")
        expectError("[inputs]\nsigmoid_A = 0.5\nsigmoid_k = 20", key: "inputs.sigmoid_k", line: 3,
                    says: "must be of opposite sign to sigmoid_A (lower loss must score higher) (got 20.0)")
        expectError("[inputs]\nsigmoid_A = 0.9\nsigmoid_b = 0.5", key: "inputs.sigmoid_A", line: 2,
                    says: "must be such that sigmoid_A + sigmoid_b is in [0, 1] (got 0.9)")
    }

    /// `[[scenarios]]` (for `[[scenario]]`) names its own key (its line is the TOML
    /// parser's to give).
    @Test func unknownArrayTable() throws {
        let e = try #require(priorError("[run]\ndraws = 10\n[[scenarios]]\nname = \"a\"\nweight = 1\n"))
        #expect(e.key == "scenarios" && e.message.hasPrefix("unknown key (expected one of:") && e.message.contains("scenario"), "\(e)")
    }

    /// A key with a newline or of a megabyte gives one short line.
    @Test func echoedKeysAreEscapedAndCut() throws {
        let newline = try #require(priorError("[inputs]\n\"g\\nh\" = 1\n"))
        // (The line is the TOML parser's to find; this is about the text.)
        #expect(newline.key == "inputs.g\nh")
        #expect(newline.description.hasSuffix(": inputs.g\\nh: 'g\\nh' is not an input of the model and no derived input reads it (did you mean 'g_h'?)"), "\(newline)")
        let long = try #require(priorError("[inputs]\n\"\(String(repeating: "x", count: 1_000_000))\" = 1\n"))
        #expect(long.description.count < 300, "\(long.description.count)")
        #expect(long.description.contains(": inputs.xxxx") && long.description.contains("…"))
    }

    /// A joint table's file may be any file: the error names the missing column, never the
    /// file's content; a header with no rows is refused.
    @Test func jointTableErrorsShowNoContent() throws {
        try withTemporaryFolder { dir in
            try "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1\n".write(to: dir.appendingPathComponent("passwd"), atomically: true, encoding: .utf8)
            try "alpha,A\n".write(to: dir.appendingPathComponent("empty.csv"), atomically: true, encoding: .utf8)
            let other = try #require(priorError("[[joint]]\nfile = \"\(dir.path)/passwd\"\ncolumns = { alpha = \"alpha_C\" }\n"))
            #expect(other.key == "joint[1].columns.alpha" && other.line == 3)
            #expect(other.message == "\(dir.path)/passwd has no column named 'alpha_C' in its header line", "\(other)")
            expectError("[[joint]]\nfile = \"\(dir.path)/empty.csv\"\ncolumns = { alpha = \"alpha\" }\n", key: "joint[1].file", line: 2,
                        says: "has a header line and no data rows")
        }
    }
}
