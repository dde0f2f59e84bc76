import DeltaArbitrage
import DeltaArbitrageLive
import Foundation
import Hummingbird
import ServiceLifecycle

/// What one `/events` client is sent next.
enum EventStreamItem: Sendable, Equatable {
    /// A strategy event.
    case event(StrategyEvent)
    /// Nothing happened for a keep-alive interval: a comment line keeps proxies and the client's timeout happy.
    case keepAlive
}

/// One client's bounded queue between the strategy's events and its socket.
///
/// Offering never waits: when the client reads too slowly and `capacity`
/// items are already waiting, the oldest is dropped (a dropped event is
/// counted; a dropped keep-alive is not), so a slow client costs memory
/// bounded by `capacity` and never slows the strategy. The drops are reported
/// to the client in-stream (`event: dropped`) before the next item it gets.
final class ClientEventQueue: @unchecked Sendable {
    /// The items, oldest first, for the writer.
    let items: AsyncStream<EventStreamItem>
    private let continuation: AsyncStream<EventStreamItem>.Continuation
    private let lock = NSLock()
    private var dropped = 0
    private var reported = 0
    private let onDrop: @Sendable (Int) -> Void

    /// A queue holding at most `capacity` items; `onDrop` is told of each dropped event.
    init(capacity: Int, onDrop: @escaping @Sendable (Int) -> Void = { _ in }) {
        (items, continuation) = AsyncStream<EventStreamItem>.makeStream(bufferingPolicy: .bufferingNewest(capacity))
        self.onDrop = onDrop
    }

    /// Queues `item`, dropping the oldest waiting one when full.
    func offer(_ item: EventStreamItem) {
        // Yield and count under one lock: a writer that has taken `item` then sees the drop it caused,
        // so the notice goes out no later than the next item.
        lock.lock()
        defer { lock.unlock() }
        if case .dropped(let old) = continuation.yield(item), case .event = old {
            dropped += 1
            onDrop(1)
        }
    }

    /// Ends the queue: the writer gets what is waiting, then the end.
    func finish() { continuation.finish() }

    /// Events dropped since the last call (0 when none), for the in-stream notice.
    func takeUnreportedDrops() -> Int {
        lock.lock()
        defer { lock.unlock() }
        let n = dropped - reported
        reported = dropped
        return n
    }

    /// Events dropped so far.
    var droppedCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return dropped
    }
}

/// The `text/event-stream` wire format of `/events`.
enum ServerSentEventFormat {
    private static let encoder = makeJSONEncoder(pretty: false)

    /// `event: <type>` and one `data:` line with the event as the event log writes it
    /// (`{"type": …, "event": {…}}`), then a blank line.
    static func frame(_ event: StrategyEvent) throws -> String {
        // The compact encoder never writes a newline, so one data line holds the whole document.
        let json = String(decoding: try encoder.encode(event), as: UTF8.self)
        return "event: \(event.type)\ndata: \(json)\n\n"
    }

    /// The notice that `count` events were dropped for this client.
    static func droppedFrame(_ count: Int) -> String { "event: dropped\ndata: {\"dropped_events\":\(count)}\n\n" }

    /// A comment line: ignored by clients, keeps the connection busy.
    static let keepAlive = ": keep-alive\n\n"

    /// Sent first: the reconnection delay for `EventSource` and a comment saying the subscription is live.
    static let opening = "retry: 2000\n: connected\n\n"
}

/// Asks a buffering reverse proxy (nginx) to pass the stream through as it comes.
private let xAccelBuffering = HTTPFields.Element.Name("X-Accel-Buffering")!

/// Streams the backend's events to one client until it goes away, the
/// backend's stream ends, or the service shuts down gracefully.
struct EventStreamResponder: Sendable {
    let backend: any StrategyServiceBackend
    let metrics: ServiceMetrics
    let keepAliveInterval: Duration
    let capacity: Int

    func response() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        headers[xAccelBuffering] = "no"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await stream(to: &writer)
        })
    }

    private func stream(to writer: inout any ResponseBodyWriter) async throws {
        let metrics = self.metrics
        let queue = ClientEventQueue(capacity: capacity) { metrics.eventsDropped($0) }
        // Subscribed before the opening comment goes out, so a client that has read it misses nothing after.
        let source = backend.subscribeEvents()
        metrics.eventClientsChanged(by: 1)
        defer { metrics.eventClientsChanged(by: -1) }
        let interval = keepAliveInterval
        var failure: (any Error)?
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in source { queue.offer(.event(event)) }
                queue.finish()
            }
            group.addTask {
                while true {
                    do { try await Task.sleep(for: interval) } catch { return }
                    queue.offer(.keepAlive)
                }
            }
            await withGracefulShutdownHandler {
                do {
                    try await writer.write(ByteBuffer(string: ServerSentEventFormat.opening))
                    for await item in queue.items {
                        var text = ""
                        let drops = queue.takeUnreportedDrops()
                        if drops > 0 { text += ServerSentEventFormat.droppedFrame(drops) }
                        switch item {
                        case .event(let event): text += try ServerSentEventFormat.frame(event)
                        case .keepAlive: text += ServerSentEventFormat.keepAlive
                        }
                        try await writer.write(ByteBuffer(string: text))
                    }
                } catch {
                    failure = error  // the client went away: stop feeding it, then let the server close the connection
                }
            } onGracefulShutdown: {
                queue.finish()
            }
            group.cancelAll()
        }
        if let failure { throw failure }
        try await writer.finish(nil)
    }
}
