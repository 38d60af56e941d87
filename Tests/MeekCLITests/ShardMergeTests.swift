import Foundation
import Testing

@Suite struct ShardMergeTests {
    let prior = repository + "/priors/baseline.toml"

    func shards(_ n: Int, draws: Int = 20_000, seed: String = "5", into dir: String) throws {
        for i in 0..<n {
            let run = try Meek.run(["run", prior, "--draws", "\(draws)", "--seed", seed, "--shard", "\(i)/\(n)", "--out", dir, "--quiet"])
            #expect(run.status == 0, "\(run.stderr)")
        }
    }

    @Test(arguments: [1, 2, 5])
    func mergedShardsEqualOneProcess(n: Int) throws {
        let single = temporaryDirectory(), parts = temporaryDirectory(), merged = temporaryDirectory()
        #expect(try Meek.run(["run", prior, "--draws", "20000", "--seed", "5", "--out", single, "--quiet"]).status == 0)
        try shards(n, into: parts)
        let run = try Meek.run(["merge", parts, "--out", merged, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        for file in ["summary.csv", "summary.json", "summary.md"] {
            #expect(try comparable(single + "/" + file) == comparable(merged + "/" + file), "\(file), \(n) shards")
        }
    }

    @Test func rerunningAShardReplacesItIdentically() throws {
        let dir = temporaryDirectory(), kept = temporaryDirectory()
        try shards(2, into: dir)
        for f in ["part-0-of-2.meekpart", "part-1-of-2.meekpart"] {
            try FileManager.default.copyItem(atPath: dir + "/" + f, toPath: kept + "/" + f)
        }
        #expect(try Meek.run(["run", prior, "--draws", "20000", "--seed", "5", "--shard", "1/2", "--out", dir, "--quiet"]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["part-0-of-2.meekpart", "part-1-of-2.meekpart"])
        // The shards differ only in their headers' wall time (its text may differ in length),
        // so the merged results are identical.
        let a = temporaryDirectory(), b = temporaryDirectory()
        #expect(try Meek.run(["merge", kept, "--out", a, "--quiet"]).status == 0)
        #expect(try Meek.run(["merge", dir, "--out", b, "--quiet"]).status == 0)
        for file in ["summary.csv", "summary.json", "summary.md"] {
            #expect(try comparable(a + "/" + file) == comparable(b + "/" + file), "\(file)")
        }
    }

    func refusal(_ setup: (String) throws -> Void, says: String) throws {
        let dir = temporaryDirectory()
        try setup(dir)
        let run = try Meek.run(["merge", dir, "--out", temporaryDirectory(), "--quiet"])
        #expect(run.status == 2)
        #expect(run.stderr.contains(says), "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1)
    }

    @Test func refusesMixedSeeds() throws {
        try refusal({ dir in
            try shards(2, into: dir)
            _ = try Meek.run(["run", prior, "--draws", "20000", "--seed", "6", "--shard", "1/2", "--out", dir, "--quiet"])
        }, says: "seed differs")
    }

    @Test func refusesADifferentPriorFile() throws {
        try refusal({ dir in
            try shards(2, into: dir)
            _ = try Meek.run(["run", repository + "/priors/kaplan.toml", "--draws", "20000", "--seed", "5", "--shard", "1/2", "--out", dir, "--quiet"])
        }, says: "prior_sha256 differs")
    }

    @Test func refusesDifferentShardCounts() throws {
        try refusal({ dir in
            try shards(2, into: dir)
            _ = try Meek.run(["run", prior, "--draws", "20000", "--seed", "5", "--shard", "2/3", "--out", dir, "--quiet"])
        }, says: "shard_count differs")
    }

    @Test func namesAMissingShard() throws {
        try refusal({ dir in
            try shards(3, into: dir)
            try FileManager.default.removeItem(atPath: dir + "/part-1-of-3.meekpart")
        }, says: "missing shard 1 of 3 (part-1-of-3.meekpart)")
    }

    @Test func refusesADuplicatedShard() throws {
        let dir = temporaryDirectory(), other = temporaryDirectory()
        try shards(2, into: dir)
        try FileManager.default.copyItem(atPath: dir + "/part-0-of-2.meekpart", toPath: other + "/part-0-of-2.meekpart")
        let run = try Meek.run(["merge", dir, other + "/part-0-of-2.meekpart", "--out", temporaryDirectory(), "--quiet"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("shard 0 of 2 is given twice"), "\(run.stderr)")
    }

    @Test func detectsTruncationAndCorruption() throws {
        try refusal({ dir in
            try shards(2, into: dir)
            let path = dir + "/part-1-of-2.meekpart"
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        }, says: "checksum mismatch")
        try refusal({ dir in
            try shards(2, into: dir)
            let path = dir + "/part-0-of-2.meekpart"
            var data = try Data(contentsOf: URL(fileURLWithPath: path))
            data[data.count / 2] ^= 0x01
            try data.write(to: URL(fileURLWithPath: path))
        }, says: "checksum mismatch")
    }

    @Test func badShardFlag() throws {
        for bad in ["3/3", "1", "-1/2", "a/b"] {
            let run = try Meek.run(["run", prior, "--shard", bad, "--quiet"])
            #expect(run.status == 2 && run.stderr.contains("--shard"), "\(bad): \(run.stderr)")
        }
    }
}
