// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "DeltaArbitrage",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "SpreadKernels", targets: ["SpreadKernels"]),
        .library(name: "DeltaArbitrage", targets: ["DeltaArbitrage"]),
        .library(name: "DeltaArbitrageReporting", targets: ["DeltaArbitrageReporting"]),
        .library(name: "DeltaArbitrageMockData", targets: ["DeltaArbitrageMockData"]),
        .library(name: "DeltaArbitrageLive", targets: ["DeltaArbitrageLive"]),
        .library(name: "DeltaArbitrageSources", targets: ["DeltaArbitrageSources"]),
        .library(name: "DeltaArbitrageExchangeFeeds", targets: ["DeltaArbitrageExchangeFeeds"]),
        .library(name: "DeltaArbitrageService", targets: ["DeltaArbitrageService"]),
        // The C ABI (include/deltaarb.h) the Python package `deltaarb` loads.
        .library(name: "DeltaArbitrageC", type: .dynamic, targets: ["DeltaArbitrageC"]),
        .executable(name: "delta-arb", targets: ["delta-arb"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        // The CLI only: YAML batch manifests (`delta-arb batch`).
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // Live service only (SwiftPM-only, not in the CMake build): WebSocket feeds over NIO with TLS,
        // the HTTP API, the service lifecycle and Prometheus metrics.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.6.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Tests only: TestClock, a clock the tests advance by hand.
        .package(url: "https://github.com/pointfreeco/swift-clocks", from: "1.1.1"),
        // Tests only: a real HTTP client (streaming bodies, for server-sent events) against the service's
        // HTTP API; already in the graph through Hummingbird's test support.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLapack",
            path: "Sources/CLapack",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        // Header-only: processor instructions Swift has no spelling for (the first-passage index's compare-to-bitmask).
        .systemLibrary(name: "CIntrinsics", path: "Sources/CIntrinsics"),
        .target(
            name: "SpreadKernels",
            dependencies: ["CLapack", "CIntrinsics"],
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
            dependencies: ["SpreadKernels", "CIntrinsics", "CZlib", .product(name: "Atomics", package: "swift-atomics")]
        ),
        .target(
            name: "DeltaArbitrageReporting",
            dependencies: ["DeltaArbitrage"]
        ),
        .target(
            name: "DeltaArbitrageMockData",
            dependencies: ["DeltaArbitrage"]
        ),
        // The C ABI over the domain libraries (no sockets, no service): what the
        // Python package `deltaarb` loads; include/deltaarb.h documents it.
        .target(
            name: "DeltaArbitrageC",
            dependencies: ["DeltaArbitrage", "SpreadKernels", "DeltaArbitrageMockData"],
            exclude: ["include"]
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
        // Exchange book-ticker feeds over WebSocket (ws:// and wss://): the only code that opens
        // sockets to exchanges. Message decoding and feed policies stay in DeltaArbitrageLive.
        .target(
            name: "DeltaArbitrageExchangeFeeds",
            dependencies: [
                "DeltaArbitrageLive", "DeltaArbitrage",
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // `delta-arb serve`: the strategy service (feeds, strategy loop, HTTP API, metrics),
        // run by swift-service-lifecycle.
        .target(
            name: "DeltaArbitrageService",
            dependencies: [
                "DeltaArbitrageLive", "DeltaArbitrageExchangeFeeds", "DeltaArbitrageSources", "DeltaArbitrage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Stand-in exchange servers on loopback (Gate.io v4 and Binance book-ticker streams) for the
        // tests and the benchmarks; never part of a product.
        .target(
            name: "ExchangeStandIns",
            dependencies: [
                "DeltaArbitrage", "DeltaArbitrageLive",
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/ExchangeStandIns"
        ),
        .executableTarget(
            name: "delta-arb",
            dependencies: [
                "DeltaArbitrage",
                "DeltaArbitrageSources",
                "DeltaArbitrageReporting",
                "DeltaArbitrageMockData",
                "DeltaArbitrageLive",
                "DeltaArbitrageService",
                "DeltaArbitrageExchangeFeeds",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
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
                "DeltaArbitrageExchangeFeeds",
                "DeltaArbitrageService",
                "ExchangeStandIns",
                "MallocCounter",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/DeltaArbitrageBenchmarks"
        ),
        // Counts the benchmark executable's heap allocations (interposes malloc; never linked elsewhere).
        .target(name: "MallocCounter", path: "Benchmarks/MallocCounter"),
        .testTarget(
            name: "SpreadKernelsTests",
            dependencies: ["SpreadKernels"]
        ),
        .testTarget(
            name: "DeltaArbCLITests",
            dependencies: [
                "delta-arb", "DeltaArbitrageLive", "DeltaArbitrage", "DeltaArbitrageSources", "ExchangeStandIns",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "DeltaArbitrageTests",
            dependencies: ["DeltaArbitrage", "DeltaArbitrageMockData", "SpreadKernels", "CZlib", "CIntrinsics"]
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
        .testTarget(
            name: "DeltaArbitrageExchangeFeedsTests",
            dependencies: [
                "DeltaArbitrageExchangeFeeds", "DeltaArbitrageLive", "DeltaArbitrage", "ExchangeStandIns",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "DeltaArbitrageServiceTests",
            dependencies: [
                "DeltaArbitrageService", "DeltaArbitrageExchangeFeeds", "DeltaArbitrageLive", "DeltaArbitrage",
                "ExchangeStandIns",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
