import Foundation
import MeekModel

/// Whether `x` agrees with a published reference value to `digits` significant figures:
/// within half a unit of the reference's `digits`-th significant digit.
func agrees(_ x: Double, _ reference: Double, digits: Int = 4) -> Bool {
    let exponent = floor(log10(abs(reference)))
    return abs(x - reference) <= 0.5 * pow(10, exponent - Double(digits - 1))
}

/// The paper's point inputs with some changed.
func paper(_ change: (inout Parameters) -> Void = { _ in }) -> GapModel {
    var p = Parameters()
    change(&p)
    return try! GapModel(p)
}

extension Peak {
    var attainedTime: Double? { if case .attained(let t, _) = self { t } else { nil } }
    var attainedGap: Double? { if case .attained(_, let g) = self { g } else { nil } }
}

/// A seeded generator (SplitMix64), so tests that sample inputs are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
