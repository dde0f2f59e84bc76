// The Swift engine's own backtest time on the data the Python benchmark uses:
// the same generator and seed, then `deltaNeutralBacktest` (kernel plus trade
// records) over MarketData already in memory, as the CLI runs it after
// loading. Built and run by bench_backtest.py against the CMake build:
//
//   swiftc -O -parse-as-library swift_kernel.swift -I .build-cmake/swift -I (the C module maps) -L .build-cmake/lib \
//     -lDeltaArbitrage -lDeltaArbitrageMockData -lSpreadKernels -Xlinker -rpath -Xlinker .build-cmake/lib
//
// Arguments: hours tick_seconds seed repeats. Prints one JSON line.
import DeltaArbitrage
import DeltaArbitrageMockData
import Foundation

@main
struct SwiftKernelTiming {
    static func main() throws {
        let args = CommandLine.arguments
        guard args.count == 5, let hours = Double(args[1]), let tick = Double(args[2]), let seed = UInt64(args[3]),
              let repeats = Int(args[4]), repeats > 0 else {
            FileHandle.standardError.write(Data("usage: swift_kernel HOURS TICK_SECONDS SEED REPEATS\n".utf8))
            exit(64)
        }
        let data = try generateMockMarketData(hours: hours, seed: seed, tickInterval: tick)
        let clock = ContinuousClock()
        var times: [Double] = []
        var trades = 0
        for _ in 0..<repeats {
            let start = clock.now
            let result = try deltaNeutralBacktest(data)
            let elapsed = clock.now - start
            times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            trades = result.trades.count
        }
        times.sort()
        print("{\"rows\": \(data.count), \"trades\": \(trades), \"min_seconds\": \(times[0]), \"median_seconds\": \(times[times.count / 2])}")
    }
}
