import Testing
@testable import DeltaArbitrage

/// What the CSV fast-path tests share: a skipping loader cut into small
/// pieces and blocks, and the check that two loads gave the same result.
enum CSVLoadComparison {
    /// A skipping, parallel loader on 2 threads with the given piece and
    /// block sizes; `fast` false takes only the general code, `vector`
    /// false only the portable fast paths (no AVX2 kernels).
    static func loader(fast: Bool, vector: Bool = true, piece: Int, block: Int, maxLineBytes: Int) -> MarketDataCSVLoader {
        var loader = MarketDataCSVLoader(options: MarketDataCSVOptions(skipBadRows: true, maxReportedErrors: 100_000,
                                                                      parallel: true, maxLineBytes: maxLineBytes))
        loader.fastRows = fast
        loader.vectorInstructions = vector
        loader.minimumChunkBytes = 1
        loader.maximumChunks = 2
        loader.pieceBytes = piece
        loader.blockBytes = block
        return loader
    }

    /// The same rows (bit for bit), counts and error messages.
    static func expectEqual(_ result: MarketDataCSVLoadResult, _ reference: MarketDataCSVLoadResult, _ label: String) {
        let data = result.data, expected = reference.data
        #expect(data.timestamps == expected.timestamps, "\(label)")
        for (a, b) in [(data.spotAskPrice, expected.spotAskPrice), (data.spotBidPrice, expected.spotBidPrice),
                       (data.futAskPrice, expected.futAskPrice), (data.futBidPrice, expected.futBidPrice),
                       (data.spotAskQuantity, expected.spotAskQuantity), (data.spotBidQuantity, expected.spotBidQuantity),
                       (data.futAskQuantity, expected.futAskQuantity), (data.futBidQuantity, expected.futBidQuantity)] {
            #expect(a.map(\.bitPattern) == b.map(\.bitPattern), "\(label)")
        }
        #expect(result.rowsSkipped == reference.rowsSkipped && result.skippedByKind == reference.skippedByKind, "\(label)")
        #expect(result.blankLines == reference.blankLines && result.leadingRowsDropped == reference.leadingRowsDropped,
                "\(label)")
        #expect(result.firstErrors.map(\.description) == reference.firstErrors.map(\.description), "\(label)")
    }
}
