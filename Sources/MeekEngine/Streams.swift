import CGSL

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny generator used only to expand a 64-bit
/// key into a generator state, as numpy's SeedSequence does.
public struct SplitMix64: Sendable {
    public var state: UInt64
    public init(_ state: UInt64) { self.state = state }

    @inlinable public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The stream key of block `block` of a run with `seed`: a pure function of both, with
    /// all 64 bits of each mixed in (GSL's own seeding keeps only 32 bits).
    public static func blockKey(seed: UInt64, block: UInt64) -> UInt64 {
        var a = SplitMix64(seed)
        let s = a.next()
        var b = SplitMix64(s ^ (block &* 0xD1B5_4A32_D192_ED03))
        return b.next() ^ (block &+ 0x632B_E59B_D9B4_E019)
    }
}

/// A GSL taus2 generator (L'Ecuyer's maximally equidistributed combined Tausworthe,
/// period 2^88) whose whole state is re-filled for each block of draws from
/// SplitMix64(blockKey(seed, block)). One per worker, reused across blocks. taus2 is GSL's
/// fastest simulation-quality generator: 3.6 ns a number here against 7.1 for mt19937.
final class BlockRNG {
    static let name = "taus2"
    let rng: UnsafeMutablePointer<gsl_rng>

    init() {
        guard let r = gsl_rng_alloc(meek_gsl_rng_taus2()) else { fatalError("GSL could not allocate taus2") }
        rng = r
    }

    deinit { gsl_rng_free(rng) }

    /// Positions the generator at the start of block `block`'s stream.
    func start(seed: UInt64, block: Int) {
        var mix = SplitMix64(SplitMix64.blockKey(seed: seed, block: UInt64(block)))
        let status = meek_taus2_set_state(rng, mix.next(), mix.next(), mix.next())
        precondition(status == 0, "GSL's taus2 state layout is not the one meek was built for")
        for _ in 0..<6 { _ = gsl_rng_get(rng) }  // warm up, as gsl_rng_set does
    }

    /// A uniform in (0, 1) from one 32-bit output (`meek_uniform`: (x + 0.5)·2^-32).
    @inline(always) func uniform() -> Double { meek_uniform(gsl_rng_get(rng)) }
}
