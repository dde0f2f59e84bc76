import Testing
import DeltaArbitrageMockData
@testable import DeltaArbitrage

/// The as-of grid refuses a step that would need more points than the data and the machine allow.
@Suite("SpreadGrid size bound")
struct SpreadGridBoundTests {
    @Test func tooFineAStepIsATypedErrorBeforeAllocating() throws {
        let data = try generateMockMarketData(hours: 1, seed: 1)
        #expect(throws: SpreadGridSizeError(stepSeconds: 0.001, points: 3_600_001, limit: SpreadGrid.maxPoints(rows: data.count),
                                            spanSeconds: 3600)) {
            try SpreadGrid.asOf(data, stepSeconds: 0.001)
        }
        #expect(throws: SpreadGridSizeError.self) { try SpreadAnalyzer.analyze(data, options: SpreadAnalysisOptions(gridStepSeconds: 1e-6)) }
        #expect(try SpreadGrid.asOf(data, stepSeconds: 1).count == 3_601)
    }

    @Test func theLimitFollowsTheDataAndTheMemory() {
        #expect(SpreadGrid.maxPoints(rows: 10, physicalMemory: 1 << 40) == 1_000_000)
        #expect(SpreadGrid.maxPoints(rows: 1_000_000, physicalMemory: 1 << 40) == 16_000_000)
        #expect(SpreadGrid.maxPoints(rows: 1_000_000, physicalMemory: 4 * SpreadGrid.estimatedBytesPerPoint * 5_000) == 5_000)
        #expect(SpreadGrid.maxPoints(rows: Int.max, physicalMemory: .max) > 0)
    }
}
