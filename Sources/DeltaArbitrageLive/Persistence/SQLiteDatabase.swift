import CSQLite

/// An SQLite error with the statement it came from.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    /// SQLite result code of the failed call.
    public var code: Int32
    /// SQLite's message (`sqlite3_errmsg`).
    public var message: String
    /// SQL text of the statement, or `open <path>` for a failed open.
    public var statement: String

    /// `SQLite error <code>: <message> (in: <statement>)`.
    public var description: String { "SQLite error \(code): \(message) (in: \(statement))" }
}

/// A minimal SQLite connection: statements with bound text/integer/real
/// parameters, row reading, and transactions. One connection, used from one
/// actor at a time.
final class SQLiteDatabase: @unchecked Sendable {
    private var handle: OpaquePointer?

    /// Opens or creates the database at `path`. Nothing is written until a
    /// statement writes (the caller checks what the file is first, then
    /// calls `useWriteAheadLog()`).
    init(path: String) throws {
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(db)
            throw SQLiteError(code: rc, message: message, statement: "open \(path)")
        }
        handle = db
        sqlite3_busy_timeout(db, 5000)
    }

    /// Switches to WAL mode, so that a killed process never leaves a
    /// half-written transaction visible (this rewrites the file header).
    func useWriteAheadLog() throws {
        try execute("PRAGMA journal_mode = WAL")
        try execute("PRAGMA synchronous = NORMAL")
    }

    deinit { sqlite3_close(handle) }

    enum Value {
        case integer(Int64)
        case real(Double)
        case text(String)
        case null
    }

    /// Runs `sql` with `parameters` bound to `?1, ?2, …`, returning every row.
    @discardableResult
    func execute(_ sql: String, _ parameters: [Value] = []) throws -> [[Value]] {
        var statement: OpaquePointer?
        var rc = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard rc == SQLITE_OK else { throw error(rc, sql) }
        defer { sqlite3_finalize(statement) }
        for (i, p) in parameters.enumerated() {
            let index = Int32(i + 1)
            switch p {
            case .integer(let v): rc = sqlite3_bind_int64(statement, index, v)
            case .real(let v): rc = sqlite3_bind_double(statement, index, v)
            case .text(let v): rc = sqlite3_bind_text(statement, index, v, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
            case .null: rc = sqlite3_bind_null(statement, index)
            }
            guard rc == SQLITE_OK else { throw error(rc, sql) }
        }
        var rows: [[Value]] = []
        while true {
            rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw error(rc, sql) }
            var row: [Value] = []
            for column in 0..<sqlite3_column_count(statement) {
                switch sqlite3_column_type(statement, column) {
                case SQLITE_INTEGER: row.append(.integer(sqlite3_column_int64(statement, column)))
                case SQLITE_FLOAT: row.append(.real(sqlite3_column_double(statement, column)))
                case SQLITE_TEXT: row.append(.text(String(cString: sqlite3_column_text(statement, column))))
                default: row.append(.null)
                }
            }
            rows.append(row)
        }
        return rows
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`, rolling back if it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            _ = try? execute("ROLLBACK")
            throw error
        }
    }

    private func error(_ rc: Int32, _ sql: String) -> SQLiteError {
        SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle)), statement: sql)
    }
}
