import DeltaArbitrage
import Foundation
import Testing
@testable import DeltaArbitrageLive

private func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)").path
}

private func removeState(_ path: String) {
    for suffix in ["", ".lock", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
}

@Suite("State file")
struct StateFileTests {
    /// A second store on the same file (as a second process would open it) is
    /// refused at once, naming this process as the holder; closing the first frees it.
    @Test func aStateFileIsLockedWhileInUse() throws {
        let path = temporaryPath("locked") + ".sqlite"
        defer { removeState(path) }
        do {
            let first = try StrategyStore(path: path)
            #expect(throws: StateFileError(path: path, problem: .locked(holderPID: getpid()))) { try StrategyStore(path: path) }
            let message = "\(StateFileError(path: path, problem: .locked(holderPID: getpid())))"
            #expect(message.contains(path) && message.contains("PID \(getpid())"))
            _ = first
        }
        _ = try StrategyStore(path: path)
    }

    /// A file of the same shape with other prices does not reproduce the
    /// committed checksum: refused before any order.
    @Test func anotherFeedOfTheSameShapeIsRefused() async throws {
        let data = try mockData(hours: 6, seed: 2)
        var edited = data
        let row = data.count / 4
        edited.spotBidPrice[row] += 0.01
        let config = liveConfig()
        let pair = ThresholdPair(entryThresholdPct: 0.5, exitThresholdPct: 0.1)
        let path = temporaryPath("content") + ".sqlite"
        defer { removeState(path) }
        _ = try await paper(data.rows(0..<data.count / 2), config: config, fixed: pair, store: try StrategyStore(path: path))
        let committed = try await StrategyStore(path: path).context()
        #expect(committed.lastSequence > row)
        #expect(committed.feedChecksum?.updates == committed.lastSequence + 1)
        let events = EventHub(), seen = Collected()
        events.addSink { seen.add($0.type) }
        await #expect(throws: FeedContentMismatchError(committedUpdates: committed.lastSequence + 1,
                                                       committedSequence: committed.lastSequence)) {
            try await paper(edited, config: config, fixed: pair, store: try StrategyStore(path: path), events: events)
        }
        #expect(!seen.values.contains("order"))
        // The file it was made from still resumes; a feed that stops short of the committed rows is refused.
        let resumed = try await paper(data, config: config, fixed: pair, store: try StrategyStore(path: path))
        #expect(resumed.trades == (try deltaNeutralBacktest(data, rule: config.optimizer.rule(entryThresholdPct: 0.5, exitThresholdPct: 0.1))).trades)
        await #expect(throws: FeedContentMismatchError.self) {
            try await paper(data.rows(0..<10), config: config, fixed: pair, store: try StrategyStore(path: path))
        }
    }

    /// Other thresholds on resume are refused with both pairs; with `override`
    /// they are put in force and the saved pair they replaced is returned.
    @Test func otherThresholdsOnResumeNeedAnOverride() async throws {
        let data = try mockData(hours: 3, seed: 1)
        let config = liveConfig()
        let saved = ThresholdPair(entryThresholdPct: 0.5, exitThresholdPct: 0.1)
        let given = ThresholdPair(entryThresholdPct: 0.45, exitThresholdPct: 0.1)
        let path = temporaryPath("thresholds") + ".sqlite"
        defer { removeState(path) }
        _ = try await paper(data.rows(0..<data.count / 2), config: config, fixed: saved, store: try StrategyStore(path: path))
        for initialOnly in [false, true] {
            var core = try StrategyCore(config: config, context: try await StrategyStore(path: path).context())
            #expect(throws: ThresholdMismatchError(saved: saved, given: given)) {
                try core.apply(.fixed(given, initialOnly: initialOnly, override: false)).result.get()
            }
            #expect(core.context.thresholds == saved)
            #expect(try core.apply(.fixed(saved, initialOnly: initialOnly, override: false)).result.get() == nil)
        }
        var core = try StrategyCore(config: config, context: try await StrategyStore(path: path).context())
        #expect(try core.apply(.fixed(given, initialOnly: false, override: true)).result.get() == saved)
        #expect(core.context.thresholds == given)
        #expect(core.context.givenThresholds == given)
        #expect("\(ThresholdMismatchError(saved: saved, given: given))".contains("0.45"))
    }

    /// Thresholds read back from a state pass the safety rules like new ones.
    @Test func unsafeSavedThresholdsAreRefused() async throws {
        let path = temporaryPath("unsafe") + ".sqlite"
        defer { removeState(path) }
        var context = StrategyContext()
        context.thresholds = ThresholdPair(entryThresholdPct: 5, exitThresholdPct: 0.1)
        try await StrategyStore(path: path).commit(context)
        let error = await #expect(throws: ParameterUpdateError.self) {
            try await StrategyLoop(config: liveConfig(), gateway: PaperExchange(spotFee: 0, futFee: 0, clock: ContinuousClock()),
                                   store: try StrategyStore(path: path))
        }
        #expect(error?.reason.contains("max_entry_threshold") == true)
        #expect(error?.reason.contains("saved state") == true)
    }

    /// An SQLite database of something else, or a file that is not SQLite at
    /// all, is refused and left byte for byte as it was (no lock file left either).
    @Test func foreignFilesAreRefusedUnwritten() throws {
        let sqlite = temporaryPath("foreign") + ".sqlite"
        let text = temporaryPath("foreign") + ".csv"
        defer { removeState(sqlite); removeState(text) }
        do {
            let db = try SQLiteDatabase(path: sqlite)
            try db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
            try db.execute("INSERT INTO customers (name) VALUES ('x')")
        }
        try Data("timestamp,spot_bid_price\n1,2\n".utf8).write(to: URL(fileURLWithPath: text))
        for (path, what) in [(sqlite, "an SQLite database with other tables: customers"), (text, "not an SQLite database")] {
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(throws: StateFileError(path: path, problem: .notAStateFile(what))) { try StrategyStore(path: path) }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
            #expect(!FileManager.default.fileExists(atPath: path + ".lock"))
            #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        }
    }

    /// A saved record that does not decode is refused with the file, the
    /// record and the reason — never a bare `DecodingError` — and not written.
    @Test func unreadableRecordsNameTheFileAndTheRecord() async throws {
        let path = temporaryPath("unreadable") + ".sqlite"
        defer { removeState(path) }
        do {
            let store = try StrategyStore(path: path)
            try await store.commit(StrategyContext())
        }
        do {
            let db = try SQLiteDatabase(path: path)
            try db.execute("UPDATE context SET json = '{\"garbage\": 1}'")
            try db.execute("INSERT INTO parameter_updates (json) VALUES ('[1, 2]')")
        }
        let store = try StrategyStore(path: path)
        await #expect {
            try await store.context()
        } throws: { error in
            guard let error = error as? StateFileError, case .unreadableRecord(let record, let reason) = error.problem else { return false }
            return error.path == path && record == "saved context" && reason.hasPrefix("invalid JSON: missing field")
                && "\(error)".hasPrefix("the state file \(path) holds a saved context this build cannot read")
        }
        await #expect {
            try await store.parameterUpdates()
        } throws: { error in
            guard let error = error as? StateFileError, case .unreadableRecord(let record, _) = error.problem else { return false }
            return record == "parameter update (row 1)"
        }
    }

    /// A commit that fails names the state file and SQLite's reason, and
    /// leaves the last committed state as it was.
    @Test func aFailedCommitNamesTheFileAndKeepsTheLastState() async throws {
        let path = temporaryPath("failed-commit") + ".sqlite"
        defer { removeState(path) }
        let store = try StrategyStore(path: path)
        var first = StrategyContext()
        first.lastSequence = 7
        try await store.commit(first)
        try SQLiteDatabase(path: path).execute("DROP TABLE parameter_updates")  // the next update cannot be written
        var second = first
        second.lastSequence = 8
        let update = ParameterUpdateEvent(timestamp: 1, oldEntryThreshold: nil, newEntryThreshold: 0.5, oldExitThreshold: nil,
                                          newExitThreshold: 0.1, confidenceScore: 0.5, optimizationDurationMs: 1)
        await #expect {
            try await store.commit(second, update: update)
        } throws: { error in
            guard let error = error as? StateFileError, case .writeFailed(let reason) = error.problem else { return false }
            return error.path == path && reason.contains("parameter_updates")
                && "\(error)".hasPrefix("cannot write the state file \(path): ")
        }
        #expect(try await store.context().lastSequence == 7, "the transaction rolled back")
    }

    /// A new state file is marked (application id, schema version) and reopens.
    @Test func stateFilesAreMarked() throws {
        let path = temporaryPath("marked") + ".sqlite"
        defer { removeState(path) }
        _ = try StrategyStore(path: path)
        let db = try SQLiteDatabase(path: path)
        #expect(try db.execute("PRAGMA application_id").first?.first.map { "\($0)" } == "integer(\(StrategyStore.applicationID))")
        _ = db
        _ = try StrategyStore(path: path)
    }

    /// A failed event-log write is an error naming the file and the reason,
    /// never a trap; the log stays closed after it.
    @Test func eventLogWriteFailuresAreErrors() throws {
        let event = StrategyEvent.alert(AlertEvent(timestamp: 1, message: "x"))
        let full = try JSONLinesEventLog(path: "/dev/full")
        #expect(throws: EventLogError(path: "/dev/full", reason: "No space left on device")) { try full.write(event) }
        #expect(throws: EventLogError.self) { try full.write(event) }
        #expect("\(EventLogError(path: "/dev/full", reason: "No space left on device"))"
            == "cannot write event log /dev/full: No space left on device")
        #expect(throws: EventLogError(path: "/nonexistent-dir/events.jsonl", reason: "No such file or directory")) {
            try JSONLinesEventLog(path: "/nonexistent-dir/events.jsonl")
        }
    }

    /// The checksum depends on every field and on the order of updates.
    @Test func feedChecksumSeesContentAndOrder() throws {
        let data = try mockData(hours: 1, seed: 3)
        func checksum(_ rows: [Int], _ edit: (inout BookUpdate) -> Void = { _ in }) -> FeedChecksum {
            var c = FeedChecksum()
            for r in rows { var u = BookUpdate(row: r, of: data); if r == 5 { edit(&u) }; c.add(u) }
            return c
        }
        let base = checksum(Array(0..<10))
        #expect(base == checksum(Array(0..<10)))
        #expect(base != checksum([1, 0] + Array(2..<10)))
        #expect(base != checksum(Array(0..<10)) { $0.futures?.askQuantity += 1 })
        #expect(base != checksum(Array(0..<10)) { $0.spot = nil })
        #expect(base != checksum(Array(0..<10)) { $0.timestampNanoseconds += 1 })
        let json = try JSONEncoder().encode(base)
        #expect(try JSONDecoder().decode(FeedChecksum.self, from: json) == base)
    }
}
