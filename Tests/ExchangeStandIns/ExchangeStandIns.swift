/// Stand-in exchange servers on loopback that speak the documented Gate.io v4 and Binance
/// book-ticker WebSocket protocols, for tests and benchmarks.
public enum ExchangeStandIns {}
