namespace FunctionalAD.Learn

open FunctionalAD

/// Element-type conversions shared by the initialisers, the losses and the optimisers.
module internal ElementType =
    /// `t` in `dtype`: unchanged when it has that type already, cast otherwise.
    let convert (dtype: DType) (t: Tensor) = if t.DType = dtype then t else Tensor.cast dtype t
