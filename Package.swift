// swift-tools-version: 6.0
// q8train: Q8BERT quantization-aware training (data parallel over MPI) and an int8 runtime.
import PackageDescription

/// Our targets use the Swift 5 language mode: the kernels pass raw buffer pointers into
/// worker closures, which Swift 6's strict Sendable checking would reject without wrappers
/// that add nothing (every worker writes a disjoint range).
let swift5: [SwiftSetting] = [.swiftLanguageMode(.v5)]

let package = Package(
    name: "q8train",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "q8train", targets: ["Launcher"]),
        .executable(name: "q8bench", targets: ["Bench"]),
        .executable(name: "q8serve", targets: ["Serve"]),
        .library(name: "BERT", targets: ["BERT"]),
        .library(name: "Runtime", targets: ["Runtime"]),
        .library(name: "Server", targets: ["Server"]),
        .library(name: "Tasks", targets: ["Tasks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // SHA-256 of checkpoints and exported models.
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        // q8serve: HTTP, lifecycle, metrics.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // System libraries, reached through C shim headers.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c",
                       providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        // Our C kernels: vectorized FP32 math (GELU, softmax, LayerNorm, dropout, AdamW),
        // Q8BERT fake quantization, and the int8 GEMM (AVX-512 VNNI, AVX2, scalar reference).
        .target(name: "CKernels", path: "Sources/CKernels"),
        // Buffers, FP32 kernels over OpenBLAS, thread pool.
        .target(name: "Tensor", dependencies: ["CBLAS", "CKernels"], swiftSettings: swift5),
        // What describes a model on disk, shared by training and the runtime: config.json,
        // the tokenizer, safetensors, quantization configs and the scale rule, the int8
        // folder format, the task a model folder records.
        .target(name: "ModelFormat", dependencies: [.product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: swift5),
        // The trainable BERT: parameter layout, layers with backward, Q8BERT fake quantization,
        // the optimizer, model folders and the int8 exporter.
        .target(name: "BERT", dependencies: ["ModelFormat", "Tensor", "CKernels"], swiftSettings: swift5),
        // GLUE-style tasks: TSV readers, labels, metrics.
        .target(name: "Tasks", swiftSettings: swift5),
        // The run log (log.jsonl): its typed records, the writer and the reader.
        .target(name: "RunLog", dependencies: ["ModelFormat"]),
        // The self-contained HTML report of a run, from its log.
        .target(name: "Report", dependencies: ["RunLog", "ModelFormat"], swiftSettings: swift5),
        // Fine-tuning: encoded datasets, the training loop, evaluation, checkpoints, config files.
        .target(name: "Training", dependencies: ["BERT", "ModelFormat", "Dist", "Tasks", "Tensor", "RunLog",
                                                 .product(name: "Yams", package: "Yams")],
                swiftSettings: swift5),
        // The int8 runtime: integer BERT inference on int8 x int8 -> int32 GEMMs (exported folders).
        .target(name: "Runtime", dependencies: ["ModelFormat", "Tensor", "CKernels"], swiftSettings: swift5),
        // Data parallelism over MPI: collectives, gradient buckets, the sampler. Knows no model.
        .target(name: "Dist", dependencies: ["CMPI", "Tensor"], swiftSettings: swift5),
        // Command-line option groups shared by the executables (q8train, q8serve): threads,
        // runtime (batch, sequence length, integer-only), enum-typed choices.
        .target(name: "CommandOptions",
                dependencies: ["Tensor", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                swiftSettings: swift5),
        // The `q8train` command.
        .executableTarget(
            name: "Launcher",
            dependencies: ["BERT", "CommandOptions", "ModelFormat", "Dist", "Tensor", "Training", "Tasks", "Report", "Runtime",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: swift5),
        // The HTTP server of the int8 runtime: routes, dynamic batcher, limits, metrics.
        // Swift 6 mode: it is concurrent code, and the compiler checks its Sendable story.
        .target(
            name: "Server",
            dependencies: ["Runtime", "ModelFormat",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "Prometheus", package: "swift-prometheus"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                           .product(name: "NIOHTTP1", package: "swift-nio")]),
        // The `q8serve` command.
        .executableTarget(
            name: "Serve",
            dependencies: ["Server", "Runtime", "CommandOptions", "Tensor",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log")]),
        // Benchmarks (scripts/bench-*.sh), release builds only.
        .executableTarget(name: "Bench", dependencies: ["BERT", "ModelFormat", "Tensor", "Runtime", "Dist", "Training", "CKernels"],
                          swiftSettings: swift5),
        .testTarget(name: "TasksTests", dependencies: ["Tasks", "Tensor", "TestSupport"], resources: [.copy("Fixtures")],
                    swiftSettings: swift5),
        .testTarget(name: "RunLogTests", dependencies: ["RunLog", "ModelFormat"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "RunLog"], swiftSettings: swift5),
        // Faults the tests inject into training through the trainer's gradient inspector.
        .target(name: "FaultInjection", dependencies: ["Training", "BERT"], path: "Tests/FaultInjection",
                swiftSettings: swift5),
        .testTarget(name: "TrainingTests",
                    dependencies: ["Training", "BERT", "ModelFormat", "Tensor", "Report", "RunLog", "FaultInjection"],
                    swiftSettings: swift5),
        .testTarget(name: "LauncherTests", dependencies: ["Launcher", "BERT", "CommandOptions", "ModelFormat", "Training",
                                                         .product(name: "ArgumentParser", package: "swift-argument-parser")], swiftSettings: swift5),
        // The package's own folders (bundled assets) for tests.
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: swift5),
        // Tiny random models exported to int8 folders, shared by RuntimeTests and ServerTests.
        .target(name: "TestModels", dependencies: ["BERT", "ModelFormat", "Tensor"], path: "Tests/TestModels",
                swiftSettings: swift5),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "BERT", "ModelFormat", "Tensor", "CKernels", "TestModels"],
                    swiftSettings: swift5),
        .testTarget(name: "ServerTests",
                    dependencies: ["Server", "Runtime", "ModelFormat", "TestModels",
                                   .product(name: "Hummingbird", package: "hummingbird"),
                                   .product(name: "HummingbirdTesting", package: "hummingbird"),
                                   .product(name: "Logging", package: "swift-log"),
                                   .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "CKernels"], swiftSettings: swift5),
        // `q8dist-harness` (Tests/DistHarness), test-only: not in `products`, and named for its
        // executable (an unlisted executable target's executable takes the target's name).
        // Dist's checks on every rank under mpirun, and training with an injected fault;
        // DistTests run it. `swift build --build-tests` builds it.
        .executableTarget(name: "q8dist-harness", dependencies: ["Dist", "BERT", "ModelFormat", "Tensor", "Training", "FaultInjection"],
                          path: "Tests/DistHarness", swiftSettings: swift5),
        .testTarget(name: "DistTests", dependencies: ["Dist", "BERT", "ModelFormat", "Tensor", "Training", "FaultInjection"],
                    swiftSettings: swift5),
        .testTarget(name: "ModelFormatTests", dependencies: ["ModelFormat", "Tensor", "TestSupport"], resources: [.copy("Fixtures")],
                    swiftSettings: swift5),
        .testTarget(name: "BERTTests", dependencies: ["BERT", "ModelFormat", "Tensor", "CKernels", "TestSupport"],
                    resources: [.copy("Fixtures")], swiftSettings: swift5),
    ]
)

// libFuzzer targets (Sources/Fuzz, docs/fuzzing.md), part of the package only when Q8_FUZZ=1:
// each links libFuzzer's `main`, so they build only with `-sanitize=fuzzer` and only one
// product at a time (scripts/fuzz.sh, in its own scratch path). Normal builds never see them.
if Context.environment["Q8_FUZZ"] == "1" {
    func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
        .executableTarget(name: name, dependencies: ["FuzzSupport"] + dependencies, path: "Sources/Fuzz/\(name)",
                          swiftSettings: swift5)
    }
    package.targets += [
        .target(name: "FuzzSupport", path: "Sources/Fuzz/FuzzSupport", swiftSettings: swift5),
        fuzzTarget("SafeTensorsFuzz", ["ModelFormat"]),
        fuzzTarget("Int8ModelFuzz", ["Runtime", "BERT", "ModelFormat", "Tensor"]),
        fuzzTarget("TokenizerFuzz", ["ModelFormat"]),
        fuzzTarget("TSVFuzz", ["Tasks"]),
        fuzzTarget("ServerRequestFuzz", ["Server"]),
        // Writes the seed corpora of Int8ModelFuzz and TokenizerFuzz (scripts/fuzz.sh seeds).
        .executableTarget(name: "FuzzSeeds", dependencies: ["FuzzSupport", "BERT", "ModelFormat", "Runtime", "Tensor"],
                          path: "Sources/Fuzz/FuzzSeeds", swiftSettings: swift5),
    ]
}
