import Testing
import SpreadKernels

@Suite("Partition point")
struct PartitionPointTests {
    /// Every sub-range of every non-decreasing series of small values (with
    /// repeats), every probe: the binary search equals a linear scan.
    @Test func equalsALinearScanEverywhere() {
        var series: [[Int64]] = [[]]
        for length in 1...7 {
            series += (0..<40).map { seed in
                var x = UInt64(seed * 7919 + length)
                var value: Int64 = 0
                return (0..<length).map { _ in
                    x = x &* 6364136223846793005 &+ 1442695040888963407
                    value += Int64(x >> 62)  // steps of 0…3: repeats and jumps
                    return value
                }
            }
        }
        for values in series {
            for lower in 0...values.count {
                for upper in lower...values.count {
                    for probe in Int64(-1)...Int64(values.last ?? 0) + 1 {
                        let want = (lower..<upper).first { values[$0] >= probe } ?? upper
                        #expect(values.partitionPoint(in: lower..<upper) { $0 >= probe } == want)
                    }
                }
            }
        }
    }

    @Test func firstRowOfBookColumnsIsThePartitionPoint() {
        let times: [Int64] = [10, 10, 20, 30, 30, 30, 40]
        let prices = [Double](repeating: 1, count: times.count)
        times.withUnsafeBufferPointer { t in
            prices.withUnsafeBufferPointer { p in
                let columns = BookColumns(timestamps: t, spotAsk: p, spotBid: p, futAsk: p, futBid: p)
                #expect(columns.firstRow(atOrAfter: 30, in: 0..<7) == 3)
                #expect(columns.firstRow(atOrAfter: 30, in: 4..<7) == 4)
                #expect(columns.firstRow(atOrAfter: 41, in: 0..<7) == 7)
                #expect(columns.firstRow(atOrAfter: 0, in: 2..<5) == 2)
            }
        }
    }
}
