/// Where the HTTP API listens and who may change things through it.
///
/// Mutating endpoints (`POST`) need `Authorization: Bearer <token>` whenever a
/// token is configured; a bind beyond loopback must configure one, so that
/// nobody on the network can steer the strategy. Reads (`GET`) are open: the
/// status page and Prometheus need no credentials.
public struct HTTPServiceConfiguration: Sendable, Equatable {
    /// Host or address to bind, e.g. `127.0.0.1`, `::1`, `0.0.0.0`.
    public var host: String
    /// TCP port; 0 lets the system choose (the bound port is reported by `StrategyHTTPService`).
    public var port: Int
    /// Bearer token the `POST` endpoints require; nil on a loopback bind means none is required.
    public var bearerToken: String?
    /// Time between SSE keep-alive comments on `/events`.
    public var keepAliveInterval: Duration
    /// Events one `/events` client may have waiting; beyond it the oldest are dropped and counted.
    public var eventBufferCapacity: Int

    /// A validated configuration.
    ///
    /// Throws `HTTPServiceConfigurationError` when `host` is not loopback and no
    /// (non-empty) token is given, or when the port, the keep-alive interval or
    /// the buffer capacity is out of range.
    public init(host: String = "127.0.0.1", port: Int = 8080, bearerToken: String? = nil,
                keepAliveInterval: Duration = .seconds(15), eventBufferCapacity: Int = 1024) throws {
        guard (0...65_535).contains(port) else { throw HTTPServiceConfigurationError.portOutOfRange(port) }
        if let bearerToken, bearerToken.isEmpty || bearerToken.contains(where: { $0.isWhitespace }) {
            throw HTTPServiceConfigurationError.invalidToken
        }
        if bearerToken == nil && !Self.isLoopback(host) {
            throw HTTPServiceConfigurationError.tokenRequired(host: host)
        }
        guard keepAliveInterval > .zero else { throw HTTPServiceConfigurationError.keepAliveNotPositive }
        guard eventBufferCapacity >= 1 else { throw HTTPServiceConfigurationError.bufferCapacityNotPositive(eventBufferCapacity) }
        self.host = host
        self.port = port
        self.bearerToken = bearerToken
        self.keepAliveInterval = keepAliveInterval
        self.eventBufferCapacity = eventBufferCapacity
    }

    /// Splits `HOST:PORT` (`[IPv6]:PORT` for IPv6 addresses), as `--http` takes it.
    /// Throws `HTTPServiceConfigurationError.badAddress` naming what is wrong.
    public static func parseAddress(_ text: String) throws -> (host: String, port: Int) {
        let host: Substring, portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw HTTPServiceConfigurationError.badAddress(text, "expected [IPv6]:PORT")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw HTTPServiceConfigurationError.badAddress(text, "expected HOST:PORT")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                throw HTTPServiceConfigurationError.badAddress(text, "an IPv6 address goes in brackets: [ADDRESS]:PORT")
            }
        }
        guard !host.isEmpty else { throw HTTPServiceConfigurationError.badAddress(text, "the host is empty") }
        guard let port = Int(portText), (0...65_535).contains(port) else {
            throw HTTPServiceConfigurationError.badAddress(text, "the port '\(portText)' is not a number in 0…65535")
        }
        return (String(host), port)
    }

    /// True for `localhost`, `127.0.0.0/8` and `::1`: addresses only this machine can reach.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "127" else { return false }
        return parts.allSatisfy { part in part.count <= 3 && UInt8(part) != nil }
    }
}

/// An HTTP API configuration that cannot be used.
public enum HTTPServiceConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A non-loopback bind without a bearer token.
    case tokenRequired(host: String)
    /// An empty token, or one with whitespace (it could not be sent in a header).
    case invalidToken
    /// A port outside 0…65535.
    case portOutOfRange(Int)
    /// `HOST:PORT` text that does not parse: the text and what is wrong.
    case badAddress(String, String)
    /// A keep-alive interval that is zero or negative.
    case keepAliveNotPositive
    /// An event buffer of fewer than one event.
    case bufferCapacityNotPositive(Int)

    public var description: String {
        switch self {
        case .tokenRequired(let host):
            "the HTTP API binds to \(host), beyond loopback: give a bearer token for its POST endpoints, or bind to 127.0.0.1"
        case .invalidToken: "the HTTP bearer token is empty or contains whitespace"
        case .portOutOfRange(let port): "HTTP port \(port) is not in 0…65535"
        case .badAddress(let text, let problem): "bad HTTP address '\(text)': \(problem)"
        case .keepAliveNotPositive: "the SSE keep-alive interval must be positive"
        case .bufferCapacityNotPositive(let n): "the per-client event buffer must hold at least 1 event, not \(n)"
        }
    }
}
