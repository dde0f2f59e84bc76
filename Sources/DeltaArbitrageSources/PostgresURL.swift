import Foundation

/// A PostgreSQL connection as libpq's URLs name it:
/// `postgres[ql]://[user[:password]@]host[:port]/database[?sslmode=disable|prefer|require]`.
///
/// The password follows libpq's order: the URL's, else `PGPASSWORD`, else
/// the first matching line of `~/.pgpass` (or `PGPASSFILE`). The user
/// defaults to `PGUSER`, then the login name.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    /// How the connection uses TLS (libpq's `sslmode`, the modes that need no certificate files).
    public enum SSLMode: String, Sendable, Equatable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it (libpq's default).
        case prefer
        /// TLS or no connection (the server's certificate is not verified, as in libpq).
        case require
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode

    /// `host:port/database`, never the password: what error messages name.
    public var description: String { "\(host):\(port)/\(database)" }

    /// Parses `text`, filling the password from the environment or the
    /// password file when the URL has none.
    ///
    /// - Throws: `BookTickerStoreError` naming what is wrong with the URL.
    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func bad(_ why: String) -> BookTickerStoreError {
            BookTickerStoreError(source: "database URL", detail: "\(why) (expected postgres://user[:password]@host[:port]/database)")
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme,
              scheme == "postgres" || scheme == "postgresql" else {
            throw bad("'\(Self.redacted(text))' is not a postgres:// URL")
        }
        guard let host = components.host, !host.isEmpty else { throw bad("no host in '\(Self.redacted(text))'") }
        var database = components.path
        if database.hasPrefix("/") { database.removeFirst() }
        guard !database.isEmpty else { throw bad("no database name in '\(Self.redacted(text))'") }
        self.host = host
        self.port = components.port ?? Int(environment["PGPORT"] ?? "") ?? 5432
        self.database = database.removingPercentEncoding ?? database
        self.user = components.user?.removingPercentEncoding ?? components.user
            ?? environment["PGUSER"] ?? environment["USER"] ?? "postgres"
        var mode = SSLMode.prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let parsed = SSLMode(rawValue: value) else {
                    throw bad("sslmode '\(item.value ?? "")' is not one of disable, prefer, require")
                }
                mode = parsed
            default:
                throw bad("unsupported URL parameter '\(item.name)'")
            }
        }
        self.sslMode = mode
        if let password = components.password {
            self.password = password.removingPercentEncoding ?? password
        } else if let password = environment["PGPASSWORD"] {
            self.password = password
        } else {
            let file = environment["PGPASSFILE"] ?? (environment["HOME"].map { $0 + "/.pgpass" } ?? "")
            self.password = Self.passwordFromFile(file, host: host, port: port, database: self.database, user: user)
        }
    }

    /// The URL with its password replaced by `***`.
    static func redacted(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "***"
        return components.string ?? text
    }

    /// The password of the first `host:port:database:user:password` line of
    /// the pgpass file that matches (`*` matches anything; `\:` and `\\` are
    /// escapes), or nil.
    static func passwordFromFile(_ path: String, host: String, port: Int, database: String, user: String) -> String? {
        guard !path.isEmpty, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            var fields: [String] = [""]
            var escaped = false
            for ch in line {
                if escaped { fields[fields.count - 1].append(ch); escaped = false }
                else if ch == "\\" { escaped = true }
                else if ch == ":" && fields.count < 5 { fields.append("") }
                else { fields[fields.count - 1].append(ch) }
            }
            guard fields.count == 5 else { continue }
            let wanted = [host, String(port), database, user]
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }
}
