import Foundation
import MeekModel
import MeekReport

/// Renders one evaluation of the gap model as text tables or JSON.
struct ModelReport {
    let model: GapModel
    let outcome: Outcome
    /// Extra times (years after the start) at which to tabulate the trajectories.
    let times: [Double]

    private var start: Double { model.parameters.startYear }

    // MARK: Text

    func text() -> String {
        var out = "meek model — the gap model of Gundlach, Lynch & Thompson (2025) at point inputs\n\n"
        out += "Inputs\n" + inputsTable().rendered() + "\n"
        out += "Derived\n" + derivedTable().rendered() + "\n"
        out += "Training gap ΔL = Lm − Ls\n" + peakTable().rendered() + "\n"
        out += "Convergence: first time after the peak that the training gap is at or below\n"
        out += convergenceTable().rendered() + "\n"
        out += "Inference (App. C): a fixed inference budget against the SOTA model\n"
        out += inferenceTable().rendered() + "\n"
        out += "Benchmark gap ΔB = Perf(Ls) − Perf(Lm), percentage points (eqs. 18–19)\n"
        out += benchmarkTable().rendered()
        if !times.isEmpty {
            out += "\nTrajectories\n" + trajectoryTable().rendered()
        }
        return out
    }

    private func inputsTable() -> TextTable {
        var table = TextTable("input", "value", "meaning")
        let p = model.parameters
        for key in ParameterKey.allCases {
            let value: String = switch key {
            case .investStopYears: p.investStopYears.map(formatNumber) ?? "never"
            case .gInf: p.gInf.map(formatNumber) ?? "\(formatNumber(p.effectiveGInf)) (= g_alg)"
            default: formatNumber(p[key]!)
            }
            table.add(key.rawValue, value, key.meaning)
        }
        return table.leftAligned(column: 2)
    }

    private func derivedTable() -> TextTable {
        var table = TextTable("quantity", "value", "unit")
        table.add("a = ln(g_h·g_alg), shared progress", sig(model.a, 6), "1/year")
        table.add("b = ln(g_i), investment growth", sig(model.b, 6), "1/year")
        table.add("K = A·Cm^-alpha, meek reducible loss at t = 0", sig(model.K, 6), "nats/token")
        table.add("SPRT numerator (eq. 16 × slowdown)", sig(model.sprtNumerator, 6), "nats")
        return table.leftAligned(column: 2)
    }

    private func peakTable() -> TextTable {
        var table = TextTable("quantity", "value", "unit")
        switch outcome.peak {
        case .attained(let t, let gap):
            table.add("peak time (the paper's inflection time)", sig(t, 5), "years after start")
            table.add("peak year", year(t), "")
            table.add("peak gap", sig(gap, 5), "nats/token")
            table.add("SPRT tokens to tell the models apart at the peak", sig(outcome.sprtTokensAtPeak!, 5), "tokens")
        case .neverPeaks(let sup):
            table.add("peak time", "never", "the gap keeps growing")
            table.add("supremum of the gap", sup.isFinite ? sig(sup, 5) : "unbounded", "nats/token")
        case .noLead:
            table.add("peak time", "no lead", "the SOTA model never leads")
        }
        return table.leftAligned(column: 2)
    }

    private func convergenceTable() -> TextTable {
        var table = TextTable("threshold", "gap (nats)", "years after start", "year")
        for (threshold, moment) in outcome.convergence {
            let level = model.gapLevel(threshold, peak: outcome.peak)
            table.add(describe(threshold), level.map { sig($0, 5) } ?? "–", years(moment), year(moment))
        }
        return table
    }

    private func inferenceTable() -> TextTable {
        var table = TextTable("quantity", "years after start", "year")
        table.add("parity: meek inference loss ≤ SOTA loss from then on",
                  years(outcome.inferenceParity), year(outcome.inferenceParity))
        if let gap = outcome.inferenceGapAtPeak {
            table.add("inference gap at the training peak (nats/token)", sig(gap, 5), "")
        }
        return table
    }

    private func benchmarkTable() -> TextTable {
        let points = outcome.benchmark.first?.convergence.map(\.points) ?? []
        var table = TextTable(["p", "peak (years)", "peak year", "peak gap (points)"]
            + points.map { "≤ \(formatNumber($0)) pts (year)" })
        for (curve, convergence) in outcome.benchmark {
            var row = [String(curve.steps)]
            switch curve.peak {
            case .attained(let t, let gap): row += [sig(t, 4), year(t), sig(gap, 4)]
            case .neverPeaks(let sup): row += ["never", "never", "→ " + sig(sup, 4)]
            case .noLead: row += ["no lead", "no lead", "–"]
            }
            row += convergence.map { year($0.moment) }
            table.add(row)
        }
        return table
    }

    private func trajectoryTable() -> TextTable {
        let steps = outcome.benchmark.map(\.curve.steps)
        var table = TextTable(["t (years)", "year", "Lm", "Ls", "ΔL (nats)", "ΔLinf (nats)"]
            + steps.map { "ΔB p=\($0) (pts)" } + ["SPRT tokens"])
        for t in times {
            let tokens = model.sprtTokens(at: t)
            table.add([sig(t, 6), year(t), sig(model.meekLoss(at: t), 6), sig(model.sotaLoss(at: t), 6),
                       sig(model.trainingGap(at: t), 5), sig(model.inferenceGap(at: t), 5)]
                + steps.map { sig(model.benchmarkGap(at: t, steps: $0), 4) }
                + [tokens.isFinite ? sig(tokens, 5) : "never"])
        }
        return table
    }

    private func describe(_ threshold: GapThreshold) -> String {
        switch threshold {
        case .nats(let g): "gap ≤ \(formatNumber(g)) nats"
        case .fractionOfPeak(let f): "gap ≤ \(formatNumber(f * 100))% of the peak"
        case .sprtTokens(let n): "SPRT needs ≥ \(formatNumber(n)) tokens"
        }
    }

    private func years(_ m: Moment) -> String {
        switch m {
        case .at(let t): sig(t, 4)
        case .never: "never"
        case .noLead: "no lead"
        }
    }

    private func year(_ m: Moment) -> String { m.years.map(year) ?? years(m) }
    private func year(_ t: Double) -> String { (start + t).isFinite ? String(format: "%.2f", start + t) : NumberText.notFinite }

    // MARK: JSON

    func json() -> JSON {
        let p = model.parameters
        var inputs: [(String, JSON)] = ParameterKey.allCases.map { key in
            (key.rawValue, p[key].map(JSON.number) ?? .null)
        }
        inputs.append(("g_inf_effective", .number(p.effectiveGInf)))
        var training: [(String, JSON)] = [("status", .string(status(outcome.peak)))]
        switch outcome.peak {
        case .attained(let t, let gap):
            training += [
                ("peak_time_years", .number(t)), ("peak_year", .number(start + t)),
                ("peak_gap_nats", .number(gap)),
                ("sprt_tokens_at_peak", .number(outcome.sprtTokensAtPeak!)),
            ]
        case .neverPeaks(let sup):
            training += [("peak_time_years", .string("never")), ("peak_year", .string("never")),
                         ("peak_gap_nats", sup.isFinite ? .number(sup) : .string("unbounded"))]
        case .noLead:
            training += [("peak_time_years", .string("no lead")), ("peak_year", .string("no lead"))]
        }
        training.append(("convergence", .array(outcome.convergence.map { threshold, moment in
            var row: [(String, JSON)]
            switch threshold {
            case .nats(let g): row = [("kind", .string("nats")), ("threshold", .number(g))]
            case .fractionOfPeak(let f): row = [("kind", .string("fraction_of_peak")), ("threshold", .number(f))]
            case .sprtTokens(let n): row = [("kind", .string("sprt_tokens")), ("threshold", .number(n))]
            }
            row.append(("gap_nats", model.gapLevel(threshold, peak: outcome.peak).map(JSON.number) ?? .null))
            return .object(row + timeFields(moment))
        })))
        var inference: [(String, JSON)] = timeFields(outcome.inferenceParity, prefix: "parity_")
        inference.append(("gap_at_training_peak_nats", outcome.inferenceGapAtPeak.map(JSON.number) ?? .null))
        let benchmark: [JSON] = outcome.benchmark.map { curve, convergence in
            var row: [(String, JSON)] = [("steps_p", .int(curve.steps)), ("status", .string(status(curve.peak)))]
            row += timeFields(curve.peak.time, prefix: "peak_")
            if let gap = curve.peak.gap { row.append(("peak_gap_points", .number(gap))) }
            row.append(("convergence", .array(convergence.map { points, moment in
                .object([("threshold_points", .number(points))] + timeFields(moment))
            })))
            return .object(row)
        }
        var document: [(String, JSON)] = [
            ("tool", .object([("name", .string("meek")), ("version", .string(MeekVersion.string)),
                              ("command", .string("model"))])),
            ("inputs", .object(inputs)),
            ("derived", .object([
                ("a", .number(model.a)), ("b", .number(model.b)), ("K", .number(model.K)),
                ("log_meek_compute", .number(model.logMeekCompute)),
                ("log_sota_compute", .number(model.logSotaCompute)),
                ("sprt_numerator_nats", .number(model.sprtNumerator)),
            ])),
            ("training", .object(training)),
            ("inference", .object(inference)),
            ("benchmark", .array(benchmark)),
        ]
        if !times.isEmpty {
            document.append(("trajectory", .array(times.map { t in
                let tokens = model.sprtTokens(at: t)
                return .object([
                    ("t_years", .number(t)), ("year", .number(start + t)),
                    ("meek_loss", .number(model.meekLoss(at: t))), ("sota_loss", .number(model.sotaLoss(at: t))),
                    ("inference_loss", .number(model.inferenceLoss(at: t))),
                    ("training_gap_nats", .number(model.trainingGap(at: t))),
                    ("inference_gap_nats", .number(model.inferenceGap(at: t))),
                    ("benchmark_gap_points", .object(outcome.benchmark.map {
                        ("p\($0.curve.steps)", .number(model.benchmarkGap(at: t, steps: $0.curve.steps)))
                    })),
                    ("sprt_tokens", tokens.isFinite ? .number(tokens) : .string("never")),
                ])
            })))
        }
        return .object(document)
    }

    /// `years_after_start` and `year`, as numbers or as "never" / "no lead".
    private func timeFields(_ m: Moment, prefix: String = "") -> [(String, JSON)] {
        switch m {
        case .at(let t): [(prefix + "years_after_start", .number(t)), (prefix + "year", .number(start + t))]
        case .never: [(prefix + "years_after_start", .string("never")), (prefix + "year", .string("never"))]
        case .noLead: [(prefix + "years_after_start", .string("no lead")), (prefix + "year", .string("no lead"))]
        }
    }

    private func status(_ peak: Peak) -> String {
        switch peak {
        case .attained: "peak"
        case .neverPeaks: "never peaks"
        case .noLead: "no lead"
        }
    }
}

/// Shortest text that reads back as the same number: 0.154, 1070, 1e+17 (— when not finite).
func formatNumber(_ x: Double) -> String { NumberText.shortest(x) }

extension TextTable {
    /// Makes one column left-aligned (for prose), keeping the others as they are.
    func leftAligned(column: Int) -> TextTable {
        var copy = self
        copy.leftColumns.insert(column)
        return copy
    }
}
