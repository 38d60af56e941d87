extension GapModel {
    /// `inference_parity`: the first t ≥ 0 from which the meek inference loss stays at or
    /// below the SOTA training loss (`Li(t) ≤ Ls(t)` for every later t), App. C.
    ///
    /// `Li ≤ Ls` exactly when the inference budget's training-equivalent log compute is at
    /// least the SOTA model's. Their difference is piecewise linear in t (one kink at the
    /// investment stop T), so the answer is closed-form and does not depend on alpha, A or
    /// L0. `.never` when the SOTA compute keeps growing at least as fast at the end.
    public var inferenceParity: Moment {
        let d0 = logInferenceCompute - logSotaCompute
        let slopeBeforeStop = inferenceRate - (a + b)
        guard stop.isFinite else {
            if d0 >= 0 && slopeBeforeStop >= 0 { return .at(0) }
            return slopeBeforeStop > 0 ? .at(-d0 / slopeBeforeStop) : .never
        }
        let slopeAfterStop = inferenceRate - a
        let dAtStop = d0 + slopeBeforeStop * stop
        if slopeAfterStop < 0 { return .never }
        if dAtStop >= 0 {
            // Parity holds from T on; find where it starts on [0, T].
            if d0 >= 0 { return .at(0) }
            return .at(-d0 / slopeBeforeStop)  // d0 < 0 ≤ D(T), so the slope is > 0
        }
        return slopeAfterStop > 0 ? .at(stop - dAtStop / slopeAfterStop) : .never
    }
}
