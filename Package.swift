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
        .library(name: "DeltaArbitrageSources", targets: ["DeltaArbitrageSources"]),
        .executable(name: "delta-arb", targets: ["delta-arb"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        // Tests only: TestClock, a clock the tests advance by hand.
        .package(url: "https://github.com/pointfreeco/swift-clocks", from: "1.1.1"),
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
        // zlib: gzip and zip market-data files, inflated as they are read.
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "DeltaArbitrage",
            dependencies: ["SpreadKernels", "CZlib", .product(name: "Atomics", package: "swift-atomics")]
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
            dependencies: [
                "SpreadKernels", "DeltaArbitrage", "CSQLite",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        // libpq, PostgreSQL's C client: binary COPY in both directions.
        .systemLibrary(
            name: "CLibPQ",
            path: "Sources/CLibPQ",
            providers: [.apt(["libpq-dev"])]
        ),
        // Market-data sources beyond CSV files: the PostgreSQL book-ticker store.
        .target(
            name: "DeltaArbitrageSources",
            dependencies: ["DeltaArbitrage", "CLibPQ"]
        ),
        .executableTarget(
            name: "delta-arb",
            dependencies: [
                "DeltaArbitrage",
                "DeltaArbitrageSources",
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
                "DeltaArbitrageSources",
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
            dependencies: ["delta-arb", "DeltaArbitrageLive", "DeltaArbitrage", "DeltaArbitrageSources"]
        ),
        .testTarget(
            name: "DeltaArbitrageTests",
            dependencies: ["DeltaArbitrage", "DeltaArbitrageMockData", "SpreadKernels", "CZlib"]
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
            name: "DeltaArbitrageSourcesTests",
            dependencies: ["DeltaArbitrageSources", "DeltaArbitrage"]
        ),
        .testTarget(
            name: "DeltaArbitrageLiveTests",
            dependencies: [
                "DeltaArbitrageLive", "DeltaArbitrageMockData", "DeltaArbitrage",
                .product(name: "Clocks", package: "swift-clocks"),
                .product(name: "Atomics", package: "swift-atomics"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
