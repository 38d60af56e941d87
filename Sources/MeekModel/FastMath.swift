/// `exp`, `expm1`, `log` and `log1p` for the model's hot paths: fdlibm's algorithms
/// (Cody–Waite argument reduction, a Taylor/minimax polynomial, exact scaling by powers of
/// two) written for four lanes at once (`SIMD4<Double>`) without branches. The scalar
/// functions run the same lane code, so the block kernel (4 draws at a time) and
/// `GapModel` (one draw) give bit-identical results. Swift never contracts `a*b + c` into
/// a fused multiply-add, so results do not depend on the CPU either.
///
/// `exp` and `log` are within 1 ulp of the correctly rounded result, `expm1` and `log1p`
/// within 1.4 and 1.3 ulp, over the model's ranges (tested against 80-bit references; dense
/// scans find at most 0.96, 0.87, 1.37 and 1.13 ulp).
public enum FastMath {
    public typealias Lanes = SIMD4<Double>
    @usableFromInline typealias Bits = SIMD4<UInt64>
    @usableFromInline typealias Ints = SIMD4<Int64>

    @usableFromInline static let ln2Hi = 6.93147180369123816490e-01  // 11 trailing zero bits
    @usableFromInline static let ln2Lo = 1.90821492927058770002e-10
    @usableFromInline static let log2e = 1.4426950408889634
    /// 1.5·2^52: adding and subtracting it rounds to the nearest integer.
    @usableFromInline static let roundingMagic = 6755399441055744.0
    /// Its bits (a literal: `roundingMagic.bitPattern` is an out-of-line call in the loop).
    @usableFromInline static let roundingMagicBits: UInt64 = 0x4338_0000_0000_0000

    @inlinable @inline(always) static func bits(_ x: Lanes) -> Bits { unsafeBitCast(x, to: Bits.self) }

    /// `b` where `mask` is set, else `a`. SIMD's `replacing(with:where:)`, which LLVM
    /// lowers to one select on whole vectors (`vblendvpd` on a ymm register with AVX, and
    /// and/andn/or on xmm pairs without). A hand-written bitwise select on the mask's bits
    /// looks equivalent but makes LLVM split every vector around it into 128-bit halves.
    @inlinable @inline(always)
    public static func blend(_ a: Lanes, _ b: Lanes, _ mask: SIMDMask<SIMD4<Int64>>) -> Lanes {
        a.replacing(with: b, where: mask)
    }

    @inlinable @inline(always)
    static func blend(_ a: Ints, _ b: Ints, _ mask: SIMDMask<SIMD4<Int64>>) -> Ints {
        a.replacing(with: b, where: mask)
    }
    @inlinable @inline(always) static func double(_ b: Bits) -> Lanes { unsafeBitCast(b, to: Lanes.self) }

    /// n = round(x/ln 2) (as a double and as an integer) and r = x − n·ln 2, for |x| ≤ 746.
    @inlinable @inline(always)
    static func reduce(_ x: Lanes) -> (ni: Ints, r: Lanes) {
        let t = x * log2e + roundingMagic
        let n = t - roundingMagic
        let ni = unsafeBitCast(bits(t) &- roundingMagicBits, to: Ints.self)
        return (ni, (x - n * ln2Hi) - n * ln2Lo)
    }

    /// 2^n for n in [−1076, 1024], as two normal factors whose product rounds correctly.
    @inlinable @inline(always)
    static func twoToThe(_ ni: Ints) -> (Lanes, Lanes) {
        let n1 = unsafeBitCast(unsafeBitCast(ni &+ 2048, to: Bits.self) &>> 1, to: Ints.self) &- 1024  // ⌊n/2⌋
        let n2 = ni &- n1
        return (double(unsafeBitCast((n1 &+ 1023) &<< 52, to: Bits.self)),
                double(unsafeBitCast((n2 &+ 1023) &<< 52, to: Bits.self)))
    }

    /// e^r − 1 for |r| ≤ 0.3466: Taylor series to degree 13 (truncation below 5e-18). The
    /// polynomial p (r + r²·p) is evaluated as two Horner halves in parallel, p_low + r^6·p_high,
    /// which halves the dependency chain; the high half's rounding is scaled by r^6 < 0.002.
    @inlinable @inline(always)
    static func expm1Reduced(_ r: Lanes) -> Lanes {
        var low = Lanes(repeating: 1.0 / 5040)
        low = low * r + 1.0 / 720
        low = low * r + 1.0 / 120
        low = low * r + 1.0 / 24
        low = low * r + 1.0 / 6
        low = low * r + 0.5
        var high = Lanes(repeating: 1.0 / 6227020800)
        high = high * r + 1.0 / 479001600
        high = high * r + 1.0 / 39916800
        high = high * r + 1.0 / 3628800
        high = high * r + 1.0 / 362880
        high = high * r + 1.0 / 40320
        let r2 = r * r
        let r6 = r2 * r2 * r2
        return r + r2 * (low + r6 * high)
    }

    /// e^r − 1 for |r| ≤ ln 2: Taylor series to degree 17 (truncation below 3e-19), its
    /// polynomial evaluated as two Horner halves in parallel, p_low + r^8·p_high (the high
    /// half's rounding scaled by r^8 < 0.06·…, its terms below 3e-7).
    @inlinable @inline(always)
    static func expm1Wide(_ r: Lanes) -> Lanes {
        var low = Lanes(repeating: 1.0 / 362880)
        low = low * r + 1.0 / 40320
        low = low * r + 1.0 / 5040
        low = low * r + 1.0 / 720
        low = low * r + 1.0 / 120
        low = low * r + 1.0 / 24
        low = low * r + 1.0 / 6
        low = low * r + 0.5
        var high = Lanes(repeating: 1.0 / 355687428096000)
        high = high * r + 1.0 / 20922789888000
        high = high * r + 1.0 / 1307674368000
        high = high * r + 1.0 / 87178291200
        high = high * r + 1.0 / 6227020800
        high = high * r + 1.0 / 479001600
        high = high * r + 1.0 / 39916800
        high = high * r + 1.0 / 3628800
        let r2 = r * r
        let r4 = r2 * r2
        return r + r2 * (low + (r4 * r4) * high)
    }

    @inlinable @inline(always)
    static func clampExponent(_ x: Lanes) -> Lanes {
        blend(blend(x, Lanes(repeating: -746), x .< -746), Lanes(repeating: 710), x .> 710)
    }

    /// e^x per lane. Overflows to +∞ above 709.78, underflows to 0 below −745.13.
    @inlinable @inline(always)
    public static func exp(_ x: Lanes) -> Lanes {
        let (ni, r) = reduce(clampExponent(x))
        let (s1, s2) = twoToThe(ni)
        return blend((1 + expm1Reduced(r)) * s1 * s2, x, x .!= x)
    }

    /// e^x − 1 per lane, accurate near 0; −1 below −37.5, +∞ above 709.78. For x in
    /// (−ln2/2, ln 2) no reduction is done (the series alone is accurate there, and its
    /// terms do not alternate above 0), so neither 2^n·q + (2^n − 1) nor the series cancels
    /// badly anywhere.
    @inlinable @inline(always)
    public static func expm1(_ x: Lanes) -> Lanes {
        let xc = clampExponent(x)
        let reduced = reduce(xc)
        let small = (xc .< 0.6931471805599453) .& (xc .> -0.34657359027997264)
        let ni = blend(reduced.ni, Ints(repeating: 0), small)
        let r = blend(reduced.r, xc, small)
        let q = expm1Wide(r)
        let (s1, s2) = twoToThe(ni)
        let s = s1 * s2
        return blend(s * q + (s - 1), x, x .!= x)  // 2^n − 1 exact for |n| ≤ 53
    }

    /// Natural logarithm per lane: −∞ at 0, NaN below 0, +∞ at +∞; subnormals handled.
    @inlinable @inline(always)
    public static func log(_ x: Lanes) -> Lanes {
        let subnormal = x .< Double.leastNormalMagnitude
        let xs = blend(x, x * 18014398509481984.0, subnormal)  // × 2^54
        let b = bits(xs)
        var k = unsafeBitCast((b &>> 52) & 0x7ff, to: Ints.self) &- 1023
        k = blend(k, k &- 54, subnormal)
        var m = double((b & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000)  // [1, 2)
        let big = m .> 1.4142135623730951
        m = blend(m, m * 0.5, big)
        k = blend(k, k &+ 1, big)
        let f = m - 1
        let s = f / (2 + f)
        let z = s * s, w = z * z
        let t1 = w * (3.999999999940941908e-01 + w * (2.222219843214978396e-01 + w * 1.531383769920937332e-01))
        let t2 = z * (6.666666666666735130e-01 + w * (2.857142874366239149e-01
            + w * (1.818357216161805012e-01 + w * 1.479819860511658591e-01)))
        let hfsq = 0.5 * f * f
        // k as a double, exactly: the integer added to the bits of 1.5·2^52.
        let dk = double(bits(Lanes(repeating: roundingMagic)) &+ unsafeBitCast(k, to: Bits.self)) - roundingMagic
        let y = dk * ln2Hi - ((hfsq - (s * (hfsq + (t1 + t2)) + dk * ln2Lo)) - f)
        let valid = (x .> 0) .& (x .< .infinity)
        let special = blend(blend(Lanes(repeating: .nan), Lanes(repeating: -.infinity), x .== 0), x, x .== .infinity)
        return blend(y, special, .!valid)
    }

    /// ln(1 + x) per lane, accurate near 0: log(u) − ((u − 1) − x)/u with u = 1 + x.
    @inlinable @inline(always)
    public static func log1p(_ x: Lanes) -> Lanes {
        let u = 1 + x
        let y = log(u) - ((u - 1) - x) / u
        return blend(y, x, u .== 1)  // x below half an ulp of 1: ln(1+x) = x
    }

    // MARK: One value (lane 0 of the same code)

    @inlinable @inline(always) public static func exp(_ x: Double) -> Double { exp(Lanes(repeating: x))[0] }
    @inlinable @inline(always) public static func expm1(_ x: Double) -> Double { expm1(Lanes(repeating: x))[0] }
    @inlinable @inline(always) public static func log(_ x: Double) -> Double { log(Lanes(repeating: x))[0] }
    @inlinable @inline(always) public static func log1p(_ x: Double) -> Double { log1p(Lanes(repeating: x))[0] }
}
