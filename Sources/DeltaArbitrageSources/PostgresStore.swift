import DeltaArbitrage
import PostgresNIO

/// Connecting to the store and turning the driver's errors into one-line
/// `BookTickerStoreError`s.
public enum PostgresStore {
    /// The driver's logger, silenced: the engine reports failures itself, and
    /// stdout belongs to the command's output.
    static let logger: Logger = {
        var logger = Logger(label: "delta-arb.postgres")
        logger.logLevel = .critical
        return logger
    }()

    /// Opens a connection to `url` (TLS as its `sslmode` says).
    public static func connect(_ url: PostgresURL) async throws -> PostgresConnection {
        let tls: PostgresConnection.Configuration.TLS
        do {
            switch url.sslMode {
            case .disable:
                tls = .disable
            case .prefer, .require:
                // libpq's prefer/require encrypt without verifying the server's certificate.
                var configuration = TLSConfiguration.makeClientConfiguration()
                configuration.certificateVerification = .none
                let context = try NIOSSLContext(configuration: configuration)
                tls = url.sslMode == .require ? .require(context) : .prefer(context)
            }
        } catch {
            throw BookTickerStoreError(source: url.description, detail: "cannot set up TLS: \(error)")
        }
        let configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password,
            database: url.database, tls: tls)
        do {
            return try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        } catch {
            throw BookTickerStoreError(source: url.description, detail: "cannot connect: \(describe(error))")
        }
    }

    /// Runs `body` on a new connection to `url` and closes it, also when
    /// `body` throws. A failure to close is not reported: by then the reads
    /// are done and every write is committed (or rolled back) by the server.
    static func withConnection<T>(_ url: PostgresURL, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await connect(url)
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Runs `body`, rethrowing a driver error as a `BookTickerStoreError`
    /// naming the source, symbol and market.
    @discardableResult
    static func run<T>(_ url: PostgresURL, symbol: String?, market: String?, on connection: PostgresConnection,
                       _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as BookTickerStoreError {
            throw error
        } catch {
            throw BookTickerStoreError(source: url.description, symbol: symbol, market: market, detail: describe(error))
        }
    }

    /// The server's own message where there is one (`relation "…" does not
    /// exist`, `password authentication failed for user "…"`), else the
    /// network error under the driver's (`connection refused`).
    static func describe(_ error: any Error) -> String {
        guard let psql = error as? PSQLError else { return String(describing: error) }
        if let message = psql.serverInfo?[.message] {
            let state = psql.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return message + state
        }
        if let underlying = psql.underlying {
            if let io = underlying as? IOError { return io.description }
            return String(describing: underlying)
        }
        switch psql.code {
        case .sslUnsupported: return "the server does not support TLS (sslmode=require)"
        case .authMechanismRequiresPassword: return "the server asks for a password and none was given (URL, PGPASSWORD or ~/.pgpass)"
        case .serverClosedConnection: return "the server closed the connection"
        default: return psql.code.description
        }
    }
}
