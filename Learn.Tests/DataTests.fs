module FunctionalAD.Learn.Tests.DataTests

open System
open Xunit
open FunctionalAD
open FunctionalAD.Learn
open FunctionalAD.Tests.TestSupport

[<Fact>]
let ``a CSV with scikit-learn's header takes counts and class names from it`` () =
    let data = Csv.parse "inline" "3,2,no,yes,,\n1.5,2,0\n3,4,1\n-1,0.25,1\n"
    Assert.Equal<string[]>([| "no"; "yes" |], data.ClassNames)
    Assert.Equal<int[]>([| 0; 1; 1 |], data.Labels)
    assertTensorClose 0.0 (mat [ [ 1.5; 2.0 ]; [ 3.0; 4.0 ]; [ -1.0; 0.25 ] ]) data.Features

[<Fact>]
let ``a CSV without a header names classes by number`` () =
    let data = Csv.parse "inline" "0,1,2\n3,4,0\n"
    Assert.Equal<string[]>([| "0"; "1"; "2" |], data.ClassNames)
    Assert.Equal<int[]>([| 2; 0 |], data.Labels)

[<Fact>]
let ``malformed CSV files are refused with the line that is wrong`` () =
    let bad = Assert.Throws<FormatException>(fun () -> Csv.parse "f.csv" "1,2,0\n1,x,1\n" |> ignore)
    Assert.Contains("line 2", bad.Message)
    Assert.Throws<FormatException>(fun () -> Csv.parse "f.csv" "1,2,0\n1,1\n" |> ignore) |> ignore
    Assert.Throws<FormatException>(fun () -> Csv.parse "f.csv" "5,2,a,b\n1,2,0\n" |> ignore) |> ignore
    Assert.Throws<FormatException>(fun () -> Csv.parse "f.csv" "1,2,0.5\n" |> ignore) |> ignore

[<Fact>]
let ``hostile CSV files are refused with the line and the column`` () =
    let refusal text = (Assert.Throws<FormatException>(fun () -> Csv.parse "f.csv" text |> ignore)).Message
    // An empty cell is not skipped (that would shift the later columns into other features).
    Assert.Contains("line 1, column 2: the cell is empty", refusal "4,,5,1\n")
    Assert.Contains("line 2, column 2: the cell is empty", refusal "1,2,0\n4,,1\n")
    Assert.Contains("followed by no data rows", refusal "2,2,a,b\n")
    Assert.Contains("separated by commas", refusal "1;2;0\n3;4;1\n")
    Assert.Contains("line 1, column 2: 'NaN' is not a finite number", refusal "1,NaN,0\n")
    Assert.Contains("line 1, column 1: '1e400' is not a finite number", refusal "1e400,2,0\n")
    Assert.Contains("line 2, column 3: the label 2e+09 is not a class number", refusal "1,2,0\n3,4,2000000000\n")
    Assert.Contains("line 1, column 3", refusal "1,2,-Infinity\n")

[<Fact>]
let ``the shipped data sets load with their documented sizes`` () =
    let check file rows features (counts: int[]) =
        let data = Csv.load (Demos.dataFile file)
        Assert.Equal<int[]>([| rows; features |], data.Features.Shape)
        Assert.Equal<int[]>(counts, Array.init counts.Length (fun c -> data.Labels |> Array.filter ((=) c) |> Array.length))
    check "breast_cancer.csv" 569 30 [| 212; 357 |]
    check "wine.csv" 178 13 [| 59; 71; 48 |]
    let digits = Csv.load (Demos.dataFile "digits.csv")
    Assert.Equal<int[]>([| 1797; 64 |], digits.Features.Shape)
    Assert.Equal(10, Dataset.classCount digits)

[<Fact>]
let ``a seeded split is reproducible and partitions the samples`` () =
    let data = Dataset.create (Tensor.reshape [| 10; 1 |] (Tensor.arange 10)) (Array.init 10 (fun i -> i % 2)) [| "a"; "b" |]
    let train, test = Dataset.split 5 0.3 data
    let train', _ = Dataset.split 5 0.3 data
    Assert.Equal(7, Dataset.size train)
    Assert.Equal(3, Dataset.size test)
    Assert.Equal<float[]>(train.Features.ToArray(), train'.Features.ToArray())
    let all = Array.append (train.Features.ToArray()) (test.Features.ToArray()) |> Array.sort
    Assert.Equal<float[]>(Array.init 10 float, all)
    // labels travel with their rows
    Array.iter2 (fun (x: float) y -> Assert.Equal(int x % 2, y)) (train.Features.ToArray()) train.Labels

[<Fact>]
let ``minibatches cover every sample once per epoch`` () =
    let data = Dataset.create (Tensor.reshape [| 10; 1 |] (Tensor.arange 10)) (Array.zeroCreate 10) [| "only" |]
    let batches = Dataset.batches 1 4 data
    Assert.Equal<int[]>([| 4; 4; 2 |], batches |> Array.map Dataset.size)
    Assert.Equal<float[]>(Array.init 10 float, batches |> Array.collect (fun b -> b.Features.ToArray()) |> Array.sort)
    Assert.NotEqual<float[]>(Array.init 10 float, batches |> Array.collect (fun b -> b.Features.ToArray()))

[<Fact>]
let ``standardisation uses the training statistics and leaves constant features at zero`` () =
    let train = mat [ [ 1.0; 5.0 ]; [ 3.0; 5.0 ] ]
    let s = Standardizer.fit train
    assertTensorClose 1e-15 (mat [ [ -1.0; 0.0 ]; [ 1.0; 0.0 ] ]) (Standardizer.apply s train)
    assertTensorClose 1e-15 (mat [ [ 2.0; 1.0 ] ]) (Standardizer.apply s (mat [ [ 4.0; 6.0 ] ]))

[<Fact>]
let ``pixel shifts move each image with zeros shifted in, and augmenting keeps labels with their copies`` () =
    // One 2 × 3 image [[1, 2, 3], [4, 5, 6]] as a row.
    let image = mat [ [ 1.0; 2.0; 3.0; 4.0; 5.0; 6.0 ] ]
    assertTensorClose 0.0 (mat [ [ 0.0; 0.0; 0.0; 1.0; 2.0; 3.0 ] ]) (Augment.shifted 2 3 (1, 0) image)
    assertTensorClose 0.0 (mat [ [ 2.0; 3.0; 0.0; 5.0; 6.0; 0.0 ] ]) (Augment.shifted 2 3 (0, -1) image)
    assertTensorClose 0.0 (mat [ [ 0.0; 4.0; 5.0; 0.0; 0.0; 0.0 ] ]) (Augment.shifted 2 3 (-1, 1) image)
    let data = Dataset.create (Tensor.concat 0 [ image; 2.0 * image ]) [| 0; 1 |] [| "a"; "b" |]
    let augmented = Augment.withPixelShifts 2 3 data
    Assert.Equal<int[]>([| 10; 6 |], augmented.Features.Shape)
    Assert.Equal<int[]>([| 0; 1; 0; 1; 0; 1; 0; 1; 0; 1 |], augmented.Labels)
    Assert.Throws<ArgumentException>(fun () -> Augment.shifted 2 3 (2, 0) image |> ignore) |> ignore
