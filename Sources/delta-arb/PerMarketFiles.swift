import ArgumentParser
import DeltaArbitrage
import Foundation

/// `--spot FILE… --futures FILE…`, checked: each market's files (globs
/// expanded) and the merge's quote-age bound.
struct PerMarketFiles {
    var spot: [String]
    var futures: [String]
    var maxQuoteAgeNanoseconds: Int64?

    /// The files the option's values name: a value with `*`, `?` or `[` is a
    /// pattern, expanded in name order (a usage error naming the option when
    /// it matches nothing); any other value is a path, used as it is.
    static func expand(_ values: [String], option: String) throws -> [String] {
        var paths: [String] = []
        for value in values {
            guard value.contains(where: { "*?[".contains($0) }) else {
                paths.append(value)
                continue
            }
            var matches = glob_t()
            defer { globfree(&matches) }
            let status = glob(value, 0, nil, &matches)
            if status == GLOB_NOMATCH || matches.gl_pathc == 0 {
                throw ValidationError("\(option) '\(value)': no file matches the pattern")
            }
            if status != 0 { throw ValidationError("\(option) '\(value)': the pattern could not be expanded (glob error \(status))") }
            for index in 0..<Int(matches.gl_pathc) {
                if let path = matches.gl_pathv[index] { paths.append(String(cString: path)) }
            }
        }
        return paths
    }

    /// `spot.csv+futures.csv`, a market of several files named by its first and their count.
    var name: String {
        func label(_ paths: [String]) -> String {
            paths.count == 1 ? paths[0] : "\(paths.first ?? "") (+\(paths.count - 1) more)"
        }
        return label(spot) + "+" + label(futures)
    }

    /// Reads both markets' files and merges them with `TwoMarketMerge`,
    /// noting on stderr what each file gave and what the merge made of it;
    /// a data error becomes a one-line `CommandFailure` (exit status 1).
    /// `skipBadRows` leaves bad rows out of every file (counted on stderr).
    func load(skipBadRows: Bool) async throws -> MarketData {
        do {
            let ((spotQuotes, spotFiles), (futuresQuotes, futuresFiles)) = try await ProgressIndicator.run("reading \(name)") { _ in
                async let spotRead = Self.read(spot, skipBadRows: skipBadRows)
                let futuresRead = try await Self.read(futures, skipBadRows: skipBadRows)
                return (try await spotRead, futuresRead)
            }
            for (market, files) in [("spot", spotFiles), ("futures", futuresFiles)] {
                for file in files {
                    InputOptions.warnSkipped(file.skippedByKind, first: file.firstSkipped, of: file.path)
                    if file.oneSidedRows > 0 {
                        StandardError.write("note: \(file.path): \(file.oneSidedRows) one-sided rows (an empty bid or ask side) left out of the \(market) quotes\n")
                    }
                    if file.reorderedRows > 0 {
                        let key = file.layout == .binanceBookTicker ? "(event_time, update_id)" : "timestamp"
                        StandardError.write("note: \(file.path): \(file.reorderedRows) rows were out of \(key) order and were put in order\n")
                    }
                }
            }
            try Self.requireOverlap(name: name, spot: spotQuotes, spotFiles: spotFiles, futures: futuresQuotes, futuresFiles: futuresFiles)
            let merged = try TwoMarketMerge.merge(spot: spotQuotes, futures: futuresQuotes,
                                                  maxQuoteAgeNanoseconds: maxQuoteAgeNanoseconds)
            StandardError.write(mergeNote(merged, spotName: "spot", futuresName: "futures",
                                          ageBounded: maxQuoteAgeNanoseconds != nil))
            if merged.data.isEmpty {
                throw MarketDataError(kind: .noCompleteRows, file: name,
                                      detail: "no merged rows: all \(merged.droppedStale) were dropped by --max-quote-age-ms")
            }
            return merged.data
        } catch let error as CommandFailure {
            throw error
        } catch {
            throw CommandFailure(error)
        }
    }

    /// One market's files, read off the caller's thread so both markets read at once.
    private static func read(_ paths: [String], skipBadRows: Bool) async throws -> (MarketQuotes, [MarketQuotesFiles.File]) {
        let (quotes, files) = try MarketQuotesFiles.read(paths: paths, skipBadRows: skipBadRows)
        return (quotes, files)
    }

    /// Each market has quotes, and their time ranges overlap: else no instant has both markets' quotes.
    static func requireOverlap(name: String, spot: MarketQuotes, spotFiles: [MarketQuotesFiles.File],
                               futures: MarketQuotes, futuresFiles: [MarketQuotesFiles.File]) throws {
        func files(_ list: [MarketQuotesFiles.File]) -> String {
            list.count == 1 ? list[0].path : "\(list.count) files from \(list[0].path)"
        }
        for (market, quotes, list) in [("spot", spot, spotFiles), ("futures", futures, futuresFiles)] where quotes.count == 0 {
            throw MarketDataError(kind: .noCompleteRows, file: files(list), detail: "no \(market) quotes after the header")
        }
        let (s0, s1) = (spot.timestamps[0], spot.timestamps[spot.count - 1])
        let (f0, f1) = (futures.timestamps[0], futures.timestamps[futures.count - 1])
        if s1 < f0 || f1 < s0 {
            func range(_ a: Int64, _ b: Int64) -> String { "\(UTCTime.iso8601(nanoseconds: a)) … \(UTCTime.iso8601(nanoseconds: b))" }
            throw MarketDataError(kind: .timeRangesConflict, file: name,
                                  detail: "the spot quotes (\(files(spotFiles)): \(range(s0, s1))) and the futures quotes (\(files(futuresFiles)): \(range(f0, f1))) do not overlap in time, so no instant has both markets' quotes")
        }
    }
}

/// The stderr line saying what a two-market merge made: merged rows, the
/// quotes they came from, leading quotes before both markets had one and,
/// when the age is bounded, rows dropped by `--max-quote-age-ms`.
func mergeNote(_ merged: MergedMarkets, spotName: String, futuresName: String, ageBounded: Bool) -> String {
    "note: \(merged.data.count) merged rows from \(merged.spotQuotes) \(spotName) and \(merged.futuresQuotes) \(futuresName) quotes"
        + (merged.leadingQuotesBeforeBoth > 0 ? "; \(merged.leadingQuotesBeforeBoth) quotes before both markets had one" : "")
        + (ageBounded ? "; \(merged.droppedStale) rows dropped by --max-quote-age-ms" : "") + "\n"
}
