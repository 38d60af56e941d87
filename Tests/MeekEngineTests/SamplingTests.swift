import CGSL
import Foundation
import MeekModel
@testable import MeekEngine
@testable import MeekPriors
import Testing

let priorsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("priors").path

func prior(_ text: String) throws -> PriorFile {
    try PriorFile.parse(text, path: "test.toml", directory: priorsDirectory)
}

/// `n` uniforms of one dimension from a sampler's design, over as many blocks as needed.
func uniforms(_ kind: SamplerKind, n: Int, dims: Int = 1, seed: UInt64 = 7) -> [[Double]] {
    let design = Design(kind: kind, dims: dims, seed: seed)
    let b = RunConfiguration.blockSize
    var out = [[Double]](repeating: [], count: dims)
    let buffer = UnsafeMutablePointer<Double>.allocate(capacity: b * dims)
    defer { buffer.deallocate() }
    var first = 0, block = 0
    while first < n {
        let count = min(b, n - first)
        design.fill(buffer, block: block, first: first, count: count, stride: b)
        for i in 0..<count { for d in 0..<dims { out[d].append(buffer[d * b + i]) } }
        first += count
        block += 1
    }
    return out
}

/// Statistical checks at fixed seeds: the sampled quantiles of every distribution agree
/// with GSL's CDF. Tolerance: |F(x̂_q) − q| ≤ 5·sqrt(q(1−q)/n) (binomial sd of the
/// empirical CDF; 5 sd makes a false failure at a fixed seed a 1-in-10^6 event) for MC, and
/// 2/n for LHS and Sobol (stratified: exact up to one stratum).
@Suite struct DistributionSamplingTests {
    static let distributions: [(String, Distribution, (low: Double, high: Double)?)] = [
        ("normal", .normal(mean: 1, sd: 2), nil),
        ("lognormal", .lognormal(mu: log(2.8), sigma: 0.3), nil),
        ("uniform", .uniform(min: -1, max: 3), nil),
        ("loguniform", .logUniform(min: 1, max: 1000), nil),
        ("beta", .beta(a: 2, b: 5, min: 0, max: 1), nil),
        ("pert", .pert(min: 0, mode: 1, max: 4), nil),
        ("triangular", .triangular(min: 0, mode: 1, max: 4), nil),
        ("gamma", .gamma(shape: 2, scale: 3), nil),
        ("student_t", .studentT(nu: 3, location: 1, scale: 2), nil),
        ("truncated normal", .normal(mean: 0, sd: 1), (0.5, 2.0)),
        ("truncated lognormal", .lognormal(mu: 0, sigma: 1), (0.1, .infinity)),
    ]

    @Test(arguments: [SamplerKind.mc, .lhs, .sobol])
    func quantilesAgreeWithGSL(sampler: SamplerKind) throws {
        let n = 100_000
        let u = uniforms(sampler, n: n)[0]
        for (name, d, truncation) in Self.distributions {
            let p = try #require(Prior(d, truncation: truncation))
            let x = u.map(p.sample).sorted()
            let lo = truncation.map { d.cdf($0.low) } ?? 0
            let mass = truncation.map { d.cdf($0.high) - lo } ?? 1
            for q in [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99] {
                let xq = x[Int(q * Double(n))]
                let fq = (d.cdf(xq) - lo) / mass
                let tolerance = sampler == .mc ? 5 * (q * (1 - q) / Double(n)).squareRoot() : 2.0 / Double(n) + 1e-9
                #expect(abs(fq - q) <= tolerance, "\(name) \(sampler) q=\(q): F(x̂)=\(fq)")
            }
            if let t = truncation { #expect(x.first! >= t.low && x.last! <= t.high, "\(name)") }
        }
    }

    @Test func choiceHitsItsWeights() throws {
        let p = try #require(Prior(.choice(values: [1, 2, 3], weights: [0.25, 0.25, 0.5])))
        let n = 100_000
        let x = uniforms(.mc, n: n)[0].map(p.sample)
        for (v, w) in [(1.0, 0.25), (2.0, 0.25), (3.0, 0.5)] {
            let share = Double(x.filter { $0 == v }.count) / Double(n)
            #expect(abs(share - w) <= 5 * (w * (1 - w) / Double(n)).squareRoot())
        }
    }

    @Test func lhsStratifiesEveryDimensionOfABlock() {
        let n = RunConfiguration.blockSize
        for column in uniforms(.lhs, n: n, dims: 3) {
            let strata = Set(column.map { Int($0 * Double(n)) })
            #expect(strata.count == n)
        }
    }

    @Test func sobolMatchesGSLSequence() throws {
        let dims = 5
        let fromDesign = uniforms(.sobol, n: 20_000, dims: dims)
        let q = try #require(gsl_qrng_alloc(meek_gsl_qrng_sobol(), UInt32(dims)))
        defer { gsl_qrng_free(q) }
        var point = [Double](repeating: 0, count: dims)
        for i in 0..<20_000 {
            _ = gsl_qrng_get(q, &point)
            for d in 0..<dims where fromDesign[d][i] != point[d] {
                Issue.record("point \(i) dim \(d) differs")
                return
            }
        }
    }

    @Test func blockStreamsAreDistinct() {
        var keys = Set<UInt64>()
        for block in 0..<1_000_000 { keys.insert(SplitMix64.blockKey(seed: 1, block: UInt64(block))) }
        #expect(keys.count == 1_000_000)
        #expect(SplitMix64.blockKey(seed: 1, block: 5) != SplitMix64.blockKey(seed: 2, block: 5))
        // Seeds that differ only above bit 32 (GSL's own seeding would merge them).
        #expect(SplitMix64.blockKey(seed: 1, block: 0) != SplitMix64.blockKey(seed: 1 + (1 << 32), block: 0))
        let rng = BlockRNG()
        var firsts = Set<Double>()
        for b in 0..<2000 { rng.start(seed: 3, block: b); firsts.insert(rng.uniform()) }
        #expect(firsts.count == 2000)
    }

    @Test func copulaAchievesTheRankCorrelation() throws {
        let file = try prior("""
            [inputs]
            g_h = { dist = "lognormal", median = 1.4, sigma = 0.05 }
            g_alg = { dist = "lognormal", median = 2.8, sigma = 0.3 }
            g_i = { dist = "gamma", shape = 9, scale = 0.4 }
            [copula]
            inputs = ["g_h", "g_alg", "g_i"]
            rank_correlation = [[1, 0.6, -0.3], [0.6, 1, 0.2], [-0.3, 0.2, 1]]
            """)
        let plan = Plan(file)
        let n = 60_000
        let u = uniforms(.mc, n: n, dims: plan.dims)
        var columns = [[Double]](repeating: [], count: 3)
        let b = RunConfiguration.blockSize
        let ub = UnsafeMutablePointer<Double>.allocate(capacity: plan.dims * b)
        let slots = UnsafeMutablePointer<Double>.allocate(capacity: plan.names.count * b)
        let scenarioOf = UnsafeMutablePointer<Int32>.allocate(capacity: b)
        defer { ub.deallocate(); slots.deallocate(); scenarioOf.deallocate() }
        var scratch = BlockScratch(scenarios: 1)
        let slotOf = ["g_h", "g_alg", "g_i"].map { plan.names.firstIndex(of: $0)! }
        var first = 0
        while first < n {
            let count = min(b, n - first)
            for d in 0..<plan.dims { for i in 0..<count { ub[d * b + i] = u[d][first + i] } }
            #expect(plan.drawBlock(ub, count: count, stride: b, columns: slots, scenarioOf: scenarioOf, scratch: &scratch) == nil)
            for (k, slot) in slotOf.enumerated() { for i in 0..<count { columns[k].append(slots[slot * b + i]) } }
            first += count
        }
        func ranks(_ x: [Double]) -> [Double] {
            var r = [Double](repeating: 0, count: x.count)
            for (rank, i) in x.indices.sorted(by: { x[$0] < x[$1] }).enumerated() { r[i] = Double(rank) }
            return r
        }
        func spearman(_ a: [Double], _ b: [Double]) -> Double {
            let ra = ranks(a), rb = ranks(b), m = Double(a.count - 1) / 2
            let cov = zip(ra, rb).reduce(0) { $0 + ($1.0 - m) * ($1.1 - m) }
            let v = ra.reduce(0) { $0 + ($1 - m) * ($1 - m) }
            return cov / v
        }
        // Spearman's sd at n = 60000 is below 0.004; 0.015 is ≥ 4 sd.
        #expect(abs(spearman(columns[0], columns[1]) - 0.6) < 0.015)
        #expect(abs(spearman(columns[0], columns[2]) + 0.3) < 0.015)
        #expect(abs(spearman(columns[1], columns[2]) - 0.2) < 0.015)
    }
}
