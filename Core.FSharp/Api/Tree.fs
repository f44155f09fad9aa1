namespace FunctionalAD

open System
open System.Collections.Generic

/// Structures of tensors (JAX's pytrees): a tensor, or tuples (reference or struct), records,
/// arrays and F# lists of structures. `grad` of a function of a structure returns gradients of
/// the same structure. `unit` is the empty structure (the state of a stateless optimiser). Other
/// values inside a structure are an error naming their type.
module Tree =
    let private isList (t: Type) = t.IsGenericType && t.GetGenericTypeDefinition() = typedefof<list<int>>

    /// How to take apart and rebuild a tuple or a record type: its parts' types, a reader of
    /// their values and a constructor. Made once per type and cached, because a compiled
    /// training step walks its structures on every call, where looking the fields up by
    /// reflection each time cost more than a small network's arithmetic. Made with the base
    /// library's reflection (`ITuple`, properties, constructors) rather than FSharp.Reflection's
    /// precomputed readers, which do the same calls but whose own code the JIT compiles first:
    /// 33–40 ms and 245 methods for a tuple and a record in a fresh process, against 8–9 ms and
    /// 59 methods, on a first training run of about 400 ms.
    type private Product = { Parts: Type[]; Read: obj -> obj[]; Make: obj[] -> obj }

    let private products = Collections.Concurrent.ConcurrentDictionary<Type, Product option>()

    let private everyField = Reflection.BindingFlags.Instance ||| Reflection.BindingFlags.Public ||| Reflection.BindingFlags.NonPublic

    /// The kind of F# construct a type or member was compiled from, if the compiler said.
    let private sourceKind (m: Reflection.MemberInfo) =
        match Attribute.GetCustomAttribute(m, typeof<CompilationMappingAttribute>) with
        | :? CompilationMappingAttribute as mapping -> ValueSome(mapping.SourceConstructFlags &&& SourceConstructFlags.KindMask, mapping.SequenceNumber)
        | _ -> ValueNone

    /// A reference or struct tuple: its elements (those of a `TRest` tuple after the seventh
    /// flattened, as F# writes a tuple of eight or more), read through `ITuple`.
    let private tupleProduct (t: Type) =
        let rec parts (t: Type) =
            let arguments = t.GetGenericArguments()
            if arguments.Length = 8 then Array.append arguments[.. 6] (parts arguments[7]) else arguments
        let rec maker (t: Type) : obj[] -> obj =
            let arguments = t.GetGenericArguments()
            let constructor = t.GetConstructor arguments
            if arguments.Length = 8 then
                let rest = maker arguments[7]
                fun values -> constructor.Invoke(Array.append values[.. 6] [| rest values[7..] |])
            else constructor.Invoke
        { Parts = parts t
          Read = fun x -> let tuple = x :?> Runtime.CompilerServices.ITuple in Array.init tuple.Length (fun i -> tuple[i])
          Make = maker t }

    /// A record: its fields in declaration order, read as properties.
    let private recordProduct (t: Type) =
        let fields =
            t.GetProperties everyField
            |> Array.choose (fun p -> match sourceKind p with ValueSome(SourceConstructFlags.Field, order) -> Some(order, p) | _ -> None)
            |> Array.sortBy fst
            |> Array.map snd
        let parts = fields |> Array.map (fun p -> p.PropertyType)
        let constructor = t.GetConstructor(everyField, null, parts, null)
        { Parts = parts
          Read = fun x -> fields |> Array.map (fun p -> p.GetValue x)
          Make = constructor.Invoke }

    let private productOf (t: Type) =
        products.GetOrAdd(t, fun t ->
            if t.IsGenericType && typeof<Runtime.CompilerServices.ITuple>.IsAssignableFrom t && t.Namespace = "System" then Some(tupleProduct t)
            else
                match sourceKind t with
                | ValueSome(SourceConstructFlags.RecordType, _) -> Some(recordProduct t)
                | _ -> None)

    let rec private collect (t: Type) (x: obj) (acc: List<Tensor>) =
        if t = typeof<Tensor> then acc.Add(unbox<Tensor> x)
        elif t = typeof<unit> then ()
        elif isNull x then raise (ArgumentNullException("structure", sprintf "A structure of tensors contains null where a %s was expected." t.Name))
        else
            match productOf t with
            | Some product -> Array.iter2 (fun (part: Type) v -> collect part v acc) product.Parts (product.Read x)
            | None when t.IsArray ->
                let element = t.GetElementType()
                for v in (x :?> Array) do collect element v acc
            | None when isList t ->
                let element = t.GetGenericArguments()[0]
                for v in (x :?> Collections.IEnumerable) do collect element v acc
            | None -> raise (ArgumentException(sprintf "A structure of tensors may hold tensors, tuples, records, arrays and lists, not %s." t.FullName, "structure"))

    let rec private rebuild (t: Type) (template: obj) (next: unit -> Tensor) : obj =
        if t = typeof<Tensor> then box (next ())
        elif t = typeof<unit> then null
        else
            match productOf t with
            | Some product -> product.Make(Array.map2 (fun part v -> rebuild part v next) product.Parts (product.Read template))
            | None when t.IsArray ->
                let source = template :?> Array
                let element = t.GetElementType()
                let result = Array.CreateInstance(element, source.Length)
                for i in 0 .. source.Length - 1 do result.SetValue(rebuild element (source.GetValue i) next, i)
                box result
            | None ->
                let element = t.GetGenericArguments()[0]
                let items = [ for v in (template :?> Collections.IEnumerable) -> rebuild element v next ]
                let empty = t.GetProperty("Empty").GetValue(null)
                let cons = t.GetMethod("Cons")
                List.foldBack (fun item acc -> cons.Invoke(null, [| item; acc |])) items empty

    /// The tensors of a structure, in a fixed depth-first order.
    let leaves (structure: 'T) : Tensor[] =
        match box structure with
        | :? Tensor as t -> [| t |]
        | _ ->
            let acc = List<Tensor>()
            collect typeof<'T> (box structure) acc
            acc.ToArray()

    /// A structure shaped like `template` with its tensors replaced, in `leaves` order.
    let unflatten (template: 'T) (replacements: Tensor[]) : 'T =
        let mutable i = 0
        let next () =
            if i >= replacements.Length then raise (ArgumentException("The structure has more tensors than were supplied.", "replacements"))
            i <- i + 1
            replacements[i - 1]
        let result = if typeof<'T> = typeof<Tensor> then box (next ()) else rebuild typeof<'T> (box template) next
        if i <> replacements.Length then raise (ArgumentException(sprintf "The structure has %d tensors but %d were supplied." i replacements.Length, "replacements"))
        unbox<'T> result

    /// Applies a function to every tensor of a structure.
    let map (f: Tensor -> Tensor) (structure: 'T) : 'T = unflatten structure (leaves structure |> Array.map f)

    /// Combines two structures of the same form tensor by tensor.
    let map2 (f: Tensor -> Tensor -> Tensor) (a: 'T) (b: 'T) : 'T =
        let la, lb = leaves a, leaves b
        if la.Length <> lb.Length then raise (ArgumentException(sprintf "The structures differ: %d and %d tensors." la.Length lb.Length, "b"))
        unflatten a (Array.map2 f la lb)
