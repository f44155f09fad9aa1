namespace FunctionalAD.Cli

open System
open System.Globalization
open FunctionalAD

/// An expression as written: numbers, variables, + − × ÷ ^, function calls and vectors.
type Syntax =
    | Number of float
    | Var of name: string * column: int
    | Negate of Syntax
    | Binary of operator: char * left: Syntax * right: Syntax
    | Call of name: string * args: Syntax list * column: int
    | Vector of Syntax list

/// A syntax error at a column (0-based) of the input.
exception ParseError of message: string * column: int

/// A small recursive-descent parser for ordinary math:
///   expr    = term {("+" | "-") term}
///   term    = unary {("*" | "/") unary}
///   unary   = ("-" | "+") unary | power
///   power   = primary ["^" unary]          (right-associative: 2^-x, x^y^z)
///   primary = number | name | name "(" expr {"," expr} ")" | "(" expr ")" | "[" expr {"," expr} "]"
module Syntax =
    /// The functions the syntax adds to the core's primitives, with their number of arguments.
    let compositions = [ "sinh", 1; "cosh", 1; "sum", 1; "mean", 1; "max", 2; "min", 2; "pow", 2; "dot", 2 ]

    /// The functions the parser accepts, with their number of arguments: every elementwise
    /// primitive of the core by its own name, and the compositions.
    let functions =
        Seq.append (Tensor.primitives |> Seq.map (fun p -> p.Key, fst p.Value)) compositions
        |> Seq.sortBy fst
        |> dict

    /// Named constants.
    let constants = dict [ "pi", Math.PI; "e", Math.E ]

    /// Parses `text`, or raises ParseError with the column of the problem.
    let parse (text: string) : Syntax =
        let mutable pos = 0
        let fail message = raise (ParseError(message, pos))
        let skipSpaces () = while pos < text.Length && Char.IsWhiteSpace text[pos] do pos <- pos + 1
        let peek () = skipSpaces (); if pos < text.Length then text[pos] else '\000'
        let describe () = if pos < text.Length then sprintf "'%c'" text[pos] else "the end of the input"
        let expect (c: char) =
            if peek () = c then pos <- pos + 1 else fail (sprintf "expected '%c' but found %s" c (describe ()))
        let isNameStart c = Char.IsLetter c || c = '_'
        let isNamePart c = Char.IsLetterOrDigit c || c = '_'

        let number () =
            let start = pos
            while pos < text.Length && (Char.IsDigit text[pos] || text[pos] = '.') do pos <- pos + 1
            // An exponent only when digits follow, so that 2e is not half a number.
            if pos < text.Length && (text[pos] = 'e' || text[pos] = 'E') then
                let afterSign = if pos + 1 < text.Length && (text[pos + 1] = '+' || text[pos + 1] = '-') then pos + 2 else pos + 1
                if afterSign < text.Length && Char.IsDigit text[afterSign] then
                    pos <- afterSign
                    while pos < text.Length && Char.IsDigit text[pos] do pos <- pos + 1
            match Double.TryParse(text.AsSpan(start, pos - start), NumberStyles.Float, CultureInfo.InvariantCulture) with
            | true, v -> Number v
            | _ -> raise (ParseError(sprintf "'%s' is not a number" (text.Substring(start, pos - start)), start))

        // The parser recurses once per level of nesting, on DeepRecursion's large stack. On input
        // nested deeper than even that allows it stops with InsufficientExecutionStackException,
        // reported below as a parse error, instead of overflowing the stack and ending the process.
        let rec expression () =
            Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack()
            let mutable left = term ()
            while peek () = '+' || peek () = '-' do
                let op = text[pos]
                pos <- pos + 1
                left <- Binary(op, left, term ())
            left

        and term () =
            let mutable left = unary ()
            while peek () = '*' || peek () = '/' do
                let op = text[pos]
                pos <- pos + 1
                left <- Binary(op, left, unary ())
            left

        and unary () =
            Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack()
            match peek () with
            | '-' -> pos <- pos + 1; Negate(unary ())
            | '+' -> pos <- pos + 1; unary ()
            | _ -> power ()

        and power () =
            let b = primary ()
            if peek () = '^' then
                pos <- pos + 1
                Binary('^', b, unary ())
            else b

        and list (closing: char) =
            let items = ResizeArray [ expression () ]
            while peek () = ',' do
                pos <- pos + 1
                items.Add(expression ())
            expect closing
            List.ofSeq items

        and primary () =
            let c = peek ()
            if Char.IsDigit c || c = '.' then number ()
            elif c = '(' then
                pos <- pos + 1
                let inner = expression ()
                expect ')'
                inner
            elif c = '[' then
                pos <- pos + 1
                Vector(list ']')
            elif isNameStart c then
                let start = pos
                while pos < text.Length && isNamePart text[pos] do pos <- pos + 1
                let name = text.Substring(start, pos - start)
                if peek () = '(' then
                    match functions.TryGetValue name with
                    | true, arity ->
                        pos <- pos + 1
                        let args = list ')'
                        if args.Length <> arity then
                            raise (ParseError(sprintf "%s takes %d argument%s but was given %d" name arity (if arity = 1 then "" else "s") args.Length, start))
                        Call(name, args, start)
                    | _ -> raise (ParseError(sprintf "unknown function '%s' (known: %s)" name (String.Join(", ", functions.Keys)), start))
                else
                    match constants.TryGetValue name with
                    | true, v -> Number v
                    | _ -> Var(name, start)
            elif c = '\000' then fail "unexpected end of the input: expected a number, a name, '(' or '['"
            else fail (sprintf "unexpected %s: expected a number, a name, '(' or '['" (describe ()))

        let result =
            try FunctionalAD.DeepRecursion.run expression
            with :? InsufficientExecutionStackException ->
                raise (ParseError("the expression is nested too deeply for the parser (split it, or use fewer parentheses)", pos))
        if peek () <> '\000' then fail (sprintf "unexpected %s after a complete expression (missing operator?)" (describe ()))
        result

    /// The variables of an expression, each once, in order of first appearance.
    /// A walk with an explicit stack (left to right), so that a deep expression cannot overflow it.
    let variables (e: Syntax) : string list =
        let found = Collections.Generic.List<string>()
        let pending = Collections.Generic.Stack<Syntax>([ e ])
        while pending.Count > 0 do
            match pending.Pop() with
            | Number _ -> ()
            | Var(name, _) -> if not (found.Contains name) then found.Add name
            | Negate x -> pending.Push x
            | Binary(_, x, y) ->
                pending.Push y
                pending.Push x
            | Call(_, args, _) | Vector args -> for a in List.rev args do pending.Push a
        List.ofSeq found

    /// The input with a caret under the column of an error.
    let pointAt (text: string) (column: int) = sprintf "  %s\n  %s^" text (String(' ', column))
