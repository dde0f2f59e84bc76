import CSQLite
import DeltaArbitrage
import Foundation

/// The hedged position the strategy holds, with both legs' fills.
public struct LivePosition: Sendable, Hashable, Codable {
    /// Sequence and exchange time of the tick the position opened on.
    public var entrySequence: Int
    /// Exchange time of that tick, nanoseconds since the Unix epoch.
    public var entryTimeNanoseconds: Int64
    /// Tops the entry decision saw (the backtest's `A` and `B`).
    public var entrySpotAsk: Double
    /// Futures bid the entry decision saw (`B`).
    public var entryFutBid: Double
    /// Base-asset quantity of each leg.
    public var quantity: Double
    /// Fill of the opening spot buy; nil when that leg did not fill.
    public var spotFill: OrderFill?
    /// Fill of the opening futures sell; nil when that leg did not fill.
    public var futuresFill: OrderFill?
    /// Legs still open (a failed close can leave one of them).
    public var spotOpen: Bool
    /// The futures leg is still open.
    public var futuresOpen: Bool
    /// Base quantity still open on the spot leg when it differs from `quantity`
    /// (an unhedged excess, or what a partly filled close left); nil otherwise.
    public var spotOpenQuantity: Double? = nil
    /// Base quantity still open on the futures leg when it differs from `quantity`; nil otherwise.
    public var futuresOpenQuantity: Double? = nil

    /// Base quantity open on `market`'s leg: 0 when that leg is closed.
    public func openQuantity(of market: Market) -> Double {
        switch market {
        case .spot: spotOpen ? spotOpenQuantity ?? quantity : 0
        case .futures: futuresOpen ? futuresOpenQuantity ?? quantity : 0
        }
    }

    /// Sets the base quantity open on `market`'s leg (0 closes it).
    public mutating func setOpenQuantity(_ open: Double, of market: Market) {
        let override = open > 0 && open != quantity ? open : nil
        switch market {
        case .spot: spotOpen = open > 0; spotOpenQuantity = override
        case .futures: futuresOpen = open > 0; futuresOpenQuantity = override
        }
    }

    /// The backtest state-machine view of the position.
    public var openPosition: OpenPosition {
        OpenPosition(entryIndex: entrySequence, entryTime: entryTimeNanoseconds,
                     entrySpotAsk: entrySpotAsk, entryFutBid: entryFutBid)
    }

    enum CodingKeys: String, CodingKey {
        case entrySequence = "entry_sequence", entryTimeNanoseconds = "entry_time_ns"
        case entrySpotAsk = "entry_spot_ask", entryFutBid = "entry_fut_bid", quantity
        case spotFill = "spot_fill", futuresFill = "futures_fill", spotOpen = "spot_open", futuresOpen = "futures_open"
        case spotOpenQuantity = "spot_open_quantity", futuresOpenQuantity = "futures_open_quantity"
    }
}

/// Everything the strategy needs to resume exactly where it stopped.
public struct StrategyContext: Sendable, Hashable, Codable {
    /// Last tick whose effects are committed; later ticks are processed again after a restart.
    public var lastSequence = -1
    /// Thresholds in force (nil until the first successful optimisation or `--entry/--exit`).
    public var thresholds: ThresholdPair?
    /// Confidence score of the optimisation behind `thresholds`, in [0, 1]; nil
    /// for fixed thresholds or none (positions are then sized at `base_position_size`).
    public var confidenceScore: Double?
    /// Position held; nil when flat.
    public var position: LivePosition?
    /// Why trading stopped (a leg that could not be hedged), nil while trading.
    public var halted: String?
    /// Re-optimisation schedule on the data clock: origin and next due time.
    public var scheduleOriginNanoseconds: Int64?
    /// Next due re-optimisation, nanoseconds since the Unix epoch (data clock);
    /// nil before a schedule exists.
    public var nextUpdateNanoseconds: Int64?
    /// Optimisations whose thresholds were applied.
    public var successfulUpdates = 0
    /// Updates that failed (optimisation, data fetch or safety check) and left the
    /// thresholds unchanged.
    public var failedUpdates = 0
    /// Why the last update failed; nil after a success or before any failure.
    public var lastUpdateError: String?
    /// What the sequences refer to (e.g. the replayed file's first tick), so a
    /// state is never resumed against another feed.
    public var feedIdentity: String?
    /// Checksum of every update consumed through `lastSequence`, committed with
    /// it: a resumed feed must reproduce it on its first updates (same content,
    /// not just the same shape). Nil before any update is committed.
    public var feedChecksum: FeedChecksum?
    /// The thresholds the caller gave (fixed, or starting values before the
    /// optimiser's), so a resume with other ones is noticed; nil when none were given.
    public var givenThresholds: ThresholdPair?

    /// A fresh context: nothing processed, no thresholds, flat, not halted.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case lastSequence = "last_sequence", thresholds, confidenceScore = "confidence_score", position, halted
        case scheduleOriginNanoseconds = "schedule_origin_ns", nextUpdateNanoseconds = "next_update_ns"
        case successfulUpdates = "successful_updates", failedUpdates = "failed_updates"
        case lastUpdateError = "last_update_error", feedIdentity = "feed_identity"
        case feedChecksum = "feed_checksum", givenThresholds = "given_thresholds"
    }
}

/// Durable strategy state in an embedded SQLite database: the context, the
/// trade journal and the parameter-update history. Every change is one
/// transaction, so a process killed at any point restarts from the last
/// committed state with no trade lost or written twice.
///
/// A state file is marked as such (`PRAGMA application_id` =
/// `applicationID`, and `schema_version` in its `meta` table) and locked for
/// the store's life (`StateFileLock` on `PATH.lock`): an existing file that
/// is not a state file, or one another process holds, is refused before
/// anything is written.
public actor StrategyStore {
    /// `PRAGMA application_id` of a state file: "DARB" in ASCII.
    public static let applicationID: Int32 = 0x4441_5242
    /// Version of the tables' layout and the JSON they hold.
    public static let schemaVersion = 1

    private let db: SQLiteDatabase
    private let lock: StateFileLock?
    /// The state file's path as given, for messages.
    private let path: String
    private let encoder = makeJSONEncoder(pretty: false)
    private let decoder = JSONDecoder()

    /// Opens the state file at `path` (`:memory:` for one that lives with the
    /// store), creating it when it does not exist or is empty. Throws
    /// `StateFileError` when another process holds it or it is not a state file.
    public init(path: String) throws {
        let lock = path == ":memory:" ? nil : try StateFileLock(statePath: path)
        do {
            let db = try SQLiteDatabase(path: path)
            try Self.prepare(db, path: path)
            self.db = db
            self.path = path
        } catch {
            lock?.releaseRemovingCreatedFile()
            throw error
        }
        self.lock = lock
    }

    /// Checks what the file is with reads only, then makes a new store or
    /// accepts an existing one; anything else is refused unwritten.
    private static func prepare(_ db: SQLiteDatabase, path: String) throws {
        let id: Int64
        let tables: [String]
        do {
            guard case .integer(let value)? = try db.execute("PRAGMA application_id").first?.first else {
                throw StateFileError(path: path, problem: .notAStateFile("no application_id"))
            }
            id = value
            tables = try db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").compactMap {
                if case .text(let name)? = $0.first { name } else { nil }
            }
        } catch let error as SQLiteError where error.code == SQLITE_NOTADB {
            throw StateFileError(path: path, problem: .notAStateFile("not an SQLite database"))
        }
        if id == Int64(applicationID) {
            let version = try db.execute("SELECT value FROM meta WHERE key = 'schema_version'").first?.first
            guard case .text(let found)? = version, found == "\(schemaVersion)" else {
                let found = if case .text(let v)? = version { v } else { "none" }
                throw StateFileError(path: path, problem: .unsupportedSchema(found: found, supported: schemaVersion))
            }
            try db.useWriteAheadLog()
            return
        }
        guard id == 0 && tables.isEmpty else {
            let what = id != 0
                ? "an SQLite database of another application, application_id \(id)"
                : "an SQLite database with other tables: \(tables.prefix(5).joined(separator: ", "))"
            throw StateFileError(path: path, problem: .notAStateFile(what))
        }
        try db.useWriteAheadLog()
        try db.transaction {
            try db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            try db.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?1)", [.text("\(schemaVersion)")])
            try db.execute("CREATE TABLE context (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL)")
            try db.execute("CREATE TABLE trades (id INTEGER PRIMARY KEY AUTOINCREMENT, entry_sequence INTEGER NOT NULL UNIQUE, json TEXT NOT NULL)")
            try db.execute("CREATE TABLE parameter_updates (id INTEGER PRIMARY KEY AUTOINCREMENT, json TEXT NOT NULL)")
            try db.execute("PRAGMA application_id = \(applicationID)")
        }
    }

    /// The committed context (a fresh one for a new store).
    public func context() throws -> StrategyContext {
        guard case .text(let json)? = try db.execute("SELECT json FROM context WHERE id = 1").first?.first else {
            return StrategyContext()
        }
        return try decode(StrategyContext.self, json, record: "saved context")
    }

    /// `json` decoded, or `StateFileError` naming this file and the record.
    private func decode<Record: Decodable>(_ type: Record.Type, _ json: String, record: String) throws -> Record {
        do {
            return try decoder.decode(Record.self, from: Data(json.utf8))
        } catch let error as DecodingError {
            throw StateFileError(path: path, problem: .unreadableRecord(record, reason: error.summary))
        }
    }

    /// The trade journal, in order.
    public func trades() throws -> [TradeEvent] {
        try db.execute("SELECT id, json FROM trades ORDER BY id").map { row in
            guard case .integer(let id) = row[0], case .text(let json) = row[1] else {
                throw StateFileError(path: path, problem: .unreadableRecord("journal trade", reason: "not a JSON text"))
            }
            return try decode(TradeEvent.self, json, record: "journal trade (row \(id))")
        }
    }

    /// The parameter updates, in order.
    public func parameterUpdates() throws -> [ParameterUpdateEvent] {
        try db.execute("SELECT id, json FROM parameter_updates ORDER BY id").map { row in
            guard case .integer(let id) = row[0], case .text(let json) = row[1] else {
                throw StateFileError(path: path, problem: .unreadableRecord("parameter update", reason: "not a JSON text"))
            }
            return try decode(ParameterUpdateEvent.self, json, record: "parameter update (row \(id))")
        }
    }

    /// Commits `context`, with the trade and/or parameter update that changed it, atomically.
    public func commit(_ context: StrategyContext, trade: TradeEvent? = nil, update: ParameterUpdateEvent? = nil) throws {
        let contextJSON = String(decoding: try encoder.encode(context), as: UTF8.self)
        let tradeJSON = try trade.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        let updateJSON = try update.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        do {
            try write(contextJSON, trade: trade, tradeJSON: tradeJSON, updateJSON: updateJSON)
        } catch let error as SQLiteError {
            throw StateFileError(path: path, problem: .writeFailed(error.message))
        }
    }

    private func write(_ contextJSON: String, trade: TradeEvent?, tradeJSON: String?, updateJSON: String?) throws {
        try db.transaction {
            try db.execute("INSERT INTO context (id, json) VALUES (1, ?1) ON CONFLICT(id) DO UPDATE SET json = excluded.json",
                           [.text(contextJSON)])
            if let trade, let tradeJSON {
                try db.execute("INSERT INTO trades (entry_sequence, json) VALUES (?1, ?2)",
                               [.integer(Int64(trade.trade.entryIndex)), .text(tradeJSON)])
            }
            if let updateJSON {
                try db.execute("INSERT INTO parameter_updates (json) VALUES (?1)", [.text(updateJSON)])
            }
        }
    }
}
