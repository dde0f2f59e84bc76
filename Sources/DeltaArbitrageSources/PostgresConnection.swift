import CLibPQ
import DeltaArbitrage
import Foundation

/// One blocking libpq connection to the store, used by one thread from
/// opening to closing (see `PostgresStore.withConnection`).
///
/// libpq rather than an asynchronous driver because it speaks binary `COPY`
/// in both directions: the store is read with `COPY (SELECT …) TO STDOUT
/// (FORMAT binary)`, one message per row decoded straight into columns, which
/// is what `psql` itself does, and written with `COPY … FROM STDIN (FORMAT
/// binary)`. It also brings libpq's own habits (`~/.pgpass`, `sslmode`,
/// `PGCONNECT_TIMEOUT`, SCRAM) with it.
final class PostgresConnection {
    private let handle: OpaquePointer
    /// `host:port/database`: what every error names.
    let source: String

    /// Opens a connection to `url`.
    ///
    /// - Throws: `BookTickerStoreError` with libpq's reason (`Connection
    ///   refused`, `password authentication failed for user "…"`).
    init(_ url: PostgresURL) throws {
        source = url.description
        var parameters: [(String, String)] = [
            ("host", url.host), ("port", String(url.port)), ("user", url.user), ("dbname", url.database),
            ("sslmode", url.sslMode.rawValue), ("application_name", "delta-arb"),
            // A host that drops packets fails after this long instead of hanging (libpq waits forever by default).
            ("connect_timeout", "10"),
        ]
        if let password = url.password { parameters.append(("password", password)) }
        let connection = Self.withCStrings(parameters.map(\.0)) { keywords in
            Self.withCStrings(parameters.map(\.1)) { values in
                PQconnectdbParams(keywords, values, 0)
            }
        }
        guard let connection else {
            throw BookTickerStoreError(source: url.description, detail: "cannot connect: out of memory")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let reason = Self.oneLine(PQerrorMessage(connection))
            PQfinish(connection)
            throw BookTickerStoreError(source: url.description, detail: "cannot connect: \(reason)")
        }
        // The server's notices (`relation … already exists, skipping` from
        // `db init`) are not the command's output; libpq would print them to stderr.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        handle = connection
    }

    deinit { PQfinish(handle) }

    // MARK: - Statements

    /// Runs `sql` (one statement, or several separated by `;` when
    /// `parameters` is empty) with text parameters `$1, $2, …` and returns
    /// the rows of its result as text (NULL as nil).
    @discardableResult
    func query(_ sql: String, _ parameters: [String?] = []) throws -> [[String?]] {
        let result: OpaquePointer?
        if parameters.isEmpty {
            result = PQexec(handle, sql)
        } else {
            result = Self.withCStrings(parameters) { values in
                PQexecParams(handle, sql, Int32(parameters.count), nil, values, nil, nil, 0)
            }
        }
        let checked = try check(result, expecting: [PGRES_COMMAND_OK, PGRES_TUPLES_OK])
        defer { PQclear(checked) }
        let rows = Int(PQntuples(checked)), columns = Int(PQnfields(checked))
        return (0..<rows).map { row in
            (0..<columns).map { column in
                PQgetisnull(checked, Int32(row), Int32(column)) != 0
                    ? nil : String(cString: PQgetvalue(checked, Int32(row), Int32(column)))
            }
        }
    }

    /// The first column of the first row of `sql`'s result as an integer.
    func integer(_ sql: String, _ parameters: [String?] = []) throws -> Int? {
        guard let text = try query(sql, parameters).first?.first ?? nil else { return nil }
        guard let value = Int(text) else { throw failure("expected an integer from the server, got '\(text)'") }
        return value
    }

    // MARK: - Binary COPY

    /// Runs `COPY … TO STDOUT (FORMAT binary)` and hands each row's fields to
    /// `row` (NULL as nil), without allocating per row: the field views are
    /// valid only during the call. `BinaryCopyDecoder` reads the stream.
    ///
    /// - Returns: the number of rows.
    @discardableResult
    func copyOut(_ sql: String, fields expected: Int,
                 row: (UnsafeBufferPointer<UnsafeRawBufferPointer?>) throws -> Void) throws -> Int {
        let started = try check(PQexec(handle, sql), expecting: [PGRES_COPY_OUT])
        PQclear(started)
        var decoder = BinaryCopyDecoder(fields: expected)
        defer { decoder.deallocate() }
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(handle, &buffer, 0)
            if length == -1 { break }                     // the end of the COPY
            guard length > 0, let buffer else {
                throw failure("COPY failed: \(Self.oneLine(PQerrorMessage(handle)))")
            }
            defer { PQfreemem(buffer) }
            do {
                try decoder.decode(UnsafeRawBufferPointer(start: buffer, count: Int(length)), row: row)
            } catch let error as BinaryCopyDecoder.Malformed {
                throw failure(error.description)
            }
        }
        try finishCommand()
        do { try decoder.finish() } catch let error as BinaryCopyDecoder.Malformed { throw failure(error.description) }
        return decoder.rows
    }

    /// Runs `COPY … FROM STDIN (FORMAT binary)` sending `data` (the whole
    /// stream: signature, rows, trailer) in chunks.
    func copyIn(_ sql: String, data: [UInt8]) throws {
        let started = try check(PQexec(handle, sql), expecting: [PGRES_COPY_IN])
        PQclear(started)
        let chunk = 1 << 20
        try data.withUnsafeBytes { bytes in
            var start = 0
            while start < bytes.count {
                let end = min(start + chunk, bytes.count)
                let piece = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
                let sent = PQputCopyData(handle, piece.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(piece.count))
                guard sent == 1 else { throw failure("COPY failed: \(Self.oneLine(PQerrorMessage(handle)))") }
                start = end
            }
        }
        guard PQputCopyEnd(handle, nil) == 1 else { throw failure("COPY failed: \(Self.oneLine(PQerrorMessage(handle)))") }
        try finishCommand()
    }

    /// Collects the results that follow a COPY, throwing the first error.
    private func finishCommand() throws {
        var firstError: BookTickerStoreError?
        while let result = PQgetResult(handle) {
            if PQresultStatus(result) != PGRES_COMMAND_OK, firstError == nil {
                firstError = failure(Self.serverMessage(result, connection: handle))
            }
            PQclear(result)
        }
        if let firstError { throw firstError }
    }

    // MARK: - Errors

    private func failure(_ detail: String) -> BookTickerStoreError {
        BookTickerStoreError(source: source, detail: detail)
    }

    /// `result` when its status is one of `expected`; else the server's
    /// message as a `BookTickerStoreError` (the result is freed).
    private func check(_ result: OpaquePointer?, expecting expected: [ExecStatusType]) throws -> OpaquePointer {
        guard let result else { throw failure(Self.oneLine(PQerrorMessage(handle))) }
        guard expected.contains(PQresultStatus(result)) else {
            let message = Self.serverMessage(result, connection: handle)
            PQclear(result)
            throw failure(message)
        }
        return result
    }

    /// The server's primary message and SQLSTATE (`relation "exchanges" does
    /// not exist (SQLSTATE 42P01)`), else libpq's own.
    private static func serverMessage(_ result: OpaquePointer, connection: OpaquePointer) -> String {
        if let primary = PQresultErrorField(result, Int32(UInt8(ascii: "M"))) {
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { " (SQLSTATE \(String(cString: $0)))" } ?? ""
            return String(cString: primary) + state
        }
        let message = oneLine(PQresultErrorMessage(result))
        return message.isEmpty ? oneLine(PQerrorMessage(connection)) : message
    }

    /// libpq's multi-line messages on one line.
    static func oneLine(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown libpq error" }
        return String(cString: message).split(whereSeparator: \.isNewline)
            .map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
            .filter { !$0.isEmpty }.joined(separator: "; ")
    }

    // MARK: - C strings

    /// `strings` as a NULL-terminated C array of C strings (nil stays NULL):
    /// what PQconnectdbParams wants, and PQexecParams ignores the terminator.
    private static func withCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
        let copies = strings.map { $0.map { strdup($0) } ?? nil }
        defer { for copy in copies { free(copy) } }
        let pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } } + [nil]
        // Never empty (the terminator), so the base address exists.
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
