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
