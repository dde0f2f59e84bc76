import SpreadKernels

// The kernel value types that appear in the domain's own API, so that a user
// of the domain imports one module. Everything else of the kernels (columns,
// formulas, the state machine, statistics) is reached with `import SpreadKernels`.

/// Thresholds, hold limit and fees of one backtest (see `SpreadKernels.BacktestRule`).
public typealias BacktestRule = SpreadKernels.BacktestRule
/// Why a position closed: `profit_target` or `timeout` (see `SpreadKernels.ExitReason`).
public typealias ExitReason = SpreadKernels.ExitReason
/// A closed round trip as row indices (see `SpreadKernels.TradeIndices`).
public typealias TradeIndices = SpreadKernels.TradeIndices
/// An open hedge: entry row, time and prices (see `SpreadKernels.OpenPosition`).
public typealias OpenPosition = SpreadKernels.OpenPosition
