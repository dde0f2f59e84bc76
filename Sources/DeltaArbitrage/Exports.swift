// The domain layer re-exports the kernels' value types (BacktestRule,
// TradeIndices, ExitReason, ...) so that users import one module.
@_exported import SpreadKernels
