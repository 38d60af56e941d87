// swift-tools-version:6.0
//
// meek — Monte Carlo uncertainty analysis for the capability-gap model of
// "Meek Models Shall Inherit the Earth" (Gundlach, Lynch, Thompson, ICML 2025).
//
// Dependency direction (top uses bottom, never the reverse):
//
//   meek (executable) → MeekCLI → MeekReport → MeekSensitivity → MeekEngine → MeekPriors → MeekModel
//                              ↘ ArgumentParser                                      ↘ CGSL, MeekTOML
//   MeekModel is pure (libm only). MeekTOML (the TOML parser) depends on nothing. CGSL (GSL
//   shim) is reached only through priors/engine.

import PackageDescription

let package = Package(
    name: "meek",
    products: [
        .executable(name: "meek", targets: ["meek"]),
        .library(name: "MeekModel", targets: ["MeekModel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
    ],
    targets: [
        // MARK: - Public API

        /// The deterministic gap model: pure, dependency-free (libm only), no I/O.
        .target(
            name: "MeekModel",
            exclude: ["README.md"]
        ),

        /// Prior files: distributions, derived inputs, joint tables, copulas, scenarios.
        .target(
            name: "MeekPriors",
            dependencies: ["MeekModel", "CGSL", "MeekTOML"],
            exclude: ["README.md"]
        ),

        /// The Monte Carlo engine: block streams, designs, the worker pool, accumulators,
        /// summaries.
        .target(name: "MeekEngine", dependencies: ["MeekPriors", "MeekModel", "CGSL"], exclude: ["README.md"]),

        /// Variance-based and rank-based sensitivity analysis (Saltelli design, Sobol' indices).
        .target(name: "MeekSensitivity", dependencies: ["MeekEngine", "MeekPriors", "MeekModel", "CGSL"], exclude: ["README.md"]),

        /// Outputs: summary tables (Markdown, CSV, JSON), draws (.npy), atomic files.
        .target(name: "MeekReport", dependencies: ["MeekEngine", "MeekPriors", "MeekSensitivity", "CGSL"], exclude: ["README.md"]),

        /// Commands of the `meek` tool: parse, validate, call the libraries, render.
        .target(
            name: "MeekCLI",
            dependencies: [
                "MeekModel", "MeekPriors", "MeekEngine", "MeekSensitivity", "MeekReport",
                "MeekTOML", "CGSL",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .executableTarget(name: "meek", dependencies: ["MeekCLI", "MeekCPU"]),

        /// The CPU check of a build tuned for AVX2 (`make build` on an AVX2 machine).
        .target(name: "MeekCPU"),

        /// `make bench`: engine throughput at 1 and 2 threads, and peak memory.
        .executableTarget(name: "meek-bench", dependencies: ["MeekEngine", "MeekPriors", "MeekModel", "MeekSensitivity", "MeekCPU", "CGSL"], path: "Sources/MeekBench"),

        // MARK: - Implementation details

        /// A TOML 1.0 parser that cannot trap on any input and knows every key's line.
        .target(name: "MeekTOML", exclude: ["README.md"]),

        /// GSL through one header of static inline accessors (Debian: libgsl-dev).
        .systemLibrary(
            name: "CGSL",
            pkgConfig: "gsl",
            providers: [.apt(["libgsl-dev"])]
        ),

        // MARK: - Unit test bundles

        .testTarget(name: "MeekModelTests", dependencies: ["MeekModel", "MeekTestSupport"]),
        .testTarget(name: "MeekTOMLTests", dependencies: ["MeekTOML", "MeekTestSupport"]),
        /// Helpers shared by test bundles (a seeded generator).
        .target(name: "MeekTestSupport", path: "Tests/MeekTestSupport"),
        .testTarget(name: "MeekCLITests", dependencies: ["MeekCLI", "MeekModel", "meek"]),
        .testTarget(name: "CGSLTests", dependencies: ["CGSL"]),
        .testTarget(name: "MeekPriorsTests", dependencies: ["MeekPriors", "MeekModel", "CGSL"]),
        .testTarget(name: "MeekSensitivityTests", dependencies: ["MeekSensitivity", "MeekEngine"]),
        .testTarget(name: "MeekEngineTests", dependencies: ["MeekEngine", "MeekPriors", "MeekModel", "CGSL"]),
    ],
    swiftLanguageModes: [.v6]
)
