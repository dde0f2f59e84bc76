import DeltaArbitrage

/// A traded pair: the base asset quoted in the quote asset (`BTC/USDT`).
///
/// JSON: the string `"BASE/QUOTE"`.
public struct Symbol: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Base asset (`BTC`).
    public var base: String
    /// Quote asset, the currency prices are in (`USDT`).
    public var quote: String

    /// The pair `base/quote`.
    public init(base: String, quote: String) {
        self.base = base
        self.quote = quote
    }

    /// Parses `"BTC/USDT"`; nil unless there is exactly one `/` between two non-empty names.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        self.init(base: String(parts[0]), quote: String(parts[1]))
    }

    /// `BASE/QUOTE`, the form `init?(_:)` parses and JSON uses.
    public var description: String { "\(base)/\(quote)" }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let symbol = Symbol(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "symbol must read BASE/QUOTE, got '\(text)'"))
        }
        self = symbol
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// Configuration of the live strategy (the seed's `DeltaArbitrageConfig`):
/// the traded pair, position sizing and the re-optimisation schedule, over
/// the optimiser's configuration (safety rules, hold limit, fees, targets).
///
/// The optimiser's fields read and write through this value as the seed's
/// flat dataclass has them (`config.maxEntryThreshold`, …), and JSON is the
/// seed's flat object.
@dynamicMemberLookup
public struct DeltaArbitrageConfig: Sendable, Hashable, Codable {
    /// Traded pair (default `BTC/USDT`).
    public var symbol = Symbol(base: "BTC", quote: "USDT")
    /// Position size in quote currency.
    public var basePositionSize = 100.0
    /// Largest position as a multiple of `basePositionSize`.
    public var maxPositionMultiplier = 2.0
    /// Minutes of data time between scheduled re-optimisations.
    public var parameterUpdateIntervalMinutes = 5
    /// The optimiser's part: data needed, safety rules, hold limit, fees, targets.
    public var optimizer = OptimizerConfig()

    /// The seed's defaults.
    public init() {}

    /// The seed's defaults for sizing and schedule, over `optimizer`.
    public init(optimizer: OptimizerConfig) {
        self.optimizer = optimizer
    }

    /// The optimiser's fields, by their own names.
    public subscript<Value>(dynamicMember field: WritableKeyPath<OptimizerConfig, Value>) -> Value {
        get { optimizer[keyPath: field] }
        set { optimizer[keyPath: field] = newValue }
    }

    /// The optimiser's read-only values (`maxHoldHours`, …).
    public subscript<Value>(dynamicMember field: KeyPath<OptimizerConfig, Value>) -> Value {
        optimizer[keyPath: field]
    }

    /// Checks the sizing and schedule, then the optimiser's part, naming the first field out of range.
    public func validate() throws(ParameterValidationError) {
        func require(_ ok: Bool, _ name: String, _ value: Double, _ rule: String) throws(ParameterValidationError) {
            if !ok { throw ParameterValidationError(parameter: name, value: value, rule: rule) }
        }
        try require(basePositionSize > 0 && basePositionSize.isFinite, "base_position_size", basePositionSize, "must be positive and finite")
        try require(maxPositionMultiplier >= 1 && maxPositionMultiplier.isFinite, "max_position_multiplier", maxPositionMultiplier, "must be at least 1")
        try require((1...OptimizerConfig.maxUpdateIntervalMinutes).contains(parameterUpdateIntervalMinutes),
                    "parameter_update_interval_minutes", Double(parameterUpdateIntervalMinutes),
                    "must be in 1...\(OptimizerConfig.maxUpdateIntervalMinutes)")
        try optimizer.validate()
    }

    enum CodingKeys: String, CodingKey {
        case symbol
        case basePositionSize = "base_position_size", maxPositionMultiplier = "max_position_multiplier"
        case parameterUpdateIntervalMinutes = "parameter_update_interval_minutes"
    }

    /// Reads the seed's flat object: sizing and schedule beside the optimiser's fields.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        symbol = try c.decode(Symbol.self, forKey: .symbol)
        basePositionSize = try c.decode(Double.self, forKey: .basePositionSize)
        maxPositionMultiplier = try c.decode(Double.self, forKey: .maxPositionMultiplier)
        parameterUpdateIntervalMinutes = try c.decode(Int.self, forKey: .parameterUpdateIntervalMinutes)
        optimizer = try OptimizerConfig(from: decoder)
    }

    /// Writes the seed's flat object.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(symbol, forKey: .symbol)
        try c.encode(basePositionSize, forKey: .basePositionSize)
        try c.encode(maxPositionMultiplier, forKey: .maxPositionMultiplier)
        try c.encode(parameterUpdateIntervalMinutes, forKey: .parameterUpdateIntervalMinutes)
        try optimizer.encode(to: encoder)
    }
}
