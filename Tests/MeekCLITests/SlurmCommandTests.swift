import Foundation
import Testing

@Suite struct SlurmCommandTests {
    @Test func writesAnArrayJobAndADependentMerge() throws {
        let out = temporaryDirectory()
        let run = try Meek.run(["slurm", repository + "/priors/baseline.toml", "--shards", "8", "--draws", "1000000",
                                "--partition", "short", "--time", "00:30:00", "--cpus-per-task", "2", "--out", out])
        #expect(run.status == 0, "\(run.stderr)")
        let shards = try String(contentsOfFile: out + "/slurm/shards.sbatch", encoding: .utf8)
        for line in ["#SBATCH --array=0-7", "#SBATCH --partition=short", "#SBATCH --time=00:30:00",
                     "#SBATCH --cpus-per-task=2", "--shard \"${SLURM_ARRAY_TASK_ID}/8\"", "--threads 2", "--draws 1000000"] {
            #expect(shards.contains(line), "\(line)")
        }
        let merge = try String(contentsOfFile: out + "/slurm/merge.sbatch", encoding: .utf8)
        #expect(merge.contains(" merge '\(out)/parts' --out '\(out)'"))
        let submit = try String(contentsOfFile: out + "/slurm/submit.sh", encoding: .utf8)
        #expect(submit.contains("--dependency=afterok:${array%%;*} merge.sbatch"))
        #expect(FileManager.default.isExecutableFile(atPath: out + "/slurm/submit.sh"))
    }

    @Test(arguments: [(["--shards", "0"], "--shards"), (["--shards", "4", "--cpus-per-task", "0"], "--cpus-per-task")])
    func badFlagsExitTwo(extra: [String], says: String) throws {
        let run = try Meek.run(["slurm", repository + "/priors/baseline.toml", "--out", temporaryDirectory()] + extra)
        #expect(run.status == 2 && run.stderr.contains(says), "\(run.stderr)")
    }
}
