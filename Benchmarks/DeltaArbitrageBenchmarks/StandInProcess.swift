import ArgumentParser
import DeltaArbitrage
import DeltaArbitrageLive
import ExchangeStandIns
import Foundation

/// The live workloads' exchange servers in a process of their own (this executable, run with
/// `--stand-in-servers`), so that the servers' tasks do not share the measured process's
/// cooperative threads: what is timed is the client's path alone, as against a real exchange.
/// Both servers are Gate.io stand-ins (spot, and futures with 0.0001 base units per contract)
/// pacing `perMarket` updates at `perSecond` per market once a client subscribes.
final class StandInProcess {
    let spotURL: String
    let futuresURL: String
    private let process: Process
    private let input: Pipe
    private let output: FileHandle

    init(perMarket: Int, perSecond: Double) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["--stand-in-servers", "\(perMarket)@\(perSecond)"]
        input = Pipe()
        let pipe = Pipe()
        process.standardInput = input
        process.standardOutput = pipe
        try process.run()
        output = pipe.fileHandleForReading
        let lines = try Self.readLines(2, from: output)
        spotURL = lines[0]
        futuresURL = lines[1]
    }

    /// Stops the servers (closing their stdin) and returns the updates they sent, spot + futures.
    func stop() throws -> Int {
        try input.fileHandleForWriting.close()
        let sent = try Self.readLines(1, from: output)[0].split(separator: " ").compactMap { Int($0) }.reduce(0, +)
        process.waitUntilExit()
        return sent
    }

    private static func readLines(_ count: Int, from handle: FileHandle) throws -> [String] {
        var buffer = Data()
        while buffer.filter({ $0 == UInt8(ascii: "\n") }).count < count {
            guard let chunk = try handle.read(upToCount: 1), !chunk.isEmpty else {
                throw ValidationError("the stand-in server process ended early: \(String(decoding: buffer, as: UTF8.self))")
            }
            buffer.append(chunk)
        }
        return String(decoding: buffer, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// The child's side: serves until stdin closes, printing both URLs first and the updates sent last.
    static func serve(_ specification: String) throws {
        let parts = specification.split(separator: "@")
        guard parts.count == 2, let perMarket = Int(parts[0]), let perSecond = Double(parts[1]) else {
            throw ValidationError("--stand-in-servers takes COUNT@PER_SECOND, got '\(specification)'")
        }
        let script = StandInScript(steps: [.paced(count: perMarket, perSecond: perSecond)])
        let spot = ExchangeStandIn(venue: .gateio, market: .spot, scripts: [script])
        let futures = ExchangeStandIn(venue: .gateio, market: .futures, scripts: [script], contractSize: 0.0001)
        try waitFor {
            _ = try await spot.start()
            _ = try await futures.start()
        }
        // Unbuffered: the parent waits for these lines.
        FileHandle.standardOutput.write(Data("\(spot.url)\n\(futures.url)\n".utf8))
        _ = FileHandle.standardInput.readDataToEndOfFile()
        FileHandle.standardOutput.write(Data("\(spot.updatesSent) \(futures.updatesSent)\n".utf8))
        try waitFor {
            await spot.stop()
            await futures.stop()
        }
    }
}
