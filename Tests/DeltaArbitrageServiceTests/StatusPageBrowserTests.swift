import DeltaArbitrage
@testable import DeltaArbitrageLive
import Foundation
import Testing
@testable import DeltaArbitrageService

#if os(Linux)
import Glibc
#endif

/// Where a Chromium (or Chrome) executable is: `CHROMIUM` if set, else the first on `PATH`.
enum ChromiumLocator {
    static let path: String? = {
        let environment = ProcessInfo.processInfo.environment
        if let given = environment["CHROMIUM"], FileManager.default.isExecutableFile(atPath: given) { return given }
        let names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
        for directory in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            for name in names where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
                return "\(directory)/\(name)"
            }
        }
        return nil
    }()

    /// Run when Chromium is present, and always under CI (where its absence is then a failure).
    static let runs: Bool = {
        #if os(Linux)
        path != nil || ProcessInfo.processInfo.environment["CI"] != nil
        #else
        false  // the DevTools pipe client below spawns with Glibc's posix_spawn
        #endif
    }()
}

@Suite("Status page in headless Chromium")
struct StatusPageBrowserTests {
    @Test("The page shows the status and each event published after it connected",
          .enabled(if: ChromiumLocator.runs, "Chromium is not installed (apt-get install chromium, or set CHROMIUM); set CI to make this a failure"))
    func pageFollowsEvents() async throws {
        #if os(Linux)
        let chromium = try #require(ChromiumLocator.path, "Chromium is not installed but CI is set: install it (scripts/install-deps.sh)")
        let backend = FakeBackend()
        let marker = "browser-sees-\(UInt32.random(in: 0...UInt32.max))"
        let shown = try await withRunningService(backend: backend) { port in
            let browser = try DevToolsBrowser(executable: chromium)
            defer { browser.shutDown() }
            let session = try await browser.open("http://127.0.0.1:\(port)/")
            // One subscription is the service's own metrics feed; the second is the page's EventSource.
            await backend.waitForSubscriptions(2)
            backend.hub.publish(.parameterUpdate(ParameterUpdateEvent(
                timestamp: 1_704_067_260, oldEntryThreshold: 0.42, newEntryThreshold: 0.37, oldExitThreshold: 0.12,
                newExitThreshold: 0.11, confidenceScore: 0.9, optimizationDurationMs: 800)))
            backend.hub.publish(alert(marker))
            let script = """
                JSON.stringify({symbol: document.getElementById("symbol").textContent,
                  health: document.getElementById("health").textContent,
                  parameters: document.getElementById("parameters").textContent,
                  feeds: document.getElementById("feeds").textContent,
                  events: Array.from(document.querySelectorAll("#events li")).map(li => li.dataset.type + " " + li.textContent)})
                """
            // The page renders asynchronously: read its DOM until both events show (bounded).
            var last = ""
            for _ in 0..<300 {
                last = try await browser.evaluate(script, session: session)
                // The status fields come from their own fetches, which may land after the events.
                if last.contains(marker) && last.contains("parameter_update") && last.contains(#""symbol":"BTC/USDT""#)
                    && last.contains(#""health":"healthy""#) && last.contains("0.4200 %") && last.contains("gateio") { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            return last
        }
        let dom = try #require(try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any], "DOM read: \(shown)")
        #expect(dom["symbol"] as? String == "BTC/USDT")
        #expect(dom["health"] as? String == "healthy")
        #expect((dom["parameters"] as? String)?.contains("0.4200 %") == true)
        #expect((dom["feeds"] as? String)?.contains("gateio") == true)
        let events = try field(dom, "events", as: [String].self)
        #expect(events.count == 2)
        #expect(events.first?.hasPrefix("alert ") == true && events.first?.contains(marker) == true, "newest first: \(events)")
        #expect(events.last?.hasPrefix("parameter_update ") == true && events.last?.contains("0.3700 %") == true)
        #endif
    }
}

#if os(Linux)
/// Headless Chromium driven over the DevTools protocol on a pipe
/// (`--remote-debugging-pipe`: commands in on fd 3, replies out on fd 4, each a
/// JSON message ended by a NUL byte), so no WebSocket client is needed.
final class DevToolsBrowser: @unchecked Sendable {
    private let pid: pid_t
    private let commands: Int32
    private let replies: Int32
    private let profile: String
    private let lock = NSLock()
    private var nextID = 1
    private var waiting: [Int: CheckedContinuation<Data, any Error>] = [:]
    private var closed = false

    struct ProtocolError: Error, CustomStringConvertible {
        var description: String
    }

    init(executable: String) throws {
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("delta-arb-chromium-\(UUID().uuidString)").path
        var toBrowser: [Int32] = [0, 0], fromBrowser: [Int32] = [0, 0]
        guard pipe(&toBrowser) == 0, pipe(&fromBrowser) == 0 else { throw ProtocolError(description: "pipe: \(errno)") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toBrowser[0], 3)
        posix_spawn_file_actions_adddup2(&actions, fromBrowser[1], 4)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let arguments = [executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--no-first-run", "--no-default-browser-check", "--remote-debugging-pipe",
                         "--user-data-dir=\(profile)", "about:blank"]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, executable, &actions, nil, &argv, environ)
        close(toBrowser[0])
        close(fromBrowser[1])
        guard spawned == 0 else {
            close(toBrowser[1])
            close(fromBrowser[0])
            throw ProtocolError(description: "cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        pid = child
        commands = toBrowser[1]
        replies = fromBrowser[0]
        let reader = Thread { [self] in readReplies() }
        reader.start()
    }

    /// Opens `url` in a new tab; returns the session id to address it.
    func open(_ url: String) async throws -> String {
        let target = try await send("Target.createTarget", ["url": url])
        guard let targetID = target["targetId"] as? String else { throw ProtocolError(description: "no targetId: \(target)") }
        let attached = try await send("Target.attachToTarget", ["targetId": targetID, "flatten": true])
        guard let session = attached["sessionId"] as? String else { throw ProtocolError(description: "no sessionId: \(attached)") }
        return session
    }

    /// The string value of `expression` evaluated in the page of `session`.
    func evaluate(_ expression: String, session: String) async throws -> String {
        let result = try await send("Runtime.evaluate", ["expression": expression, "returnByValue": true], session: session)
        guard let value = (result["result"] as? [String: Any])?["value"] as? String else {
            throw ProtocolError(description: "evaluation gave no string: \(result)")
        }
        return value
    }

    private func send(_ method: String, _ params: [String: Any], session: String? = nil) async throws -> [String: Any] {
        let reply = try await exchange(method, params, session: session)
        let object = try JSONSerialization.jsonObject(with: reply) as? [String: Any] ?? [:]
        if let error = object["error"] { throw ProtocolError(description: "\(method): \(error)") }
        return object["result"] as? [String: Any] ?? [:]
    }

    /// Sends one command and returns its reply message as sent.
    private func exchange(_ method: String, _ params: [String: Any], session: String?) async throws -> Data {
        try await withCheckedThrowingContinuation { continuation in
            lock.lock()
            guard !closed else {
                lock.unlock()
                continuation.resume(throwing: ProtocolError(description: "the browser has exited"))
                return
            }
            let id = nextID
            nextID += 1
            waiting[id] = continuation
            lock.unlock()
            var message: [String: Any] = ["id": id, "method": method, "params": params]
            if let session { message["sessionId"] = session }
            do {
                var data = try JSONSerialization.data(withJSONObject: message)
                data.append(0)
                try data.withUnsafeBytes { bytes in
                    var offset = 0
                    while offset < bytes.count {
                        let n = write(commands, bytes.baseAddress! + offset, bytes.count - offset)
                        if n < 0 && errno == EINTR { continue }
                        guard n > 0 else { throw ProtocolError(description: "write to the browser failed: errno \(errno)") }
                        offset += n
                    }
                }
            } catch {
                lock.lock()
                let pending = waiting.removeValue(forKey: id)
                lock.unlock()
                pending?.resume(throwing: error)
            }
        }
    }

    private func readReplies() {
        var pending = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(replies, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            pending.append(contentsOf: chunk[0..<n])
            while let end = pending.firstIndex(of: 0) {
                let message = Array(pending[..<end])
                pending.removeSubrange(...end)
                guard let object = try? JSONSerialization.jsonObject(with: Data(message)) as? [String: Any],
                      let id = object["id"] as? Int else { continue }  // events carry no id
                lock.lock()
                let continuation = waiting.removeValue(forKey: id)
                lock.unlock()
                continuation?.resume(returning: Data(message))
            }
        }
        lock.lock()
        closed = true
        let abandoned = waiting
        waiting.removeAll()
        lock.unlock()
        for (_, continuation) in abandoned { continuation.resume(throwing: ProtocolError(description: "the browser has exited")) }
    }

    /// Ends the browser this object started and removes its profile.
    func shutDown() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        closeDescriptor(commands)
        closeDescriptor(replies)
        // A leftover temporary profile is harmless; the browser's helpers may still be letting go of it.
        try? FileManager.default.removeItem(atPath: profile)
    }
}

private func closeDescriptor(_ descriptor: Int32) { _ = Glibc.close(descriptor) }
#endif
