/// Exchange book-ticker feeds over WebSocket (`ws://` and `wss://`).
///
/// This module is the only one that opens sockets to exchanges; message decoding
/// (`BookTickerDecoder`) and the feed policies (reconnect backoff, update-id guard,
/// clock offset, staleness) live in DeltaArbitrageLive and know nothing of sockets.
public enum ExchangeFeeds {}
