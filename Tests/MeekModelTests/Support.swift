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

