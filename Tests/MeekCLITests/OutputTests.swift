import Foundation
import Testing

/// Runs `script` with /bin/sh in `folder`, `meek` meaning the built binary (on PATH).
func shell(_ script: String, in folder: String) throws -> Meek.Result {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", script]
    process.currentDirectoryURL = URL(fileURLWithPath: folder)
    var environment = ProcessInfo.processInfo.environment
    environment["PATH"] = Meek.executable.deletingLastPathComponent().path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
    process.environment = environment
    return try collect(process)
}

/// The paper's point values with one input replaced (a line `name = ...` of paper.toml).
func paperPrior(in folder: String, replacing name: String, with value: String) throws -> String {
    let lines = try String(contentsOfFile: repository + "/priors/paper.toml", encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
    let replaced = lines.map { $0.hasPrefix(name + " = ") ? "\(name) = \(value)" : String($0) }
    #expect(replaced != lines.map(String.init), "paper.toml has no line \(name) = …")
    let path = folder + "/prior.toml"
    try replaced.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

func entries(_ folder: String) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted() }

@Suite struct OutputTests {
    /// A lognormal with sigma10 = 41 draws values above 1e154, whose squares overflow: the sd
    /// was not finite and trapped JSON.write after summary.md and .csv were written. The engine
    /// now sums such blocks in power-of-two units, so the sd is a finite number, written as one.
    /// (The null / — path of a statistic that is not finite: modelJSONWritesNullForANumberThatIsNotFinite.)
    @Test func aStatisticBeyond1e154IsWrittenAsANumber() throws {
        let dir = temporaryDirectory()
        let prior = try paperPrior(in: dir, replacing: "g_h", with: "{ dist = \"lognormal\", median = 1.4, sigma10 = 41 }")
        let run = try Meek.run(["run", prior, "--out", dir + "/out", "--draws", "1000", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(entries(dir + "/out") == ["summary.csv", "summary.json", "summary.md"])
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/out/summary.json"))) as! [String: Any]
        let gh = (json["inputs"] as! [[String: Any]]).first { $0["id"] as? String == "g_h" }!
        #expect((gh["sd"] as? Double).map { $0.isFinite && $0 > 1e154 } == true, "\(gh["sd"] ?? "none")")
        #expect((gh["mean"] as? Double).map { $0 > 1e154 } == true)
        let csv = try String(contentsOfFile: dir + "/out/summary.csv", encoding: .utf8)
        #expect(!csv.contains("\ng_h,,sd,\n"))
        let md = try String(contentsOfFile: dir + "/out/summary.md", encoding: .utf8)
        for text in [csv, md] {
            for word in text.split(whereSeparator: { ",| \n".contains($0) }) {
                #expect(!["nan", "inf", "-inf", "∞", "-∞"].contains(word.lowercased()), "\(word)")
            }
        }
    }

    /// A meek model that leads by far more than 30 nats: the benchmark gap is not finite.
    /// `meek model --json` trapped on it (exit 132); a number that is not finite is null in
    /// JSON and "—" in the tables, never nan or inf.
    @Test func modelJSONWritesNullForANumberThatIsNotFinite() throws {
        let args = ["model", "--meek-budget-usd", "1e30", "--sota-budget-usd", "1", "--A", "1e5"]
        let json = try Meek.run(args + ["--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["benchmark"] != nil)
        let text = try Meek.run(args)
        #expect(text.status == 0, "\(text.stderr)")
        for output in [json.stdout, text.stdout] {
            for word in output.split(whereSeparator: { ",| \n\":".contains($0) }) {
                #expect(!["nan", "-nan", "inf", "-inf", "∞", "-∞"].contains(word.lowercased()), "\(word)")
            }
        }
    }

    /// A seed of 2^64 − 1 trapped when written (Int(seed)); one of 2^53 + 1 was read back
    /// as a double, another seed.
    @Test(arguments: ["18446744073709551615", "9007199254740993"])
    func aSeedIsWrittenAndReadBackExactly(seed: String) throws {
        let dir = temporaryDirectory()
        let run = try Meek.run(["run", repository + "/priors/paper.toml", "--seed", seed, "--draws", "1000", "--out", dir, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try String(contentsOfFile: dir + "/summary.json", encoding: .utf8).contains("\"seed\": \(seed),"))
        let report = try Meek.run(["report", dir, "--trajectory-draws", "16", "--step", "1", "--quiet"])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(try String(contentsOfFile: dir + "/report.html", encoding: .utf8).contains("--seed \(seed) "))
    }

    /// An edited summary.json: every field is checked, with one line naming the file and key.
    @Test(arguments: [
        ("\"seed\": 1,", "\"seed\": -1,", "provenance.seed"),
        ("\"seed\": 1,", "\"seed\": 1.5,", "provenance.seed"),
        ("\"start_year\": 2019,", "\"start_year\": 1e308,", "settings.start_year"),
        ("\"start_year\": 2019,", "\"start_year\": -1e308,", "settings.start_year"),
        ("\"draws\": 1000,", "\"draws\": true,", "provenance.draws"),
        ("\"never_share\": 0,", "\"never_share\": 7,", "metrics[0].never_share"),
    ])
    func anEditedSummaryIsRefusedWithTheKey(find: String, replace: String, key: String) throws {
        let dir = temporaryDirectory()
        let run = try Meek.run(["run", repository + "/priors/paper.toml", "--draws", "1000", "--seed", "1", "--out", dir, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let text = try String(contentsOfFile: dir + "/summary.json", encoding: .utf8)
        #expect(text.contains(find))
        try text.replacingOccurrences(of: find, with: replace).write(toFile: dir + "/summary.json", atomically: true, encoding: .utf8)
        let report = try Meek.run(["report", dir, "--trajectory-draws", "16", "--step", "1", "--quiet"])
        #expect(report.status == 2 && report.stderr.split(separator: "\n").count == 1, "\(report.status): \(report.stderr)")
        #expect(report.stderr.hasPrefix("meek: error: \(dir)/summary.json: \(key): "), "\(report.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/report.html"))
    }

    /// A Sobol' index that is not defined is null in sensitivity.json; the report draws no
    /// Sobol' chart for that metric instead of refusing the file or drawing a NaN.
    @Test func anUndefinedSobolIndexHasNoChart() throws {
        let dir = temporaryDirectory()
        for args in [["run", repository + "/priors/baseline.toml", "--draws", "2000", "--out", dir, "--quiet"],
                     ["sensitivity", repository + "/priors/baseline.toml", "--base", "64", "--bootstrap", "10", "--rank-draws", "64", "--out", dir, "--quiet"]] {
            let r = try Meek.run(args)
            #expect(r.status == 0, "\(r.stderr)")
        }
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/sensitivity.json"))) as! [String: Any]
        var metrics = json["metrics"] as! [[String: Any]]
        let id = metrics[0]["id"] as! String
        var sobol = metrics[0]["sobol"] as! [[String: Any]]
        sobol[0]["S1"] = NSNull()
        metrics[0]["sobol"] = sobol
        json["metrics"] = metrics
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: dir + "/sensitivity.json"))
        let r = try Meek.run(["report", dir, "--trajectory-draws", "16", "--step", "1", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let figures = entries(dir + "/figures")
        #expect(!figures.contains("sobol-\(id.replacingOccurrences(of: "_", with: "-")).svg") && figures.contains { $0.hasPrefix("sobol-") }, "\(figures)")
    }

    /// Histogram edges that do not increase (degenerate or reversed), or counts that do not fit.
    @Test(arguments: [("degenerate", "edges[1]"), ("decreasing", "edges[1]"), ("short", "edges"), ("negative", "counts[0]")])
    func badHistogramsAreRefused(kind: String, key: String) throws {
        let dir = temporaryDirectory()
        let run = try Meek.run(["run", repository + "/priors/baseline.toml", "--draws", "2000", "--out", dir, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/summary.json"))) as! [String: Any]
        var metrics = json["metrics"] as! [[String: Any]]
        var d = metrics[0]["distribution"] as! [String: Any]
        var edges = d["edges"] as! [Double], counts = d["counts"] as! [Double]
        switch kind {
        case "degenerate": edges[1] = edges[0]
        case "decreasing": edges = edges.reversed()
        case "short": edges.removeLast()
        default: counts[0] = -1
        }
        d["edges"] = edges
        d["counts"] = counts
        metrics[0]["distribution"] = d
        json["metrics"] = metrics
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: dir + "/summary.json"))
        let report = try Meek.run(["report", dir, "--trajectory-draws", "16", "--step", "1", "--quiet"])
        #expect(report.status == 2 && report.stderr.split(separator: "\n").count == 1, "\(report.stderr)")
        #expect(report.stderr.contains("summary.json: metrics[0].distribution.\(key)"), "\(report.stderr)")
    }

    /// A failure between the files of a set (here a file-size limit reached by summary.json,
    /// after summary.md and summary.csv) leaves the previous set as it was, and no temporary
    /// files; the files of other commands in the folder survive a new set.
    @Test func aFailedRunLeavesThePreviousSetIntact() throws {
        let dir = temporaryDirectory()
        let prior = repository + "/priors/paper.toml"
        var r = try Meek.run(["run", prior, "--seed", "5", "--draws", "1000", "--out", dir + "/out", "--save-draws", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        try "kept".write(toFile: dir + "/out/sensitivity.md", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/out/figures", withIntermediateDirectories: true)
        try "kept".write(toFile: dir + "/out/figures/a.svg", atomically: true, encoding: .utf8)
        let before = try ["summary.md", "summary.csv", "summary.json", "draws.npy"].map { try Data(contentsOf: URL(fileURLWithPath: dir + "/out/" + $0)) }
        // 15 KiB (30 blocks of 512 bytes): summary.md (4 KB) and .csv (12 KB) fit, summary.json (18 KB) does not.
        r = try shell("ulimit -f 30 && exec meek run '\(prior)' --seed 6 --draws 1000 --out out --quiet", in: dir)
        #expect(r.status == 2 && r.stderr.contains("cannot write out/summary.json: file too large"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
        let after = try ["summary.md", "summary.csv", "summary.json", "draws.npy"].map { try Data(contentsOf: URL(fileURLWithPath: dir + "/out/" + $0)) }
        #expect(after == before)
        #expect(entries(dir) == [".out.meek-lock", "out"], "no staging folder is left")
        // A new run replaces its own set (draws.npy goes: this run saves none) and keeps the rest.
        r = try Meek.run(["run", prior, "--seed", "6", "--draws", "1000", "--out", dir + "/out", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(entries(dir + "/out") == ["figures", "sensitivity.md", "summary.csv", "summary.json", "summary.md"])
        #expect(try String(contentsOfFile: dir + "/out/figures/a.svg", encoding: .utf8) == "kept")
        #expect(try String(contentsOfFile: dir + "/out/summary.json", encoding: .utf8).contains("\"seed\": 6,"))
        #expect(entries(dir) == [".out.meek-lock", "out"])
    }

    /// Runs into one folder at once: the folder ends with one complete set of one run.
    @Test func concurrentRunsLeaveOneConsistentSet() throws {
        let dir = temporaryDirectory()
        let prior = repository + "/priors/paper.toml"
        let runs = try (1...4).map { seed -> Process in
            let p = Process()
            p.executableURL = Meek.executable
            p.arguments = ["run", prior, "--seed", "\(seed)", "--draws", "1000", "--out", dir + "/out", "--quiet"]
            try p.run()
            return p
        }
        for p in runs {
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
        }
        #expect(entries(dir + "/out") == ["summary.csv", "summary.json", "summary.md"])
        #expect(entries(dir) == [".out.meek-lock", "out"])
        let json = try String(contentsOfFile: dir + "/out/summary.json", encoding: .utf8)
        let md = try String(contentsOfFile: dir + "/out/summary.md", encoding: .utf8)
        let seeds = (1...4).filter { json.contains("\"seed\": \($0),") }
        #expect(seeds.count == 1)
        #expect(md.contains("seed \(seeds.first ?? 0), "))
    }

    /// A run killed before its commit leaves its staging folder; the next commit beside it
    /// removes it (its process is gone), and leaves those of live processes alone.
    @Test func stagingFoldersOfDeadRunsAreRemoved() throws {
        let dir = temporaryDirectory()
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, 255)
        let host = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).filter { $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" }
        let dead = dir + "/.out.meek-\(host)-\(finished.processIdentifier)-0", alive = dir + "/.out.meek-\(host)-1-0"
        for folder in [dead, alive] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try "partial".write(toFile: folder + "/draws.npy", atomically: false, encoding: .utf8)
        }
        let r = try Meek.run(["run", repository + "/priors/paper.toml", "--draws", "1000", "--out", dir + "/out", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(entries(dir) == [".out.meek-\(host)-1-0", ".out.meek-lock", "out"].sorted())
    }

    /// Under a file-size limit, --save-draws used to exit 0 with a truncated draws.npy.
    @Test func aDrawsFileThatCannotBeWrittenFailsTheRun() throws {
        let dir = temporaryDirectory()
        let r = try shell("ulimit -f 64 && exec meek run '\(repository)/priors/baseline.toml' --draws 20000 --out out --save-draws --quiet", in: dir)
        #expect(r.status == 2 && r.stderr == "meek: error: cannot write out/draws.npy: file too large\n", "\(r.stderr)")
        #expect(entries(dir) == [], "nothing is created: \(entries(dir))")
    }

    /// On a full disk draws.npy used to be committed with most rows zero (its size is set
    /// with ftruncate, so only the pwrites of the rows fail). A 1 MiB tmpfs (mounting needs
    /// root, as on the team's machines and CI) holds 40,000 draws' header but not their rows.
    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
    func aFullDiskFailsTheRunAndLeavesNothing() throws {
        let dir = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/disk", withIntermediateDirectories: true)
        #expect(try shell("mount -t tmpfs -o size=1m tmpfs disk", in: dir).status == 0)
        defer { _ = try? shell("umount disk", in: dir) }
        let r = try Meek.run(["run", repository + "/priors/baseline.toml", "--draws", "40000", "--out", dir + "/disk/out", "--save-draws", "--quiet"])
        #expect(r.status == 2 && r.stderr == "meek: error: cannot write \(dir)/disk/out/draws.npy: no space left on device\n", "\(r.stderr)")
        #expect(entries(dir + "/disk") == [])
    }

    /// An error found while the draws run leaves no --out folder behind.
    @Test func anErrorDuringTheRunCreatesNoFolder() throws {
        let dir = temporaryDirectory()
        let prior = try paperPrior(in: dir, replacing: "g_i", with: "\"g_h - 4\"")
        let r = try Meek.run(["run", prior, "--out", dir + "/a/b/out", "--draws", "1000", "--save-draws"])
        #expect(r.status == 2 && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(entries(dir) == ["prior.toml"])
    }

    /// --out problems are one line in the words of the system, not an NSError dump.
    @Test(arguments: [("/proc/version/out", "cannot create /proc/version/out: /proc/version is not a folder"),
                      ("/proc/version", "/proc/version: exists and is not a folder")])
    func anOutFolderThatCannotBeMadeIsOneLine(out: String, says: String) throws {
        let r = try Meek.run(["run", repository + "/priors/paper.toml", "--draws", "1000", "--out", out, "--quiet"])
        #expect(r.status == 2 && r.stderr == "meek: error: \(says)\n", "\(r.stderr)")
    }

    /// `meek slurm` run as the README does (meek found on PATH, from another folder) must
    /// write the binary's absolute path into the job scripts, not $PWD/meek.
    @Test func slurmScriptsNameTheBinaryWhenMeekIsOnPath() throws {
        let dir = temporaryDirectory()
        let r = try shell("meek slurm '\(repository)/priors/baseline.toml' --shards 2 --out out", in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let binary = URL(fileURLWithPath: Meek.executable.path).resolvingSymlinksInPath().path
        for script in ["shards.sbatch", "merge.sbatch"] {
            let text = try String(contentsOfFile: dir + "/out/slurm/" + script, encoding: .utf8)
            #expect(text.contains("exec '\(binary)' "), "\(script): \(text)")
        }
    }
}
