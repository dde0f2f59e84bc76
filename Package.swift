// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "DeltaArbitrage",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "SpreadKernels", targets: ["SpreadKernels"]),
        .library(name: "DeltaArbitrage", targets: ["DeltaArbitrage"]),
        .library(name: "DeltaArbitrageReporting", targets: ["DeltaArbitrageReporting"]),
        .library(name: "DeltaArbitrageMockData", targets: ["DeltaArbitrageMockData"]),
        .library(name: "DeltaArbitrageLive", targets: ["DeltaArbitrageLive"]),
        .executable(name: "delta-arb", targets: ["delta-arb"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLapack",
            path: "Sources/CLapack",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .target(
            name: "SpreadKernels",
            dependencies: ["CLapack"],
            linkerSettings: [.linkedLibrary("m")]
        ),
        .target(
            name: "DeltaArbitrage",
            dependencies: ["SpreadKernels"]
        ),
        .target(
            name: "DeltaArbitrageReporting",
            dependencies: ["DeltaArbitrage"]
        ),
        .target(
            name: "DeltaArbitrageMockData",
            dependencies: ["DeltaArbitrage"]
        ),
        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(
            name: "DeltaArbitrageLive",
            dependencies: ["SpreadKernels", "DeltaArbitrage", "CSQLite"]
        ),
        .executableTarget(
            name: "delta-arb",
            dependencies: [
                "DeltaArbitrage",
                "DeltaArbitrageReporting",
                "DeltaArbitrageMockData",
                "DeltaArbitrageLive",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "DeltaArbitrageBenchmarks",
            dependencies: [
                "SpreadKernels",
                "DeltaArbitrage",
                "DeltaArbitrageMockData",
                "DeltaArbitrageLive",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/DeltaArbitrageBenchmarks"
        ),
        .testTarget(
            name: "SpreadKernelsTests",
            dependencies: ["SpreadKernels"]
        ),
        .testTarget(
            name: "DeltaArbCLITests",
            dependencies: ["delta-arb", "DeltaArbitrageLive", "DeltaArbitrage"]
        ),
        .testTarget(
            name: "DeltaArbitrageTests",
            dependencies: ["DeltaArbitrage", "DeltaArbitrageMockData", "SpreadKernels"]
        ),
        .testTarget(
            name: "DeltaArbitrageReportingTests",
            dependencies: ["DeltaArbitrageReporting", "DeltaArbitrageMockData", "DeltaArbitrage"]
        ),
        .testTarget(
            name: "DeltaArbitrageMockDataTests",
            dependencies: ["DeltaArbitrageMockData", "DeltaArbitrage"]
        ),
        .testTarget(
            name: "DeltaArbitrageLiveTests",
            dependencies: ["DeltaArbitrageLive", "DeltaArbitrageMockData", "DeltaArbitrage"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
