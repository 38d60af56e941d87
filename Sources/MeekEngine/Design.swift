import CGSL
import MeekPriors

/// Fills the uniforms of one block of draws: `u[d * stride + i]` for draw i, dimension d,
/// all in (0, 1). The values depend only on (seed, sampler, block index, block size, dims),
/// never on the thread, so any thread count or sharding gives the same draws.
final class Design {
    let kind: SamplerKind
    let dims: Int
    let seed: UInt64
    private let rng = BlockRNG()
    private var permutation: [Int] = []
    private var sobol: OpaquePointer?
    private var point: [Double]

    /// Plain Monte Carlo only: 1 for the dimensions filled with standard normal scores
    /// (GSL's ziggurat) instead of uniforms (`Plan.normalScoreDims`), one byte per dimension
    /// as `meek_fill_mc` reads them.
    private let gaussianFlags: [UInt8]

    init(kind: SamplerKind, dims: Int, seed: UInt64, gaussian: [Bool] = []) {
        precondition(gaussian.isEmpty || kind == .mc, "only plain Monte Carlo draws normal scores")
        self.kind = kind
        self.dims = dims
        self.seed = seed
        gaussianFlags = (0..<max(dims, 1)).map { d in d < gaussian.count && gaussian[d] ? 1 : 0 }
        point = [Double](repeating: 0, count: max(dims, 1))
        if kind == .sobol, dims > 0 {
            guard let q = gsl_qrng_alloc(meek_gsl_qrng_sobol(), UInt32(dims)) else { fatalError("GSL could not allocate Sobol'") }
            sobol = OpaquePointer(q)
        }
    }

    deinit { if let sobol { gsl_qrng_free(UnsafeMutablePointer(sobol)) } }

    /// Whether a block can be filled in consecutive parts (`fillPart`) with the same values:
    /// plain Monte Carlo, whose stream runs draw by draw. Latin hypercube strata span the
    /// whole block.
    var fillsInParts: Bool { kind == .mc }

    /// Plain Monte Carlo: the next `count` draws of block `block` into `u` (stride ≥ count),
    /// starting the block's stream when `restart`. Consecutive parts give exactly the values
    /// `fill` gives the whole block.
    func fillPart(_ u: UnsafeMutablePointer<Double>, block: Int, restart: Bool, count: Int, stride: Int) {
        precondition(kind == .mc, "only plain Monte Carlo fills a block in parts")
        guard dims > 0 else { return }
        if restart { rng.start(seed: seed, block: block) }
        gaussianFlags.withUnsafeBufferPointer { g in
            meek_fill_mc(rng.rng, u, count, stride, dims, g.baseAddress)
        }
    }

    /// Fills `u` (capacity ≥ dims·stride, stride ≥ count) for the `count` draws of block
    /// `block`, whose first draw has global index `first`.
    func fill(_ u: UnsafeMutablePointer<Double>, block: Int, first: Int, count: Int, stride: Int) {
        guard dims > 0 else { return }
        switch kind {
        case .mc:
            rng.start(seed: seed, block: block)
            gaussianFlags.withUnsafeBufferPointer { g in
                meek_fill_mc(rng.rng, u, count, stride, dims, g.baseAddress)
            }
        case .lhs:
            // Each dimension: the block's draws take one stratum each of (0, 1), in a
            // random order, at a uniform position within it.
            rng.start(seed: seed, block: block)
            if permutation.count != count { permutation = Array(0..<count) }
            let n = Double(count)
            for d in 0..<dims {
                for i in 0..<count { permutation[i] = i }
                permutation.withUnsafeMutableBytes { raw in
                    gsl_ran_shuffle(rng.rng, raw.baseAddress, count, MemoryLayout<Int>.stride)
                }
                for i in 0..<count { u[d * stride + i] = (Double(permutation[i]) + rng.uniform()) / n }
            }
        case .sobol:
            let q = UnsafeMutablePointer<gsl_qrng>(sobol!)
            let status = meek_sobol_skip_to(q, UInt(first))
            precondition(status == 0, "Sobol' skip failed (index \(first))")
            point.withUnsafeMutableBufferPointer { p in
                for i in 0..<count {
                    _ = gsl_qrng_get(q, p.baseAddress)
                    for d in 0..<dims { u[d * stride + i] = p[d] }
                }
            }
        }
    }
}

extension RunConfiguration {
    /// The prior file compiled for this run's sampler (normal scores under plain MC).
    func plan() -> Plan { Plan(prior, normalScores: sampler == .mc, sigmoidRule: metrics.needsSigmoid) }

    /// The design of this run's draws, matching `plan` (one per worker: it holds a stream).
    func design(_ plan: Plan) -> Design {
        Design(kind: sampler, dims: plan.dims, seed: seed, gaussian: plan.normalScoreDims)
    }
}
