import Foundation
@testable import MeekEngine
@testable import MeekPriors
import Testing

/// The quantiles' MCSE assumes independent draws: reported for plain Monte Carlo only,
/// `nil` (no iid error claimed) for Latin hypercube and Sobol' draws.
@Suite struct SamplerMCSETests {
    @Test(arguments: [SamplerKind.mc, .lhs, .sobol])
    func mcseOnlyForIndependentDraws(sampler: SamplerKind) throws {
        let file = try PriorFile.load(path: priorsDirectory + "/baseline.toml")
        let s = try Engine.run(RunConfiguration(prior: file, draws: 20_000, seed: 3, sampler: sampler, threads: 2)).summary()
        let errors = (s.metrics + s.inputs).flatMap { $0.quantiles.map(\.mcse) }
        if sampler == .mc {
            #expect(errors.compactMap { $0 }.count > errors.count / 2)
        } else {
            #expect(errors.allSatisfy { $0 == nil })
        }
    }
}
