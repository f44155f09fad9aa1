namespace FunctionalAD.Compilation

open FunctionalAD

/// What one instruction of a compiled program does.
type internal InstructionKind =
    /// The i-th input leaf.
    | Input of int
    /// A constant value.
    | Literal of NdArray
    /// A primitive applied to the arguments.
    | Primitive of Op
    /// The argument materialised at the instruction's (larger) shape.
    | Broadcast
    /// The argument's elements under another shape (a reshape): no work, the same buffer.
    | Alias

/// One instruction: its kind, argument instructions (earlier indices) and shape.
[<NoEquality; NoComparison>]
type internal Instruction = { Kind: InstructionKind; Args: int[]; Shape: int[] }

/// A traced function as a flat program: instructions in evaluation order (arguments first),
/// the inputs first of all, and the instructions whose values are the outputs.
[<NoEquality; NoComparison>]
type internal Program =
    { Instructions: Instruction[]
      Outputs: int[] }

    /// The number of elements an instruction produces.
    member p.SizeOf(k: int) = Shape.size p.Instructions[k].Shape

    /// The instruction whose buffer holds `k`'s elements (aliases share their argument's).
    member p.Storage(k: int) =
        let mutable r = k
        while (match p.Instructions[r].Kind with Alias -> true | _ -> false) do r <- p.Instructions[r].Args[0]
        r
