import Foundation
import Testing

@Suite struct SensitivityCommandTests {
    @Test func writesTablesAndIsDeterministic() throws {
        let outs = try (0..<2).map { _ -> String in
            let out = temporaryDirectory()
            let run = try Meek.run(["sensitivity", repository + "/priors/baseline.toml", "--base", "2048", "--bootstrap", "200",
                                    "--rank-draws", "4096", "--out", out, "--quiet"])
            #expect(run.status == 0, "\(run.stderr)")
            return out
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outs[0]).sorted()
                == ["sensitivity.csv", "sensitivity.json", "sensitivity.md"])
        #expect(try comparable(outs[0] + "/sensitivity.csv") == comparable(outs[1] + "/sensitivity.csv"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: outs[0] + "/sensitivity.json"))) as! [String: Any]
        let metrics = json["metrics"] as! [[String: Any]]
        let peak = metrics.first { $0["id"] as? String == "peak_time" }!
        let sobol = peak["sobol"] as! [[String: Any]]
        // Algorithmic progress drives the peak time under the baseline priors.
        let top = sobol.max { ($0["ST"] as! Double) < ($1["ST"] as! Double) }!
        #expect(top["factor"] as? String == "doubling_months")
        let md = try String(contentsOfFile: outs[0] + "/sensitivity.md", encoding: .utf8)
        #expect(md.contains("log(1 + years after start)") && md.contains("scenario mixture (chinchilla / besiroglu)"))
    }

    /// GSL's inverse gamma CDF fails to converge for shape 0.001 at the median (the tornado's
    /// base point). With GSL's default handler on, that aborted the process (exit 134).
    @Test func aGSLDomainErrorDoesNotAbort() throws {
        let dir = temporaryDirectory()
        let text = try String(contentsOfFile: repository + "/priors/paper.toml", encoding: .utf8)
            .replacingOccurrences(of: "g_h = 1.4 ", with: "g_h = { dist = \"gamma\", shape = 0.001, scale = 1 } ")
        #expect(text.contains("shape = 0.001"))
        try text.write(toFile: dir + "/gamma.toml", atomically: true, encoding: .utf8)
        let run = try Meek.run(["sensitivity", dir + "/gamma.toml", "--base", "64", "--bootstrap", "10", "--rank-draws", "64",
                                "--out", dir + "/out", "--quiet"])
        #expect(run.status == 0 || run.status == 2, "\(run.status): \(run.stderr)")
        #expect(!run.stderr.contains("GSL") && run.stderr.split(separator: "\n").count <= 1, "\(run.stderr)")
    }

    @Test(arguments: [
        (["--base", "1000"], "--base"),
        (["--bootstrap", "0"], "--bootstrap"),
        (["--level", "1.5"], "--level"),
        (["--inputs", "g_hh"], "'g_hh' is not an uncertain input"),
    ])
    func badSettingsExitTwo(extra: [String], says: String) throws {
        let run = try Meek.run(["sensitivity", repository + "/priors/baseline.toml", "--base", "1024", "--bootstrap", "10",
                                "--rank-draws", "1024", "--out", temporaryDirectory(), "--quiet"] + extra)
        #expect(run.status == 2)
        #expect(run.stderr.contains(says), "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1)
    }
}

@Suite struct SensitivityShardTests {
    let prior = repository + "/priors/baseline.toml"
    let settings = ["--base", "1024", "--bootstrap", "50", "--rank-draws", "1024", "--quiet"]

    @Test func shardsJoinToTheSingleProcessAnalysis() throws {
        let single = temporaryDirectory(), parts = temporaryDirectory(), joined = temporaryDirectory()
        #expect(try Meek.run(["sensitivity", prior, "--out", single] + settings).status == 0)
        for i in 0..<3 {
            #expect(try Meek.run(["sensitivity", prior, "--base", "1024", "--shard", "\(i)/3", "--out", parts, "--quiet"]).status == 0)
        }
        let run = try Meek.run(["sensitivity", prior, "--from-parts", parts, "--out", joined] + settings)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try comparable(single + "/sensitivity.csv") == comparable(joined + "/sensitivity.csv"))
    }

    @Test func refusesIncompleteOrForeignShards() throws {
        let parts = temporaryDirectory()
        for i in [0, 2] {
            _ = try Meek.run(["sensitivity", prior, "--base", "1024", "--shard", "\(i)/3", "--out", parts, "--quiet"])
        }
        var run = try Meek.run(["sensitivity", prior, "--from-parts", parts, "--out", temporaryDirectory()] + settings)
        #expect(run.status == 2 && run.stderr.contains("missing shard 1 of 3"), "\(run.stderr)")
        _ = try Meek.run(["sensitivity", prior, "--base", "1024", "--shard", "1/3", "--out", parts, "--quiet"])
        run = try Meek.run(["sensitivity", prior, "--from-parts", parts, "--out", temporaryDirectory(), "--base", "2048", "--quiet"])
        #expect(run.status == 2 && run.stderr.contains("base size 1024 differs"), "\(run.stderr)")
        let file = parts + "/sensitivity-part-1-of-3.meekpart"
        var data = try Data(contentsOf: URL(fileURLWithPath: file))
        data[data.count / 2] ^= 0x40
        try data.write(to: URL(fileURLWithPath: file))
        run = try Meek.run(["sensitivity", prior, "--from-parts", parts, "--out", temporaryDirectory()] + settings)
        #expect(run.status == 2 && run.stderr.contains("checksum mismatch"), "\(run.stderr)")
    }
}
