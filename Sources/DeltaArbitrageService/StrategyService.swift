/// `delta-arb serve`: the strategy service — exchange feeds, the strategy loop, the HTTP API
/// and Prometheus metrics, run under swift-service-lifecycle.
public enum StrategyServiceModule {}
