import Testing
import SpreadKernels

/// The public kernels read through raw pointers; a row range outside the
/// columns must stop the process at the call, not read past the buffers.
@Suite("Kernel range checks")
struct KernelRangeCheckTests {
    static func withColumns(_ body: (BookColumns) -> Void) {
        let times: [Int64] = [0, 1, 2, 3]
        let prices: [Double] = [100, 100, 100, 100]
        times.withUnsafeBufferPointer { t in
            prices.withUnsafeBufferPointer { p in
                body(BookColumns(timestamps: t, spotAsk: p, spotBid: p, futAsk: p, futBid: p))
            }
        }
    }

    @Test func firstEntryPastTheEndTraps() async {
        await #expect(processExitsWith: .failure) {
            KernelRangeCheckTests.withColumns { c in _ = BacktestKernel.firstEntry(c, threshold: 1, from: 0, to: 64) }
        }
    }

    @Test func firstExitBeforeTheStartTraps() async {
        await #expect(processExitsWith: .failure) {
            KernelRangeCheckTests.withColumns { c in
                let held = OpenPosition(entryIndex: 0, entryTime: 0, entrySpotAsk: 100, entryFutBid: 100)
                let rule = BacktestRule(entryThresholdPct: 0.5, exitThresholdPct: 0.1, maxHours: 6, spotFee: 0, futFee: 0)
                _ = BacktestKernel.firstExit(c, held, rule: rule, cutoff: 1, from: -8, to: 4)
            }
        }
    }

    @Test func firstIndexPastTheEndTraps() async {
        await #expect(processExitsWith: .failure) {
            _ = FirstPassageIndex([1, 2, 3]).firstIndex(atLeast: 10, from: 0, to: 1_000)
        }
    }

    @Test func firstRowOutsideTheColumnsTraps() async {
        await #expect(processExitsWith: .failure) {
            KernelRangeCheckTests.withColumns { c in _ = c.firstRow(atOrAfter: 2, in: 0..<9) }
        }
    }

    @Test func inRangeCallsAnswer() {
        KernelRangeCheckTests.withColumns { c in
            #expect(BacktestKernel.firstEntry(c, threshold: 1, from: 0, to: 4) == 0)
            #expect(c.firstRow(atOrAfter: 2, in: 0..<4) == 2)
        }
        #expect(FirstPassageIndex([1, 2, 3]).firstIndex(atLeast: 2, from: 0, to: 3) == 1)
    }
}
