import Foundation
import Testing

let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// The one folder under which every test of this process makes its temporary folders
/// (/tmp/meek-test-PID): removed when the test process exits, so a run leaves nothing in
/// /tmp. Folders of earlier test processes that died before removing theirs are removed
/// when the first test asks for a folder.
let temporaryRoot: String = {
    let tmp = NSTemporaryDirectory()
    for name in (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? [] where name.hasPrefix("meek-test-") {
        if let pid = Int32(name.dropFirst("meek-test-".count)), kill(pid, 0) != 0, errno == ESRCH {
            try? FileManager.default.removeItem(atPath: tmp + name)
        }
    }
    let root = tmp + "meek-test-\(getpid())"
    try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "meek-test-\(getpid())") }
    return root
}()

/// A fresh, empty folder for one test (removed with `temporaryRoot` at exit).
func temporaryDirectory() -> String {
    let path = temporaryRoot + "/" + UUID().uuidString
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A file's lines without the provenance that legitimately differs between runs.
func comparable(_ path: String) throws -> String {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        .filter { !$0.contains("wall_seconds") && !$0.contains("\"threads\"") && !$0.contains("\"command\"") && !$0.hasPrefix("| run |") }
        .joined(separator: "\n")
}

@Suite struct RunCommandTests {
    @Test func oneTwoAndSevenThreadsWriteIdenticalFiles() throws {
        let dirs = try [1, 2, 7].map { threads -> String in
            let out = temporaryDirectory()
            let run = try Meek.run(["run", repository + "/priors/baseline.toml", "--draws", "40000", "--threads", "\(threads)",
                                    "--out", out, "--save-draws", "--quiet"])
            #expect(run.status == 0, "\(run.stderr)")
            return out
        }
        for file in ["summary.md", "summary.csv", "summary.json"] {
            let reference = try comparable(dirs[0] + "/" + file)
            #expect(!reference.isEmpty)
            for d in dirs.dropFirst() { #expect(try comparable(d + "/" + file) == reference, "\(file)") }
        }
        let draws = try dirs.map { try Data(contentsOf: URL(fileURLWithPath: $0 + "/draws.npy")) }
        #expect(draws[0] == draws[1] && draws[0] == draws[2])
        // No temporary files are left behind.
        for d in dirs {
            #expect(try FileManager.default.contentsOfDirectory(atPath: d).sorted()
                    == ["draws.npy", "summary.csv", "summary.json", "summary.md"])
        }
    }

    @Test func provenanceIsRecorded() throws {
        let out = temporaryDirectory()
        let run = try Meek.run(["run", repository + "/priors/baseline.toml", "--draws", "9000", "--seed", "77",
                                "--sampler", "lhs", "--threads", "2", "--out", out, "--quiet"])
        #expect(run.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
        let p = json["provenance"] as! [String: Any]
        #expect(p["seed"] as? Int == 77 && p["draws"] as? Int == 9000 && p["sampler"] as? String == "lhs")
        #expect(p["threads"] as? Int == 2 && (p["prior_sha256"] as? String)?.count == 64)
        #expect((p["data_files"] as? [[String: Any]])?.first?["file"] as? String == "data/besiroglu2024-bootstrap.csv")
        #expect(p["version"] as? String != nil && p["wall_seconds"] as? Double != nil)
    }

    @Test func numpyReadsTheDraws() throws {
        let out = temporaryDirectory()
        let run = try Meek.run(["run", repository + "/priors/baseline.toml", "--draws", "10000", "--out", out, "--save-draws", "--quiet"])
        #expect(run.status == 0)
        let script = """
            import numpy as np
            d = np.load('\(out)/draws.npy')
            assert d.shape == (10000,), d.shape
            assert set(['scenario', 'g_h', 'alpha', 'peak_time', 'peak_gap', 'inference_parity']) <= set(d.dtype.names), d.dtype.names
            assert np.all((d['scenario'] == 0) | (d['scenario'] == 1))
            assert np.all(d['alpha'][d['scenario'] == 0] == 0.154)
            print(round(float(np.median(d['peak_time'])), 2))
            """
        // numpy is a test dependency (`make test` installs python3-numpy): without it the
        // check fails rather than passing without having looked at the file.
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", "-c", script]
        let pipe = Pipe()
        check.standardOutput = pipe
        let errors = Pipe()
        check.standardError = errors
        try check.run()
        check.waitUntilExit()
        #expect(check.terminationStatus == 0,
                "python3 with numpy could not read draws.npy: \(String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))")
        let median = Double(String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(median.map { $0 > 2.5 && $0 < 4 } ?? false)
    }

    @Test(arguments: [
        ("[inputs]\ng_h = { dist = \"normal\", mean = 1.4, sd = 0.1 }", "bad.toml:2: inputs.g_h"),
        ("[run]\ndraws = 0", "bad.toml:2: run.draws"),
        ("[inputs]\ng_c = { dist = \"lognormal\", median = 4.5, sigma = 0.2 }\ng_i = \"g_c - 4\"", "g_i = "),
        ("[[joint]]\nfile = \"missing.csv\"\ncolumns = { alpha = \"a\" }", "bad.toml:2: joint[1].file"),
    ])
    func badPriorFileExitsTwoAndWritesNothing(text: String, says: String) throws {
        let dir = temporaryDirectory()
        try text.write(toFile: dir + "/bad.toml", atomically: true, encoding: .utf8)
        let out = dir + "/out"
        let run = try Meek.run(["run", dir + "/bad.toml", "--out", out, "--draws", "50000", "--save-draws"])
        #expect(run.status == 2)
        #expect(run.stderr.split(separator: "\n").count == 1)
        #expect(run.stderr.contains(says), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out), "an --out folder was created")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["bad.toml"])
    }

    @Test(arguments: [
        (["run"], "priors"),
        (["run", "/nonexistent.toml"], "no such file"),
        (["run", "x.toml", "--draws", "0"], "--draws"),
        (["run", "x.toml", "--threads", "0"], "--threads"),
        (["run", "x.toml", "--sampler", "quasi"], "--sampler"),
    ])
    func badFlagsExitTwo(arguments: [String], says: String) throws {
        let run = try Meek.run(arguments)
        #expect(run.status == 2)
        #expect(run.stderr.contains(says), "\(run.stderr)")
    }
}
