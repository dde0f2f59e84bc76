/// Carries out the strategy core's order batches: sends every leg of a batch
/// at once to the `OrderGateway`, tries a refused or failed leg again up to its
/// `attempts` (with the same client order id: if an earlier attempt did
/// execute and its reply was lost, the exchange answers with that fill instead
/// of trading twice), publishes an `order` event per submission, and reports
/// each leg's fill — whole, partial or none — back for the core to decide on.
public struct OrderExecutor: Sendable {
    /// Where the orders go.
    public let gateway: any OrderGateway
    /// Where the order events go.
    public let events: EventHub

    /// An executor sending to `gateway` and publishing to `events`.
    public init(gateway: any OrderGateway, events: EventHub) {
        self.gateway = gateway
        self.events = events
    }

    /// Sends `batch`'s legs at once; one outcome per leg, in the batch's order.
    public func execute(_ batch: OrderBatch) async -> [LegOutcome] {
        let time = Double(batch.timestampNanoseconds) / 1e9
        if batch.legs.count == 1 { return [await execute(batch.legs[0], time: time)] }
        return await withTaskGroup(of: (Int, LegOutcome).self) { group in
            for (index, leg) in batch.legs.enumerated() {
                group.addTask { (index, await execute(leg, time: time)) }
            }
            var outcomes = [LegOutcome?](repeating: nil, count: batch.legs.count)
            for await (index, outcome) in group { outcomes[index] = outcome }
            return zip(batch.legs, outcomes).map { leg, outcome in outcome ?? LegOutcome(order: leg.order, fill: nil) }
        }
    }

    private func execute(_ leg: LegOrder, time: Double) async -> LegOutcome {
        for _ in 0..<max(leg.attempts, 1) {
            do {
                let fill = try await gateway.submit(leg.order)
                events.publish(.order(OrderEvent(timestamp: time, purpose: leg.purpose, order: leg.order, fill: fill, error: nil)))
                return LegOutcome(order: leg.order, fill: fill)
            } catch {
                events.publish(.order(OrderEvent(timestamp: time, purpose: leg.purpose, order: leg.order, fill: nil,
                                                 error: "\(error)")))
            }
        }
        return LegOutcome(order: leg.order, fill: nil)
    }
}
