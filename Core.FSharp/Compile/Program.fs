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
    /// The argument's elements converted to the instruction's element type (a float32 value
    /// read by a float64 step is widened, exactly, as eager promotion widens it).
    | Convert

/// One instruction: its kind, argument instructions (earlier indices), shape and element type.
/// Every instruction computes in its own type, from arguments of that type (the lowering
/// converts the others), except a primitive that fixes its result type (`cast`), which gets
/// its argument as it is.
[<NoEquality; NoComparison>]
type internal Instruction = { Kind: InstructionKind; Args: int[]; Shape: int[]; DType: DType }

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
